// Packing against Azurite: many events per queue message (one big POST, and many small concurrent POSTs sharing
// messages through group commit), every event exactly once, every message ≤ 64 KiB, and the claim check for an
// event too large for one message.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JsonRecord } from '../../shared/catalog/types.js';
import { type Config, loadConfig } from '../../shared/config.js';
import { handleEvents } from '../../shared/ingest/handlers.js';
import { QUEUE_MESSAGE_LIMIT } from '../../shared/reliability/envelope.js';
import { appOf, ensureStorageOf, ingestOf } from '../../tools/dev/apps.js';
import { useAzurite } from '../support/azurite.js';
import { jsonRequest } from '../support/http.js';
import { type Drained, drainEnvelopes } from '../support/queue.js';

const azurite = useAzurite();
let config: Config;

beforeAll(async () => {
  config = loadConfig({ AzureWebJobsStorage: azurite.current.connectionString, LOG_LEVEL: 'silent' });
  await ensureStorageOf(config);
});

const drain = () => drainEnvelopes(appOf(config).storage.queue('events'), appOf(config).storage.container('claim-checks'));
afterEach(async () => {
  await drain();
});

const post = (source: string, value: unknown) => handleEvents(jsonRequest(`/api/events/${source}`, value, { source }), ingestOf(config));

const template = (
  JSON.parse(readFileSync(new URL('../fixtures/wallarm/hits-2026-host.json', import.meta.url), 'utf8')) as JsonRecord[]
)[0] as JsonRecord;

/** A distinct Wallarm hit of about 1 KiB: the documented notification with its own request id, client, payload. */
function hit(i: number): JsonRecord {
  const h = structuredClone(template);
  const details = h.details as JsonRecord;
  const inner = details.hit as JsonRecord;
  inner.request_id = randomUUID();
  inner.remote_addr4 = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  inner.remote_port = 1024 + (i % 60000);
  inner.request_time = 1764000000 + i;
  inner.path = `/api/v1/items/${i}`;
  inner.payloads = [`1' or sleep(${i % 10})-- ${randomBytes(24).toString('hex')}`];
  return h;
}

/** Every event exactly once (by EventId), every message within the queue limit. */
function expectExactlyOnce(drained: Drained, count: number) {
  const ids = drained.rows.map((r) => r.EventId as string);
  expect(ids).toHaveLength(count);
  expect(new Set(ids).size).toBe(count);
  for (const e of drained.envelopes) {
    expect(e.bytes).toBeLessThanOrEqual(QUEUE_MESSAGE_LIMIT);
    expect(e.count).toBe(e.rows.length);
  }
}

describe('packing', () => {
  it('the events are about 1 KiB each', () => {
    const size = Buffer.byteLength(JSON.stringify(hit(1)));
    expect(size).toBeGreaterThan(900);
    expect(size).toBeLessThan(1300);
  });

  it('1,000 events in one POST → at most 20 queue messages', async () => {
    const events = Array.from({ length: 1000 }, (_, i) => hit(i));
    const res = await post('wallarm', events);
    expect(res.status).toBe(202);
    expect(res.jsonBody).toMatchObject({ accepted: 1000, rejected: [] });

    const drained = await drain();
    console.log(`1000 events in one POST → ${drained.messages} messages`);
    expect(drained.messages).toBeGreaterThan(0);
    expect(drained.messages).toBeLessThanOrEqual(20);
    expectExactlyOnce(drained, 1000);
    expect(new Set(drained.envelopes.map((e) => e.stream))).toEqual(new Set(['Custom-new_hits_CL']));
    // Request order is kept across messages.
    expect(drained.rows.map((r) => r.RequestId)).toEqual(events.map((e) => (e.details as { hit: { request_id: string } }).hit.request_id));
  });

  it('1,000 events of incompressible text in one POST still fit in at most 20 messages of ≤ 64 KiB', async () => {
    const events = Array.from({ length: 1000 }, (_, i) => ({ type: 'noise', i, data: randomBytes(700).toString('base64') }));
    expect(Buffer.byteLength(JSON.stringify(events[0]))).toBeGreaterThan(950);
    const res = await post('generic', events);
    expect(res.status).toBe(202);
    const drained = await drain();
    console.log(`1000 incompressible ~1 KiB events in one POST → ${drained.messages} messages`);
    expect(drained.messages).toBeLessThanOrEqual(20);
    expectExactlyOnce(drained, 1000);
  });

  it('1,000 single-event POSTs sent 50 at a time → at most 100 queue messages (group commit)', async () => {
    const statuses: number[] = [];
    for (let batch = 0; batch < 20; batch += 1) {
      const responses = await Promise.all(Array.from({ length: 50 }, (_, j) => post('wallarm', hit(batch * 50 + j))));
      statuses.push(...responses.map((r) => r.status));
    }
    expect(statuses.filter((s) => s !== 202)).toEqual([]);

    const drained = await drain();
    console.log(`1000 single-event POSTs, 50 concurrent → ${drained.messages} messages`);
    expect(drained.messages).toBeLessThanOrEqual(100);
    expectExactlyOnce(drained, 1000);
    // Shared messages really hold events from several requests.
    expect(Math.max(...drained.envelopes.map((e) => e.count))).toBeGreaterThan(1);
  });

  it('requests for different streams in the same window never share a message', async () => {
    const responses = await Promise.all([
      post('wallarm', hit(1)),
      post('generic', { type: 'x', n: 1 }),
      post('wallarm', hit(2)),
      post('generic', { type: 'x', n: 2 }),
    ]);
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202, 202]);
    const drained = await drain();
    for (const e of drained.envelopes) {
      const expected = e.stream === 'Custom-new_hits_CL' ? 'wallarm' : 'generic';
      for (const row of e.rows) expect(row.Source).toBe(expected);
    }
    expectExactlyOnce(drained, 4);
  });

  it('an event too large for one message is claim-checked into a blob and decodes back intact', async () => {
    // ~120 KB of incompressible text in two fields, each under the 64 KB field limit (so nothing is cut).
    const big = () => randomBytes(45 * 1024).toString('base64');
    const event = { ...template, summary: `Grüße 🚀 ${big()}`, description: big() };
    const small = { ...template, summary: 'small' };
    const res = await post('wallarm', [small, event]);
    expect(res.status).toBe(202);
    expect(res.jsonBody).toMatchObject({ accepted: 2, rejected: [] });

    const blobs: string[] = [];
    for await (const b of appOf(config).storage.container('claim-checks').listBlobsFlat()) blobs.push(b.name);

    const drained = await drain();
    expectExactlyOnce(drained, 2);
    const claim = drained.envelopes.find((e) => e.enc === 'blob');
    expect(claim).toBeDefined();
    expect(claim?.count).toBe(1);
    expect(claim?.bytes).toBeLessThan(1024);
    expect(blobs).toContain(claim?.enc === 'blob' ? claim.blob : '');
    const row = claim?.rows[0] as JsonRecord;
    expect(row).toMatchObject({ Summary: event.summary, Description: event.description });
    expect(row).not.toHaveProperty('Truncated');
    // The small event is not held hostage by the big one: it travels inline.
    expect(drained.envelopes.find((e) => e.enc === 'gzip')?.rows.map((r) => r.Summary)).toEqual(['small']);
  });
});
