// Memory under load: the per-instance in-flight byte budget (INGEST_INFLIGHT_MB). Concurrent large POSTs are each
// answered 202 or 503 with Retry-After, every 202'd record is in the queue exactly once, and the budget is given back
// in every path: success, 4xx, a storage failure, an exception, a request whose body breaks off. Bodies here are a
// few MB (large enough that their rows are packed while the body is read) with the budget set low.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../shared/config.js';
import type { BridgeRequest } from '../../shared/http.js';
import { handleEvents, type IngestDeps } from '../../shared/ingest/handlers.js';
import { appOf, ensureStorageOf, ingestOf } from '../../tools/dev/apps.js';
import { useAzurite } from '../support/azurite.js';
import { request } from '../support/http.js';
import { drainEnvelopes } from '../support/queue.js';

const azurite = useAzurite();
let config: Config;
let deps: IngestDeps;

const BUDGET_MB = 5;

beforeAll(async () => {
  config = loadConfig({
    AzureWebJobsStorage: azurite.current.connectionString,
    LOG_LEVEL: 'silent',
    INGEST_INFLIGHT_MB: String(BUDGET_MB),
  });
  await ensureStorageOf(config);
  deps = ingestOf(config);
});

const drain = () => drainEnvelopes(appOf(config).storage.queue('events'), appOf(config).storage.container('claim-checks'));
afterEach(async () => {
  await drain();
});

/** A JSON array of `count` distinct generic records of ~1 KiB, and its bytes. */
function bodyOf(tag: string, count: number): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ tag, n: i, note: `${tag}-${i}-${'x'.repeat(1000)}` }));
  return Buffer.from(JSON.stringify(records));
}

const post = (body: Buffer, d: IngestDeps = deps) =>
  handleEvents(
    request({
      path: '/api/events/generic',
      body,
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
      params: { source: 'generic' },
    }),
    d,
  );

/** A request whose body arrives as the given chunks (no Content-Length), then ends or breaks off. */
function streamed(chunks: Buffer[], end: 'close' | 'error'): BridgeRequest {
  let i = 0;
  return {
    method: 'POST',
    url: 'http://127.0.0.1:7071/api/events/generic',
    headers: new Headers({ 'content-type': 'application/json' }),
    params: { source: 'generic' },
    query: new URLSearchParams(),
    body: new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = chunks[i++];
        if (chunk) controller.enqueue(chunk);
        else if (end === 'close') controller.close();
        else controller.error(new Error('the client went away'));
      },
    }),
  };
}

describe('in-flight byte budget', () => {
  it('4 concurrent large POSTs: each 202 or 503 with Retry-After, every 202 enqueued once, the budget given back', async () => {
    const count = 2200; // ~2.3 MB each: two fit in the 5 MB budget, four do not
    const bodies = ['a', 'b', 'c', 'd'].map((tag) => bodyOf(tag, count));
    const answers = await Promise.all(bodies.map((b) => post(b)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 202 || s === 503)).toBe(true);
    expect(statuses.filter((s) => s === 202)).toHaveLength(2);
    for (const a of answers.filter((x) => x.status === 503)) {
      expect(a.headers?.['retry-after']).toBe('5');
      expect((a.jsonBody as { error: string }).error).toMatch(/in-flight budget of 5 MB \(INGEST_INFLIGHT_MB\).*retry later/);
    }
    expect(deps.budget.inUse).toBe(0);
    const accepted = answers.flatMap((a, i) => (a.status === 202 ? [['a', 'b', 'c', 'd'][i]] : []));
    const { rows, envelopes } = await drain();
    expect(rows).toHaveLength(2 * count);
    expect(new Set(rows.map((r) => r.EventId)).size).toBe(2 * count);
    for (const tag of accepted) expect(rows.filter((r) => JSON.stringify(r).includes(`"tag":"${tag}"`))).toHaveLength(count);
    // Packed while read: more than one message per request, each within the queue limit.
    expect(envelopes.length).toBeGreaterThan(2);
  });

  it('a lone request larger than the budget still goes ahead', async () => {
    const body = bodyOf('lone', 6000);
    expect(body.length).toBeGreaterThan(BUDGET_MB * 1024 * 1024);
    expect((await post(body)).status).toBe(202);
    expect(deps.budget.inUse).toBe(0);
    expect((await drain()).rows).toHaveLength(6000);
  });

  it('counts the bytes read when there is no Content-Length: past the budget mid-body → 503, and given back', async () => {
    const first = bodyOf('first', 3000);
    const chunks = Array.from({ length: 8 }, () => Buffer.alloc(512 * 1024, 0x20));
    const [a, b] = await Promise.all([post(first), handleEvents(streamed(chunks, 'close'), deps)]);
    expect(a.status).toBe(202);
    expect(b.status).toBe(503);
    expect(b.headers?.['retry-after']).toBe('5');
    expect(deps.budget.inUse).toBe(0);
  });

  it('gives the budget back on a 4xx, a storage failure, an exception and a body that breaks off', async () => {
    expect((await post(Buffer.from('[{"a":1},{"b":'))).status).toBe(400);
    expect(deps.budget.inUse).toBe(0);
    const failing: IngestDeps = { ...deps, committer: { submit: () => Promise.reject(new Error('queue down')) } as never };
    expect((await post(bodyOf('fail', 10), failing)).status).toBe(503);
    expect(deps.budget.inUse).toBe(0);
    const throwing: IngestDeps = {
      ...deps,
      now: () => {
        throw new Error('clock broke');
      },
    };
    await expect(post(bodyOf('boom', 10), throwing)).rejects.toThrow('clock broke');
    expect(deps.budget.inUse).toBe(0);
    await expect(handleEvents(streamed([Buffer.from('[{"a":1},')], 'error'), deps)).rejects.toThrow('the client went away');
    expect(deps.budget.inUse).toBe(0);
    expect((await drain()).rows).toHaveLength(0);
  });
});
