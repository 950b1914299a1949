// The Logs Ingestion emulator driven by the real @azure/monitor-ingestion client (raw HTTPS only where the SDK cannot
// produce the request: no token, no api-version, an over-limit single body).
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isAggregateLogsUploadError, LogsIngestionClient, type LogsUploadFailure } from '@azure/monitor-ingestion';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../tools/dev/azurite.js';
import {
  type DataCollectionRule,
  type DroppedEntry,
  MAX_FIELD_BYTES,
  startLogsIngestionEmulator,
  type UploadLogEntry,
} from '../../tools/emulators/logsIngestion.js';
import { startEmulators } from '../../tools/emulators/main.js';
import type { RunningEmulator } from '../../tools/emulators/server.js';
import { type EmulatorTls, emulatorTls } from '../../tools/emulators/tls.js';
import { emulatorCredential } from '../support/credential.js';

const RULE = 'dcr-00000000000000000000000000000001';
const STREAM = 'Custom-WebhookEvents_CL';
const HEALTH = 'Custom-SentinelBridgeHealth_CL';
const WALLARM = 'Custom-WallarmSentinel_CL';

const credential = emulatorCredential;

let root: string;
let tls: EmulatorTls;

interface Started {
  emulator: RunningEmulator;
  dataDir: string;
  client: LogsIngestionClient;
}
const running: RunningEmulator[] = [];

async function start(opts: { dataDir?: string; rules?: DataCollectionRule[]; port?: number; apiVersion?: string } = {}): Promise<Started> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(root, 'data-')));
  const emulator = await startLogsIngestionEmulator({
    port: opts.port ?? (await freePort()),
    dataDir,
    tls,
    ...(opts.rules ? { rules: opts.rules } : {}),
  });
  running.push(emulator);
  const client = new LogsIngestionClient(emulator.url, credential, {
    tlsOptions: { ca: tls.ca },
    retryOptions: { maxRetries: 0 },
    ...(opts.apiVersion ? { apiVersion: opts.apiVersion } : {}),
  });
  return { emulator, dataDir, client };
}

