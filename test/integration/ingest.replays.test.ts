// Issue 10 §5 (replays): a Standard-Webhooks-signed request (same webhook-id) and a legacy SharedKey request (same
// Authorization value) are accepted once inside their window, across instances (two apps over one storage account);
// the cheap checks (headers, timestamp window) come before the body is read or decompressed. Against Azurite.
import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../shared/app.js';
import { type Config, loadConfig } from '../../shared/config.js';
import { handleEvents, handleLegacyLogs, type IngestDeps } from '../../shared/ingest/handlers.js';
import { ensureStorageOf } from '../../tools/dev/apps.js';
import { useAzurite } from '../support/azurite.js';
import { request } from '../support/http.js';
import { drainEnvelopes } from '../support/queue.js';

const azurite = useAzurite();
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const WORKSPACE = '7c0a1b2c-3d4e-4f50-8a9b-0c1d2e3f4a5b';
const KEY = randomBytes(64).toString('base64');
let config: Config;
/** Two instances of the app: separate committers and clients, one storage account. */
let one: IngestDeps;
let two: IngestDeps;

beforeAll(async () => {
  config = loadConfig({
    AzureWebJobsStorage: azurite.current.connectionString,
    LOG_LEVEL: 'silent',
    INGEST_HMAC_SECRET: SECRET,
    DATA_COLLECTOR_WORKSPACE_ID: WORKSPACE,
    DATA_COLLECTOR_SHARED_KEY: KEY,
    INGEST_MAX_BODY_BYTES: '2048',
  });
  await ensureStorageOf(config);
  one = createApp(config).ingest;
  two = createApp(config).ingest;
});

const drain = () => {
  const s = createApp(config).storage;
  return drainEnvelopes(s.queue('events'), s.container('claim-checks'));
};
afterEach(async () => {
  await drain();
});

const signed = (body: string, id = `msg_${randomBytes(8).toString('hex')}`, at = new Date()) => ({
  'content-type': 'application/json',
  'webhook-id': id,
  'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
  'webhook-signature': new Webhook(SECRET).sign(id, at, body),
});
const events = (headers: Record<string, string>, body: string | Buffer, deps: IngestDeps) =>
  handleEvents(request({ path: '/api/events/generic', body, headers, params: { source: 'generic' } }), deps);

function legacyHeaders(body: string, date = new Date()) {
  const length = Buffer.byteLength(body);
  const xMsDate = date.toUTCString();
  const toSign = `POST\n${length}\napplication/json\nx-ms-date:${xMsDate}\n/api/logs`;
  const signature = createHmac('sha256', Buffer.from(KEY, 'base64')).update(toSign, 'utf8').digest('base64');
  return {
    'content-type': 'application/json',
    'log-type': 'new_hits',
    'x-ms-date': xMsDate,
    authorization: `SharedKey ${WORKSPACE}:${signature}`,
  };
}
const legacy = (headers: Record<string, string>, body: string | Buffer, deps: IngestDeps) =>
  handleLegacyLogs(request({ path: '/api/logs', body, headers }), deps);

describe('issue 10 §5: replays of signed requests are accepted once inside their window', () => {
  it('Standard Webhooks: the same webhook-id twice (on two instances) is stored once; the repeat names the first batch', async () => {
    const body = JSON.stringify([{ type: 'replayed', n: 1 }]);
    const headers = signed(body);
    const first = await events(headers, body, one);
    expect(first).toMatchObject({ status: 202, jsonBody: { accepted: 1 } });
    const again = await events(headers, body, two);
    expect(again).toMatchObject({
      status: 202,
      jsonBody: { accepted: 0, duplicate: true, batchId: (first.jsonBody as { batchId: string }).batchId },
    });
    // Re-signed with a new timestamp, the same id is still the same message.
    const resigned = await events(signed(body, headers['webhook-id'], new Date(Date.now() + 1000)), body, one);
    expect(resigned.jsonBody).toMatchObject({ duplicate: true, accepted: 0 });
    expect((await drain()).rows).toHaveLength(1);
  });

  it("a request that failed (503) gives its webhook-id back: the sender's retry is accepted", async () => {
    const body = JSON.stringify([{ type: 'retried', n: 2 }]);
    const headers = signed(body);
    const failing: IngestDeps = { ...one, committer: { submit: () => Promise.reject(new Error('queue down')) } as never };
    expect((await events(headers, body, failing)).status).toBe(503);
    expect(await events(headers, body, two)).toMatchObject({ status: 202, jsonBody: { accepted: 1 } });
    expect((await drain()).rows).toHaveLength(1);
  });

  it('legacy SharedKey: the same Authorization value twice → 200, then 403 (the signature does not cover the bytes)', async () => {
    const body = JSON.stringify([{ domain: 'example.com', type: 'sqli' }]);
    const headers = legacyHeaders(body);
    expect((await legacy(headers, body, one)).status).toBe(200);
    const again = await legacy(headers, body.replace('sqli', 'xss!'), two);
    expect(again).toMatchObject({
      status: 403,
      jsonBody: { Error: 'InvalidAuthorization', Message: expect.stringMatching(/already used \(replay\)/) },
    });
    expect((await drain()).rows).toHaveLength(1);
  });

  it('the cheap checks come first: no signature or a stale timestamp → 401 before a body is decompressed or measured', async () => {
    const notGzip = Buffer.from('this is not gzip at all');
    const unsigned = await events({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, notGzip, one);
    expect(unsigned).toMatchObject({ status: 401, jsonBody: { error: expect.stringMatching(/signature required/) } });
    const staleAt = new Date(Date.now() - 10 * 60_000);
    const stale = await events({ ...signed('[]', 'msg_stale', staleAt), 'content-encoding': 'gzip' }, notGzip, one);
    expect(stale).toMatchObject({ status: 401, jsonBody: { error: expect.stringMatching(/timestamp too old/) } });
    // Legacy: an x-ms-date outside the window is refused before the oversized body is read (403, not 413).
    const big = JSON.stringify([{ pad: 'x'.repeat(4096) }]);
    const old = await legacy(legacyHeaders(big, new Date(Date.now() - 20 * 60_000)), big, one);
    expect(old).toMatchObject({ status: 403, jsonBody: { code: 'InvalidAuthorization', error: expect.stringMatching(/15 minutes/) } });
  });

  it('the hourly sweep deletes keys whose window has ended, and only those', async () => {
    const body = JSON.stringify([{ type: 'swept', n: 3 }]);
    const headers = signed(body);
    expect((await events(headers, body, one)).status).toBe(202);
    const later = createApp(config, { now: () => Date.now() + 60 * 60_000 }).ingest.replays;
    expect(await later.sweep()).toBeGreaterThanOrEqual(1);
    // After the sweep the id is unknown again (its timestamp is outside the window by then, so a real replay is still refused).
    expect(await one.replays.remember('webhook', headers['webhook-id'], new Date(Date.now() + 60_000))).toEqual({ first: true });
    expect(await createApp(config).ingest.replays.sweep()).toBe(0);
  });
});
