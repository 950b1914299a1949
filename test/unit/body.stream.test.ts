// The record-by-record body reader (bodyElements) against the whole-text reader it replaced (parseWhole): for any
// text built from JSON and its punctuation — arrays, NDJSON, broken documents, BOMs, long integers, every charset —
// the same elements, or the same 400 with the same message.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../shared/http.js';
import { bodyElements, parseWhole } from '../../shared/ingest/body.js';
import type { Charset } from '../../shared/ingest/text.js';

type Outcome = { ok: true; value: unknown } | { ok: false; status: number; message: string };

function outcome(read: () => unknown[]): Outcome {
  try {
    return { ok: true, value: read() };
  } catch (e) {
    if (!(e instanceof HttpError)) throw e;
    return { ok: false, status: e.status, message: e.message };
  }
}

function same(bytes: Buffer, charset: Charset): void {
  expect(outcome(() => [...bodyElements(bytes, charset)])).toEqual(outcome(() => parseWhole(bytes, charset)));
}

const piece = fc.oneof(
  fc.json(),
  fc.constantFrom(
    '[',
    ']',
    '{',
    '}',
    ',',
    ':',
    '"',
    '\\',
    ' ',
    '\n',
    '\r\n',
    '\t',
    '\uFEFF',
    '\u00a0',
    'x',
    'null',
    '12345678901234567890',
  ),
);
const ndjson = fc.array(fc.json(), { minLength: 1, maxLength: 6 }).map((values) => values.join('\n'));
const array = fc.array(fc.json(), { maxLength: 6 }).map((values) => `[${values.join(',')}]`);
const text = fc.oneof(
  array,
  ndjson,
  fc.array(piece, { maxLength: 12 }).map((p) => p.join('')),
  fc.tuple(fc.oneof(array, ndjson), fc.array(piece, { maxLength: 3 })).map(([t, p]) => t + p.join('')),
  fc.tuple(fc.array(piece, { maxLength: 3 }), fc.oneof(array, ndjson)).map(([p, t]) => p.join('') + t),
);

describe('bodyElements', () => {
  it('answers as the whole-text reader for any text, UTF-8 with or without a BOM', () => {
    fc.assert(
      fc.property(text, fc.boolean(), (t, bom) => same(Buffer.from(bom ? `\uFEFF${t}` : t), 'utf-8')),
      { numRuns: 1000 },
    );
  });

  it('answers as the whole-text reader in the one-byte charsets, for any bytes', () => {
    const bytes = fc.oneof(
      text.map((t) => Buffer.from(t, 'latin1')),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
    );
    fc.assert(
      fc.property(bytes, fc.constantFrom<Charset>('iso-8859-1', 'windows-1252', 'us-ascii', 'utf-8'), (b, charset) => same(b, charset)),
      { numRuns: 1000 },
    );
  });

  it('hands out the items of a large array one at a time, exactly', () => {
    const items = Array.from({ length: 5000 }, (_, i) => ({ i, s: `"${i}" [,] {:}`, big: i % 7 ? i : 12345678901234567890n.toString() }));
    const body = Buffer.from(JSON.stringify(items));
    expect([...bodyElements(body)]).toEqual(items);
  });
});