async function call(
  base: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string; json: unknown }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method, ca: tls.ca, headers: { ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const ingestPath = (stream = STREAM, rule = RULE, apiVersion: string | null = '2023-01-01') =>
  `/dataCollectionRules/${rule}/streams/${stream}${apiVersion === null ? '' : `?api-version=${apiVersion}`}`;
const auth = { authorization: 'Bearer emulator-test-token', 'content-type': 'application/json' };

async function records(e: RunningEmulator, stream = STREAM): Promise<Record<string, unknown>[]> {
  return (await call(e.url, 'GET', `/_emulator/records?stream=${stream}`)).json as Record<string, unknown>[];
}
async function dropped(e: RunningEmulator, stream?: string): Promise<DroppedEntry[]> {
  return (await call(e.url, 'GET', `/_emulator/dropped${stream ? `?stream=${stream}` : ''}`)).json as DroppedEntry[];
}
async function uploads(e: RunningEmulator): Promise<UploadLogEntry[]> {
  return (await call(e.url, 'GET', '/_emulator/uploads')).json as UploadLogEntry[];
}
async function fault(e: RunningEmulator, f: unknown): Promise<void> {
  const r = await call(e.url, 'POST', '/_emulator/faults', JSON.stringify(f), { 'content-type': 'application/json' });
  expect(r.status).toBe(200);
}

const now = () => new Date().toISOString();
const event = (i: number, extra: Record<string, unknown> = {}) => ({
  TimeGenerated: now(),
  EventId: `evt-${i}`,
  Source: 'generic',
  EventType: 'test',
  RawData: { i },
  ...extra,
});

/** The error the SDK surfaces for a failed chunk. */
interface SdkCause {
  statusCode?: number;
  code?: string;
  message: string;
  response?: { headers: { get(name: string): string | undefined } };
}

async function uploadExpectingFailure(client: LogsIngestionClient, stream: string, logs: Record<string, unknown>[], rule = RULE) {
  const seen: LogsUploadFailure[] = [];
  let thrown: unknown;
  try {
    await client.upload(rule, stream, logs, { onError: (f) => seen.push(f) });
  } catch (e) {
    thrown = e;
  }
  expect(isAggregateLogsUploadError(thrown)).toBe(true);
  return { seen, causes: seen.map((f) => f.cause as unknown as SdkCause) };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sb-logs-ingestion-'));
  tls = await emulatorTls(root);
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('Logs Ingestion emulator: success path (real SDK client)', () => {
  it('stores records with the declared columns only and lists every dropped column', async () => {
    const { emulator, client } = await start();
    const sent = [event(1, { Unknown: 'x', Nested: { a: 1 } }), event(2, { Unknown: 'y' }), event(3)];
    await client.upload(RULE, STREAM, sent);

    const stored = await records(emulator);
    expect(stored).toHaveLength(3);
    expect(stored.map((r) => r.EventId)).toEqual(['evt-1', 'evt-2', 'evt-3']);
    for (const [i, r] of stored.entries()) {
      expect(Object.keys(r)).toEqual(['TimeGenerated', 'EventId', 'Source', 'EventType', 'RawData']);
      expect(r.RawData).toEqual({ i: i + 1 });
      expect(r.TimeGenerated).toBe(sent[i]?.TimeGenerated);
    }
    const lost = await dropped(emulator, STREAM);
    expect(lost).toEqual([
      { stream: STREAM, column: 'Unknown', reason: 'undeclaredColumn', count: 2, sample: 'x' },
      { stream: STREAM, column: 'Nested', reason: 'undeclaredColumn', count: 1, sample: { a: 1 } },
    ]);
    const log = await uploads(emulator);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ ruleId: RULE, stream: STREAM, status: 204, records: 3, stored: 3 });
    // The SDK gzips: the wire size is smaller than the JSON it carried.
    expect(log[0]?.wireBytes).toBeLessThan(log[0]?.bytes ?? 0);
  });

  it('answers 204 with no body, like the service', async () => {
    const { emulator } = await start();
    const r = await call(emulator.url, 'POST', ingestPath(), JSON.stringify([event(1)]), auth);
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
  });

  it('drops records without a usable TimeGenerated and reports them', async () => {
    const { emulator, client } = await start();
    await client.upload(RULE, STREAM, [
      event(1),
      { EventId: 'no-time' },
      event(3, { TimeGenerated: 'not a date' }),
      event(4, { TimeGenerated: null }),
    ]);
    expect((await records(emulator)).map((r) => r.EventId)).toEqual(['evt-1']);
    const lost = await dropped(emulator, STREAM);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ column: 'TimeGenerated', reason: 'missingTimeGenerated', count: 3, sample: { EventId: 'no-time' } });
  });

  it('replaces a TimeGenerated older than 2 days or over a day ahead with the receive time', async () => {
    const { emulator, client } = await start();
    const old = new Date(Date.now() - 3 * 24 * 3600_000).toISOString();
    const recent = new Date(Date.now() - 36 * 3600_000).toISOString();
    const before = Date.now();
    await client.upload(RULE, STREAM, [event(1, { TimeGenerated: old, EventTime: old }), event(2, { TimeGenerated: recent })]);
    const [first, second] = await records(emulator);
    expect(Date.parse(String(first?.TimeGenerated))).toBeGreaterThanOrEqual(before - 1000);
    expect(first?.EventTime).toBe(old);
    expect(second?.TimeGenerated).toBe(recent);
    expect(await dropped(emulator, STREAM)).toEqual([
      { stream: STREAM, column: 'TimeGenerated', reason: 'timeGeneratedAdjusted', count: 1, sample: old },
    ]);
  });

  it('truncates values over 64 KB and converts or nulls values by column type', async () => {
    const { emulator, client } = await start();
    const big = `${'é'.repeat(40_000)}tail`; // 80,004 bytes of UTF-8
    await client.upload(RULE, WALLARM, [{ TimeGenerated: now(), Summary: big, RawData: { a: 1 }, EventId: 42 }]);
    const [row] = await records(emulator, WALLARM);
    const summary = String(row?.Summary);
    expect(Buffer.byteLength(summary, 'utf8')).toBe(MAX_FIELD_BYTES);
    expect(big.startsWith(summary)).toBe(true);
    expect(row?.RawData).toBe('{"a":1}'); // RawData is a string column in the single-table mode
    expect(row?.EventId).toBe('42');
    expect(await dropped(emulator, WALLARM)).toEqual([
      { stream: WALLARM, column: 'Summary', reason: 'truncated', count: 1, sample: expect.stringMatching(/…$/) },
    ]);

    await client.upload(RULE, HEALTH, [
      { TimeGenerated: now(), Stream: STREAM, Accepted: '12', Delivered: 10, Failed: 'many', TargetEnabled: 'true', DeadLettered: 1.5 },
    ]);
    const [health] = await records(emulator, HEALTH);
    expect(health).toMatchObject({ Accepted: 12, Delivered: 10, Failed: null, TargetEnabled: true, DeadLettered: null });
    expect((await dropped(emulator, HEALTH)).map((d) => [d.column, d.reason, d.sample])).toEqual([
      ['Failed', 'typeMismatch', 'many'],
      ['DeadLettered', 'typeMismatch', 1.5],
    ]);
  });

  it('splits a >1 MB upload into several requests, all accepted and all records stored', async () => {
    const { emulator, client } = await start();
    const pad = 'x'.repeat(1000);
    const logs = Array.from({ length: 3000 }, (_, i) => event(i, { RawData: { i, pad } }));
    await client.upload(RULE, STREAM, logs, { maxConcurrency: 2 });

    const log = await uploads(emulator);
    expect(log.length).toBeGreaterThanOrEqual(3);
    expect(log.every((u) => u.status === 204 && u.bytes <= 1024 * 1024)).toBe(true);
    expect(log.reduce((n, u) => n + u.records, 0)).toBe(3000);
    const stored = await records(emulator);
    expect(stored).toHaveLength(3000);
    expect(new Set(stored.map((r) => r.EventId)).size).toBe(3000);
    expect(await dropped(emulator)).toEqual([]);
  });
});

