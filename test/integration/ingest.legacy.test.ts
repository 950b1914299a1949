// The retired HTTP Data Collector API at POST /api/logs, against Azurite. Signatures are computed here independently
// with node:crypto, exactly as the old API documented: HMAC-SHA256 (base64-decoded key) over
// "POST\n<content-length in UTF-8 bytes>\napplication/json\nx-ms-date:<RFC 1123 date>\n/api/logs".
import { createHmac, randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JsonRecord } from '../../shared/catalog/types.js';
import { type Config, loadConfig } from '../../shared/config.js';
import { handleLegacyLogs } from '../../shared/ingest/handlers.js';
import { appOf, ensureStorageOf, ingestOf } from '../../tools/dev/apps.js';
import { useAzurite } from '../support/azurite.js';
import { request } from '../support/http.js';
import { drainEnvelopes } from '../support/queue.js';

const azurite = useAzurite();
const WORKSPACE = '7c0a1b2c-3d4e-4f50-8a9b-0c1d2e3f4a5b';
const KEY = randomBytes(64).toString('base64');
let config: Config;

beforeAll(async () => {
  config = loadConfig({
    AzureWebJobsStorage: azurite.current.connectionString,
    LOG_LEVEL: 'silent',
    DATA_COLLECTOR_WORKSPACE_ID: WORKSPACE,
    DATA_COLLECTOR_SHARED_KEY: KEY,
  });
  await ensureStorageOf(config);
});

const drain = () => drainEnvelopes(appOf(config).storage.queue('events'), appOf(config).storage.container('claim-checks'));
afterEach(async () => {
  await drain();
});

function sharedKey(key: string, contentLength: number, date: string): string {
  const toSign = `POST\n${contentLength}\napplication/json\nx-ms-date:${date}\n/api/logs`;
  return createHmac('sha256', Buffer.from(key, 'base64')).update(toSign, 'utf8').digest('base64');
}

interface Send {
  body: string;
  logType?: string;
  date?: Date;
  key?: string;
  workspace?: string;
  query?: string;
  timeField?: string;
  headers?: Record<string, string>;
}

/** A request as a legacy sender makes it: signed over the UTF-8 byte length, Content-Length in bytes. */
function legacy(
  {
    body,
    logType = 'new_hits',
    date = new Date(),
    key = KEY,
    workspace = WORKSPACE,
    query = '?api-version=2016-04-01',
    timeField,
    headers = {},
  }: Send,
  deps = ingestOf(config),
) {
  const length = Buffer.byteLength(body, 'utf8');
  const xMsDate = date.toUTCString();
  return handleLegacyLogs(
    request({
      path: `/api/logs${query}`,
      body: Buffer.from(body, 'utf8'),
      headers: {
        'content-type': 'application/json',
        'content-length': String(length),
        'log-type': logType,
        'x-ms-date': xMsDate,
        authorization: `SharedKey ${workspace}:${sharedKey(key, length, xMsDate)}`,
        ...(timeField ? { 'time-generated-field': timeField } : {}),
        ...headers,
      },
    }),
    deps,
  );
}
const errorOf = (r: { jsonBody?: unknown }) => (r.jsonBody ?? {}) as { error?: string; Error?: string; Message?: string };

