// Queue envelopes: packing rows into groups that fit one 64 KiB message, the versioned message format, and reading
// rows back (inline gzip or claim-checked blob).
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { ContainerClient } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import type { JsonRecord } from '../../shared/catalog/types.js';
import {
  type Envelope,
  type EnvelopeMeta,
  GZIP_BUDGET,
  gunzipRows,
  gzipEnvelope,
  gzipRows,
  messageText,
  packRows,
  parseEnvelope,
  QUEUE_MESSAGE_LIMIT,
  rowsOf,
  UnreadableMessageError,
} from '../../shared/reliability/envelope.js';

/** An envelope carrying `rows` inline, as the writer makes one for a group that fits. */
const inlineEnvelope = (meta: EnvelopeMeta, list: readonly JsonRecord[], gz = gzipRows(list)): Envelope =>
  gzipEnvelope(meta, list.length, gz);

/** Rows whose `data` is `bytes` characters of random base64 (compresses to ~3/4), or of one repeated word. */
function rows(count: number, bytes: number, kind: 'random' | 'repetitive' = 'random', from = 0): JsonRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    EventId: `e-${from + i}`,
    TimeGenerated: '2026-11-25T12:00:00.000Z',
    data:
      kind === 'random'
        ? randomBytes(Math.ceil((bytes * 3) / 4))
            .toString('base64')
            .slice(0, bytes)
        : 'wallarm '.repeat(Math.ceil(bytes / 8)).slice(0, bytes),
  }));
}

interface Case {
  name: string;
  rows: JsonRecord[];
  budget?: number;
  /** Expected number of groups, when the case pins it. */
  groups?: number;
  /** Indices of rows that must come back alone and over the budget (claim checks). */
  oversized?: number[];
}

const big = (i: number) => rows(1, 12_000, 'random', 10_000 + i)[0] as JsonRecord;

const CASES: Case[] = [
  { name: 'no rows', rows: [], groups: 0 },
  { name: 'one small row', rows: rows(1, 100), groups: 1 },
  { name: '100 small rows that fit together', rows: rows(100, 200), groups: 1 },
  { name: '1,000 rows of 1 KiB random text (default budget)', rows: rows(1000, 1024) },
  { name: '2,000 rows of 1 KiB repetitive text (default budget)', rows: rows(2000, 1024, 'repetitive') },
  { name: '300 rows of 300 B, budget 4 KiB', rows: rows(300, 300), budget: 4096 },
  {
    name: 'repetitive then random rows (the ratio estimate is wrong for the tail), budget 4 KiB',
    rows: [...rows(300, 300, 'repetitive'), ...rows(100, 300, 'random', 300)],
    budget: 4096,
  },
  { name: 'one row over the budget alone', rows: [big(0)], budget: 4096, groups: 1, oversized: [0] },
  {
    name: 'an oversized row between small ones',
    rows: [...rows(20, 100), big(1), ...rows(20, 100, 'random', 100)],
    budget: 4096,
    oversized: [20],
  },
  { name: 'every row oversized', rows: [big(2), big(3), big(4)], budget: 4096, groups: 3, oversized: [0, 1, 2] },
  { name: 'a row of exactly the default budget size fits in one message', rows: rows(1, 30_000), groups: 1 },
];

describe('packRows', () => {
  it.each(CASES)('$name', ({ rows: input, budget = GZIP_BUDGET, groups: expectedGroups, oversized = [] }) => {
    const groups = packRows(input, budget);
    if (expectedGroups !== undefined) expect(groups.length).toBe(expectedGroups);

    // Every row comes back once, in order.
    expect(groups.flatMap((g) => g.rows)).toEqual(input);
    for (const g of groups) {
      expect(g.rows.length).toBeGreaterThan(0);
      // gz is the gzip of exactly this group's rows.
      expect(gunzipRows(g.gz)).toEqual(g.rows);
      // The budget holds, except for a single row that cannot fit alone (the caller claim-checks it).
      if (g.gz.length > budget) expect(g.rows.length).toBe(1);
    }
    const alone = groups.filter((g) => g.gz.length > budget).map((g) => input.indexOf(g.rows[0] as JsonRecord));
    expect(alone).toEqual(oversized);

    // Not wasteful: the fitting groups are on average at least a third full, and there are not many more groups
    // than the compressed total needs.
    const fitting = groups.filter((g) => g.gz.length <= budget);
    if (fitting.length > 1) {
      const fill = fitting.reduce((n, g) => n + g.gz.length, 0) / (fitting.length * budget);
      expect(fill).toBeGreaterThan(1 / 3);
    }
    const needed = Math.ceil(gzipRows(input).length / budget);
    expect(groups.length).toBeLessThanOrEqual(Math.max(needed * 2, needed + 2) + oversized.length);
  });

  it('1,000 rows of ~1 KiB random text need at most 20 messages', () => {
    const groups = packRows(rows(1000, 1024));
    expect(groups.length).toBeLessThanOrEqual(20);
    for (const g of groups)
      expect(queueBytes(inlineEnvelope({ id: 'x', stream: 'Custom-new_hits_CL', retry: 0 }, g.rows, g.gz))).toBeLessThanOrEqual(
        QUEUE_MESSAGE_LIMIT,
      );
  });
});