describe('Logs Ingestion emulator: errors like the service', () => {
  it('401 AuthenticationFailed without a Bearer token', async () => {
    const { emulator } = await start();
    const body = JSON.stringify([event(1)]);
    const none = await call(emulator.url, 'POST', ingestPath(), body, { 'content-type': 'application/json' });
    expect(none.status).toBe(401);
    expect(none.json).toEqual({
      error: { code: 'AuthenticationFailed', message: expect.stringContaining("'Authorization' header is missing") },
    });
    expect(none.headers['x-ms-error-code']).toBe('AuthenticationFailed');
    const basic = await call(emulator.url, 'POST', ingestPath(), body, { authorization: 'Basic dXNlcjpwdw==' });
    expect(basic.status).toBe(401);
    expect(await records(emulator)).toEqual([]);
  });

  it('400 when api-version is missing or unsupported', async () => {
    const { emulator } = await start();
    const missing = await call(emulator.url, 'POST', ingestPath(STREAM, RULE, null), JSON.stringify([event(1)]), auth);
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ error: { code: 'MissingApiVersionParameter' } });

    const { client } = await start({ apiVersion: '2019-01-01' });
    const { causes } = await uploadExpectingFailure(client, STREAM, [event(1)]);
    expect(causes[0]).toMatchObject({ statusCode: 400, code: 'InvalidApiVersionParameter' });
  });

  it('404 for a stream the catalog does not declare', async () => {
    const { emulator, client } = await start();
    const { seen, causes } = await uploadExpectingFailure(client, 'Custom-NoSuchTable_CL', [event(1)]);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.failedLogs).toHaveLength(1);
    expect(causes[0]).toMatchObject({ statusCode: 404, code: 'InvalidStream' });
    expect(await records(emulator, 'Custom-NoSuchTable_CL')).toEqual([]);
  });

  it('404 for an unknown rule id or a stream outside the rule, when rules are configured', async () => {
    const { emulator, client } = await start({ rules: [{ ruleId: RULE, streams: [STREAM] }] });
    const unknownRule = await uploadExpectingFailure(client, STREAM, [event(1)], 'dcr-unknown');
    expect(unknownRule.causes[0]).toMatchObject({
      statusCode: 404,
      code: 'NotFound',
      message: "Data collection rule with immutable Id 'dcr-unknown' not found.",
    });
    const otherStream = await uploadExpectingFailure(client, HEALTH, [{ TimeGenerated: now() }]);
    expect(otherStream.causes[0]).toMatchObject({ statusCode: 404, code: 'InvalidStream' });
    await client.upload(RULE, STREAM, [event(1)]);
    expect(await records(emulator)).toHaveLength(1);
  });

  it('400 for a body that is not a JSON array of objects', async () => {
    const { emulator } = await start();
    for (const body of ['{"TimeGenerated":"2026-01-01T00:00:00Z"}', '[1,2]', '[{"a":1},null]', '[[]]', 'not json', '']) {
      const r = await call(emulator.url, 'POST', ingestPath(), body, auth);
      expect(r.status, body).toBe(400);
      expect(r.json, body).toMatchObject({ error: { code: 'InvalidPayload' } });
    }
    expect(await records(emulator)).toEqual([]);
  });

  it('413 ContentLengthLimitExceeded for one request over 1 MB, uncompressed or once gunzipped', async () => {
    const { emulator } = await start();
    const big = JSON.stringify([event(1, { RawData: { pad: 'x'.repeat(1024 * 1024) } })]);
    const plain = await call(emulator.url, 'POST', ingestPath(), big, auth);
    expect(plain.status).toBe(413);
    expect(plain.json).toEqual({
      error: {
        code: 'ContentLengthLimitExceeded',
        message: expect.stringMatching(/^Maximum allowed content length: 1048576 bytes \(1 MB\)\./),
      },
    });

    const zipped = gzipSync(big);
    expect(zipped.length).toBeLessThan(64 * 1024);
    const gz = await call(emulator.url, 'POST', ingestPath(), zipped, { ...auth, 'content-encoding': 'gzip' });
    expect(gz.status).toBe(413);
    expect(await records(emulator)).toEqual([]);

    // Just under the limit passes.
    const fits = JSON.stringify([event(2, { RawData: { pad: 'x'.repeat(1000 * 1000) } })]);
    expect((await call(emulator.url, 'POST', ingestPath(), gzipSync(fits), { ...auth, 'content-encoding': 'gzip' })).status).toBe(204);
  });

  it('a single record the SDK cannot split (over 1 MB) fails alone with 413; the other chunks are stored', async () => {
    const { emulator, client } = await start();
    const logs = [event(1), event(2, { RawData: { pad: 'x'.repeat(1024 * 1024) } }), event(3)];
    const { seen, causes } = await uploadExpectingFailure(client, STREAM, logs);
    expect(causes.map((c) => c.statusCode)).toEqual([413]);
    expect(seen[0]?.failedLogs.map((l) => (l as { EventId: string }).EventId)).toEqual(['evt-2']);
    expect((await records(emulator)).map((r) => r.EventId).sort()).toEqual(['evt-1', 'evt-3']);
  });
});