describe('POST /api/logs (legacy Data Collector)', () => {
  it('a signed non-ASCII body → 200, lands in Custom-new_hits_CL for Log-Type new_hits', async () => {
    const records = [
      {
        domain: 'example.com',
        type: 'sqli',
        method: 'GET',
        path: '/grüße',
        comment: 'Grüße 🚀',
        remote_addr4: '203.0.113.7',
        request_time: 1703519823,
      },
      { domain: 'example.org', type: 'xss', comment: '日本語 ✓' },
    ];
    const body = JSON.stringify(records);
    expect(Buffer.byteLength(body)).toBeGreaterThan(body.length);
    const res = await legacy({ body });
    expect(res.status).toBe(200);

    const { envelopes, rows } = await drain();
    expect(envelopes.map((e) => e.stream)).toEqual(['Custom-new_hits_CL']);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      Source: 'wallarm',
      EventType: 'new_hits',
      Host: 'example.com',
      AttackType: 'sqli',
      Path: '/grüße',
      RemoteAddr: '203.0.113.7',
      TimeGenerated: '2023-12-25T15:57:03.000Z',
    });
    expect(rows.map((r) => (r.RawData as JsonRecord).comment)).toEqual(['Grüße 🚀', '日本語 ✓']);
  });

  it('accepts a single object and no api-version', async () => {
    const res = await legacy({ body: JSON.stringify({ domain: 'example.com', type: 'sqli' }), query: '' });
    expect(res.status).toBe(200);
    expect((await drain()).rows).toHaveLength(1);
  });

  it('time-generated-field names the field that becomes TimeGenerated', async () => {
    const body = JSON.stringify([
      { observedAt: '2026-11-20T10:00:00Z', request_time: 1703519823, domain: 'example.com' },
      { observedAt: '2026-11-21T11:30:00.500Z', domain: 'example.com' },
    ]);
    expect((await legacy({ body, timeField: 'observedAt' })).status).toBe(200);
    expect(
      (await legacy({ body: JSON.stringify([{ when: '2026-11-22T00:00:00Z', x: 1 }]), logType: 'AppAudit', timeField: 'when' })).status,
    ).toBe(200);
    const rows = (await drain()).rows;
    expect(rows.map((r) => r.TimeGenerated)).toEqual(['2026-11-20T10:00:00.000Z', '2026-11-21T11:30:00.500Z', '2026-11-22T00:00:00.000Z']);
  });

  it('a time-generated-field value that is not a time refuses the batch (400)', async () => {
    const res = await legacy({ body: JSON.stringify([{ observedAt: 'yesterday' }]), logType: 'AppAudit', timeField: 'observedAt' });
    expect(res.status).toBe(400);
    expect(errorOf(res)).toMatchObject({ Error: 'InvalidDataFormat' });
    expect(JSON.stringify(res.jsonBody)).toContain('observedAt: expected a date-time');
  });

  it('an unknown Log-Type goes to the generic stream with EventType = the Log-Type', async () => {
    const res = await legacy({ body: JSON.stringify([{ user: 'ann', action: 'login' }]), logType: 'MyApp_Audit' });
    expect(res.status).toBe(200);
    const { envelopes, rows } = await drain();
    expect(envelopes.map((e) => e.stream)).toEqual(['Custom-WebhookEvents_CL']);
    expect(rows[0]).toMatchObject({ Source: 'generic', EventType: 'MyApp_Audit', RawData: { user: 'ann', action: 'login' } });
  });

  it('Log-Type of another catalog table lands there (McasShadowItReporting)', async () => {
    const res = await legacy({
      body: JSON.stringify([{ AppName: 'WeTransfer', AppId: '11294', AppScore: 4 }]),
      logType: 'McasShadowItReporting',
    });
    expect(res.status).toBe(200);
    const { envelopes, rows } = await drain();
    expect(envelopes.map((e) => e.stream)).toEqual(['Custom-McasShadowItReporting_CL']);
    expect(rows[0]).toMatchObject({ Source: 'mcas', AppId: 11294, AppScore: 4 });
  });

  it('with WALLARM_TABLE set, Log-Type new_hits lands in the single table', async () => {
    const single = ingestOf(
      loadConfig({
        AzureWebJobsStorage: azurite.current.connectionString,
        LOG_LEVEL: 'silent',
        DATA_COLLECTOR_WORKSPACE_ID: WORKSPACE,
        DATA_COLLECTOR_SHARED_KEY: KEY,
        WALLARM_TABLE: 'WallarmSentinel_CL',
      }),
    );
    const record = { domain: 'example.com', type: 'sqli', comment: 'Grüße 🚀' };
    expect((await legacy({ body: JSON.stringify([record]) }, single)).status).toBe(200);
    const { envelopes, rows } = await drain();
    expect(envelopes.map((e) => e.stream)).toEqual(['Custom-WallarmSentinel_CL']);
    expect(rows[0]).toMatchObject({ EventType: 'new_hits', Vendor: 'Wallarm' });
    expect(JSON.parse(rows[0]?.RawData as string)).toEqual(record);
  });

  it('another api-version is refused (400)', async () => {
    const res = await legacy({ body: '[{"a":1}]', query: '?api-version=2023-01-01' });
    expect(res.status).toBe(400);
    expect(errorOf(res)).toMatchObject({ Error: 'InvalidApiVersion', error: expect.stringMatching(/2016-04-01/) });
    expect((await drain()).messages).toBe(0);
  });

  it.each<[string, Partial<Send>, RegExp]>([
    ['the wrong key', { key: randomBytes(64).toString('base64') }, /signature does not match/],
    ['another workspace id', { workspace: '00000000-0000-0000-0000-000000000000' }, /signature does not match/],
    ['a stale x-ms-date (20 minutes old)', { date: new Date(Date.now() - 20 * 60_000) }, /x-ms-date is more than 15 minutes/],
    ['an x-ms-date 20 minutes ahead', { date: new Date(Date.now() + 20 * 60_000) }, /x-ms-date is more than 15 minutes/],
  ])('%s → 403', async (_, send, message) => {
    const res = await legacy({ body: JSON.stringify([{ comment: 'Grüße 🚀' }]), ...send });
    expect(res.status).toBe(403);
    expect(errorOf(res).error).toMatch(message);
    expect((await drain()).messages).toBe(0);
  });

  it('a signature over the character count (not UTF-8 bytes) → 403', async () => {
    const body = JSON.stringify([{ comment: 'Grüße 🚀' }]);
    const date = new Date().toUTCString();
    const res = await handleLegacyLogs(
      request({
        path: '/api/logs?api-version=2016-04-01',
        body,
        headers: {
          'content-type': 'application/json',
          'log-type': 'new_hits',
          'x-ms-date': date,
          authorization: `SharedKey ${WORKSPACE}:${sharedKey(KEY, body.length, date)}`,
        },
      }),
      ingestOf(config),
    );
    expect(res.status).toBe(403);
  });

  it.each<[string, Partial<Send>, number, RegExp]>([
    ['no Log-Type', { logType: '' }, 400, /Log-Type/],
    ['a Log-Type with a hyphen', { logType: 'my-logs' }, 400, /Log-Type must be 1-100 letters, digits or underscores/],
    ['a wrong Content-Type', { headers: { 'content-type': 'text/csv' } }, 415, /Content-Type must be application\/json/],
  ])('%s → %i', async (_, send, status, message) => {
    const res = await legacy({ body: '[{"a":1}]', ...send });
    expect(res.status).toBe(status);
    expect(errorOf(res).error).toMatch(message);
  });

  it('malformed JSON (correctly signed) → 400', async () => {
    const res = await legacy({ body: '[{"a":1},' });
    expect(res.status).toBe(400);
    expect(errorOf(res).error).toMatch(/malformed JSON/);
  });

  it('an invalid record refuses the whole batch (legacy senders read no per-record report)', async () => {
    const res = await legacy({
      body: JSON.stringify([
        { AppName: 'ok', AppScore: 4 },
        { AppName: 'bad', AppScore: 'eleven' },
      ]),
      logType: 'McasShadowItReporting',
    });
    expect(res.status).toBe(400);
    expect(res.jsonBody).toMatchObject({
      Error: 'InvalidDataFormat',
      rejected: [{ index: 1, error: expect.stringMatching(/^AppScore: expected a number/) }],
    });
    expect((await drain()).messages).toBe(0);
  });

  it('an empty array → 400', async () => {
    const res = await legacy({ body: '[]' });
    expect(res.status).toBe(400);
    expect(errorOf(res)).toMatchObject({ Error: 'InvalidDataFormat' });
  });

  it('a body over INGEST_MAX_BODY_BYTES → 413', async () => {
    const small = ingestOf(
      loadConfig({
        AzureWebJobsStorage: azurite.current.connectionString,
        LOG_LEVEL: 'silent',
        DATA_COLLECTOR_WORKSPACE_ID: WORKSPACE,
        DATA_COLLECTOR_SHARED_KEY: KEY,
        INGEST_MAX_BODY_BYTES: '1024',
      }),
    );
    const res = await legacy({ body: JSON.stringify([{ pad: 'x'.repeat(2000) }]) }, small);
    expect(res.status).toBe(413);
  });

  it('is off (403) until the workspace id and key are configured', async () => {
    const off = ingestOf(loadConfig({ AzureWebJobsStorage: azurite.current.connectionString, LOG_LEVEL: 'silent' }));
    const res = await legacy({ body: '[{"a":1}]' }, off);
    expect(res.status).toBe(403);
    expect(errorOf(res).error).toMatch(/DATA_COLLECTOR_WORKSPACE_ID and DATA_COLLECTOR_SHARED_KEY/);
  });
});