/** Bytes of message text the queue counts. */
const queueBytes = (envelope: Envelope) => Buffer.byteLength(messageText(envelope), 'utf8');

describe('message size', () => {
  it('GZIP_BUDGET bytes of gzip fit one message even with the longest envelope fields', () => {
    const envelope = inlineEnvelope(
      {
        id: '3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
        stream: `Custom-${'T'.repeat(60)}_CL`,
        retry: 16,
        firstFailureAt: '2026-11-25T12:00:00.000Z',
      },
      rows(1, 10),
      randomBytes(GZIP_BUDGET),
    );
    expect(queueBytes(envelope)).toBeLessThanOrEqual(QUEUE_MESSAGE_LIMIT);
    expect(QUEUE_MESSAGE_LIMIT).toBe(65_536);
  });
});

describe('envelope format', () => {
  const meta = { id: 'b7f0c9c2-2c55-4a3e-9d8e-6f1f8f2b7a10', stream: 'Custom-new_hits_CL', retry: 0 };

  it('an inline envelope round-trips through the message text', () => {
    const input = rows(5, 100);
    const envelope = inlineEnvelope(meta, input);
    expect(envelope).toMatchObject({ v: 1, ...meta, count: 5, enc: 'gzip' });
    const text = messageText(envelope);
    expect(parseEnvelope(text)).toEqual(envelope);
    expect(parseEnvelope(JSON.parse(text))).toEqual(envelope);
    expect(gunzipRows(Buffer.from((parseEnvelope(text) as Extract<Envelope, { enc: 'gzip' }>).data, 'base64'))).toEqual(input);
  });

  it('retry defaults to 0 and firstFailureAt is kept', () => {
    const { retry: _, ...noRetry } = inlineEnvelope(meta, rows(1, 10));
    expect(parseEnvelope(JSON.stringify(noRetry)).retry).toBe(0);
    const retried = inlineEnvelope({ ...meta, retry: 3, firstFailureAt: '2026-11-25T12:00:00.000Z' }, rows(1, 10));
    expect(parseEnvelope(messageText(retried))).toMatchObject({ retry: 3, firstFailureAt: '2026-11-25T12:00:00.000Z' });
  });

  it('parses a claim-check envelope', () => {
    const envelope = { v: 1, ...meta, count: 1, enc: 'blob', blob: `${meta.id}.json.gz` };
    expect(parseEnvelope(JSON.stringify(envelope))).toEqual(envelope);
  });

  it.each<[string, unknown]>([
    ['another version', { v: 2, ...meta, count: 1, enc: 'gzip', data: 'x' }],
    ['a stream without Custom-', { v: 1, ...meta, stream: 'new_hits_CL', count: 1, enc: 'gzip', data: 'x' }],
    ['no rows', { v: 1, ...meta, count: 0, enc: 'gzip', data: 'x' }],
    ['no data', { v: 1, ...meta, count: 1, enc: 'gzip' }],
    ['an unknown encoding', { v: 1, ...meta, count: 1, enc: 'zstd', data: 'x' }],
    ['a blob envelope without its blob', { v: 1, ...meta, count: 1, enc: 'blob' }],
  ])('refuses %s', (_, value) => {
    expect(() => parseEnvelope(JSON.stringify(value))).toThrow();
  });

  it('refuses text that is not JSON', () => {
    expect(() => parseEnvelope('eyJ2IjoxfQ==')).toThrow(UnreadableMessageError);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a number', 42],
    ['a string', 'text'],
    ['an array', [1]],
    ['an object of the wrong shape', { v: 1 }],
  ])('§6 refuses %s as an unreadable message (parsed by the host or as text)', (_, value) => {
    expect(() => parseEnvelope(value)).toThrow(UnreadableMessageError);
    expect(() => parseEnvelope(JSON.stringify(value))).toThrow(UnreadableMessageError);
  });

  it.each<[string, string]>([
    ['null', 'null'],
    ['a number', '42'],
    ['an object', '{"a":1}'],
    ['an array of non-objects', '[1,"x",null]'],
    ['text that is not JSON', 'not json'],
  ])('§6 rows that decode to %s are unreadable, never rows', (_, json) => {
    expect(() => gunzipRows(gzipSync(json))).toThrow(UnreadableMessageError);
  });

  it('§6 gunzip is bounded: rows inflating past the limit are refused, not inflated', () => {
    const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(16 * 1024);
    expect(() => gunzipRows(bomb, 1024 * 1024)).toThrow(/inflate to more than 1048576 bytes/);
    expect(() => gunzipRows(Buffer.from('not gzip'))).toThrow(/not gzip/);
  });

  it('rowsOf reads inline rows and claim-checked blobs', async () => {
    const input = rows(3, 50);
    const downloads: string[] = [];
    const container = {
      getBlockBlobClient: (name: string) => ({
        downloadToBuffer: async () => {
          downloads.push(name);
          return gzipRows(input);
        },
      }),
    } as unknown as ContainerClient;
    expect(await rowsOf(inlineEnvelope(meta, input), container)).toEqual(input);
    expect(downloads).toEqual([]);
    expect(await rowsOf({ v: 1, ...meta, count: 3, enc: 'blob', blob: 'b.json.gz' }, container)).toEqual(input);
    expect(downloads).toEqual(['b.json.gz']);
  });
});