describe('Logs Ingestion emulator: faults', () => {
  it('500: the SDK reports the failed chunk and nothing is stored', async () => {
    const { emulator, client } = await start();
    await fault(emulator, { status: 500, count: 1 });
    const { seen, causes } = await uploadExpectingFailure(client, STREAM, [event(1), event(2)]);
    expect(causes[0]).toMatchObject({ statusCode: 500 });
    expect(seen[0]?.failedLogs).toHaveLength(2);
    expect(await records(emulator)).toEqual([]);
    // The fault was used up: the retry goes through.
    await client.upload(RULE, STREAM, seen[0]?.failedLogs ?? []);
    expect(await records(emulator)).toHaveLength(2);
  });

  it('429 with Retry-After: the header is visible to onError', async () => {
    const { emulator, client } = await start();
    await fault(emulator, { status: 429, count: 1, retryAfter: 7 });
    const { causes } = await uploadExpectingFailure(client, STREAM, [event(1)]);
    expect(causes[0]?.statusCode).toBe(429);
    expect(causes[0]?.response?.headers.get('retry-after')).toBe('7');
  });

  it('a fault hits only the chunk it lands on; the other chunks of the upload are stored', async () => {
    const { emulator, client } = await start();
    await fault(emulator, { status: 503, count: 1 });
    const pad = 'y'.repeat(1000);
    const logs = Array.from({ length: 2500 }, (_, i) => event(i, { RawData: { pad } }));
    const { seen } = await uploadExpectingFailure(client, STREAM, logs);
    expect(seen).toHaveLength(1);
    const failed = seen[0]?.failedLogs.length ?? 0;
    expect(failed).toBeGreaterThan(0);
    expect(await records(emulator)).toHaveLength(2500 - failed);
  });

  it('latency delays the answer, then succeeds', async () => {
    const { emulator, client } = await start();
    await fault(emulator, { latencyMs: 400, count: 1 });
    const t0 = Date.now();
    await client.upload(RULE, STREAM, [event(1)]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    expect(await records(emulator)).toHaveLength(1);
  });

  it('reset destroys the connection; the SDK reports a transport error', async () => {
    const { emulator, client } = await start();
    await fault(emulator, { reset: true, count: 1 });
    const { causes } = await uploadExpectingFailure(client, STREAM, [event(1)]);
    expect(causes[0]?.statusCode).toBeUndefined();
    expect(causes[0]?.code).toBe('ECONNRESET');
    expect(await records(emulator)).toEqual([]);
    await client.upload(RULE, STREAM, [event(2)]);
    expect(await records(emulator)).toHaveLength(1);
  });

  it('DELETE /_emulator/faults clears queued faults', async () => {
    const { emulator, client } = await start();
    await fault(emulator, [
      { status: 500, count: 2 },
      { status: 429, count: 1 },
    ]);
    expect((await call(emulator.url, 'DELETE', '/_emulator/faults')).json).toEqual([]);
    await client.upload(RULE, STREAM, [event(1)]);
    expect(await records(emulator)).toHaveLength(1);
  });
});

describe('Logs Ingestion emulator: state', () => {
  it('keeps records and dropped columns across a restart on the same data folder', async () => {
    const port = await freePort();
    const first = await start({ port });
    await first.client.upload(RULE, STREAM, [event(1, { Unknown: 1 }), event(2)]);
    await first.emulator.close();
    running.splice(running.indexOf(first.emulator), 1);
    expect(existsSync(join(first.dataDir, 'logs-ingestion.json'))).toBe(true);

    const second = await start({ dataDir: first.dataDir, port });
    expect((await records(second.emulator)).map((r) => r.EventId)).toEqual(['evt-1', 'evt-2']);
    expect(await dropped(second.emulator)).toHaveLength(1);
    await second.client.upload(RULE, STREAM, [event(3)]);
    expect((await records(second.emulator)).map((r) => r.EventId)).toEqual(['evt-1', 'evt-2', 'evt-3']);
  });

  it('reset routes: DELETE records (all or one stream) and DELETE dropped', async () => {
    const { emulator, client } = await start();
    await client.upload(RULE, STREAM, [event(1, { Unknown: 1 })]);
    await client.upload(RULE, HEALTH, [{ TimeGenerated: now(), Stream: STREAM, Extra: true }]);

    expect((await call(emulator.url, 'DELETE', '/_emulator/dropped')).status).toBe(200);
    expect(await dropped(emulator)).toEqual([]);
    expect(await records(emulator)).toHaveLength(1);

    await client.upload(RULE, STREAM, [event(2, { Unknown: 2 })]);
    expect((await call(emulator.url, 'DELETE', `/_emulator/records?stream=${HEALTH}`)).status).toBe(200);
    expect(await records(emulator, HEALTH)).toEqual([]);
    expect(await records(emulator)).toHaveLength(2);
    expect(await dropped(emulator, STREAM)).toHaveLength(1);

    await call(emulator.url, 'DELETE', '/_emulator/records');
    expect(await records(emulator)).toEqual([]);
    expect(await dropped(emulator)).toEqual([]);
    expect((await call(emulator.url, 'GET', '/_emulator/records')).json).toEqual({});

    expect((await uploads(emulator)).length).toBeGreaterThan(0);
    await call(emulator.url, 'DELETE', '/_emulator/uploads');
    expect(await uploads(emulator)).toEqual([]);
  });

  it('lists the declared streams and their columns', async () => {
    const { emulator } = await start();
    const streams = (await call(emulator.url, 'GET', '/_emulator/streams')).json as {
      stream: string;
      columns: { name: string; type: string }[];
    }[];
    const webhook = streams.find((s) => s.stream === STREAM);
    expect(webhook?.columns).toContainEqual({ name: 'TimeGenerated', type: 'datetime' });
    expect(webhook?.columns).toContainEqual({ name: 'RawData', type: 'dynamic' });
  });
});

describe('startEmulators', () => {
  it('starts every emulator, writes the CA to the data folder and keeps state under <dataDir>/emulators', async () => {
    const dataDir = join(root, 'local');
    const all = await startEmulators({
      dataDir,
      ports: {
        LOGS_INGESTION_EMULATOR_PORT: 0,
        SENTINEL_EMULATOR_PORT: 0,
        SINK_PORT: 0,
        GRAPH_EMULATOR_PORT: 0,
        LOG_ANALYTICS_EMULATOR_PORT: 0,
        PAGERDUTY_EMULATOR_PORT: 0,
      },
    });
    try {
      expect(all.caFile).toBe(join(dataDir, 'emulator-ca.pem'));
      expect(existsSync(all.caFile)).toBe(true);
      expect(Object.keys(all.urls).sort()).toEqual([
        'destination sink',
        'graph security',
        'log analytics query',
        'logs ingestion',
        'pagerduty rest',
        'sentinel',
      ]);
      const url = all.urls['logs ingestion'] ?? '';
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(all.urls['destination sink']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const client = new LogsIngestionClient(url, credential, { tlsOptions: { ca: all.ca }, retryOptions: { maxRetries: 0 } });
      await client.upload(RULE, STREAM, [event(1)]);
      expect(existsSync(join(dataDir, 'emulators', 'logs-ingestion.json'))).toBe(true);
    } finally {
      await all.stop();
    }
  });
});
