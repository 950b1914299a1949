// POST /api/events[/{source}] end to end against Azurite: body formats, the Wallarm types and their streams (per-type
// and single-table mode), normalization, signatures, and every kind of bad input (a clear 4xx, never a 5xx).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getPath } from '../../shared/catalog/rows.js';
import type { JsonRecord } from '../../shared/catalog/types.js';
import { WALLARM_TYPE_NAMES } from '../../shared/catalog/wallarm.js';
import { type Config, loadConfig } from '../../shared/config.js';
import type { BridgeResponse } from '../../shared/http.js';
import { handleEvents, type IngestDeps } from '../../shared/ingest/handlers.js';
import { appOf, ensureStorageOf, ingestOf } from '../../tools/dev/apps.js';
import { useAzurite } from '../support/azurite.js';
import { jsonRequest, request } from '../support/http.js';
import { drainEnvelopes } from '../support/queue.js';

const azurite = useAzurite();
let baseEnv: Record<string, string>;

beforeAll(async () => {
  baseEnv = { AzureWebJobsStorage: azurite.current.connectionString, LOG_LEVEL: 'silent' };
  await ensureStorageOf(loadConfig(baseEnv));
});

const configs = new Map<string, Config>();
/** Config (and so deps: one group committer each) per distinct environment. */
function depsFor(extra: Record<string, string> = {}): IngestDeps {
  const key = JSON.stringify(extra);
  let config = configs.get(key);
  if (!config) {
    config = loadConfig({ ...baseEnv, ...extra });
    configs.set(key, config);
  }
  return ingestOf(config);
}

const drain = () => {
  const s = appOf(loadConfig(baseEnv)).storage;
  return drainEnvelopes(s.queue('events'), s.container('claim-checks'));
};

// Every test leaves the queue empty for the next.
afterEach(async () => {
  await drain();
});

interface Answer {
  error?: string;
  batchId?: string;
  accepted?: number;
  rejected?: { index: number; error: string }[];
  knownSources?: string[];
}
const answerOf = (r: BridgeResponse) => (r.jsonBody ?? {}) as Answer;

const EVENTS = '/api/events';
const post = (source: string | undefined, value: unknown, deps = depsFor(), query = '') =>
  handleEvents(jsonRequest(`${EVENTS}${source ? `/${source}` : ''}${query}`, value, source ? { source } : {}), deps);
const postRaw = (init: { source?: string; body?: string | Buffer; headers?: Record<string, string>; query?: string }, deps = depsFor()) =>
  handleEvents(
    request({
      path: `${EVENTS}${init.source ? `/${init.source}` : ''}${init.query ?? ''}`,
      ...(init.body !== undefined ? { body: init.body } : {}),
      headers: init.headers ?? { 'content-type': 'application/json' },
      params: init.source ? { source: init.source } : {},
    }),
    deps,
  );

// ---- fixtures --------------------------------------------------------------------------------------------------

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
const firstOf = (path: string) => (JSON.parse(fixture(path)) as JsonRecord[])[0] as JsonRecord;
const modelledAll = JSON.parse(fixture('wallarm/modelled-notifications.json')) as JsonRecord[];
const modelled = (notificationType: string) => {
  const r = modelledAll.find((x) => getPath(x, 'details.notification_type') === notificationType);
  if (!r) throw new Error(`no modelled ${notificationType}`);
  return structuredClone(r);
};
const issueWithRisk = (risk: string) => {
  const r = firstOf('wallarm/security-issue-2026.json');
  (getPath(r, 'details.security_issue') as JsonRecord).risk = risk;
  return r;
};

/** One realistic notification per legacy table, as Wallarm's webhook sends it. */
const WALLARM: Record<string, JsonRecord> = {
  new_hits: firstOf('wallarm/hits-2026-host.json'),
  vuln_high: issueWithRisk('Critical'),
  vuln_medium: issueWithRisk('Medium'),
  vuln_low: issueWithRisk('Info'),
  scope_object: modelled('new_scope_object_ips'),
  ip_blocked: firstOf('wallarm/ip-blocked.json'),
};
for (const t of WALLARM_TYPE_NAMES) WALLARM[t] ??= modelled(t);
/** Types without a legacy table: always the single table. */
const UNMAPPED = ['compromised_logins', 'incidents_exceeded', 'api_comparison_result'];

const MCAS_ROWS = JSON.parse(fixture('mcas/log-analytics-export.json')) as JsonRecord[];
const mcas = (patch: JsonRecord = {}) => ({ ...structuredClone(MCAS_ROWS[0] as JsonRecord), ...patch });

// ---- tests -----------------------------------------------------------------------------------------------------

describe('Wallarm: the 23 legacy types in one mixed request', () => {
  const body = () => [...WALLARM_TYPE_NAMES.map((t) => WALLARM[t]), ...UNMAPPED.map(modelled)];

  it('covers 23 tables', () => {
    expect(WALLARM_TYPE_NAMES).toHaveLength(23);
    expect(Object.keys(WALLARM)).toHaveLength(23);
  });

  it('per-type mode: 202, and every decoded event is in its own type stream', async () => {
    const res = await post('wallarm', body());
    expect(res.status).toBe(202);
    expect(answerOf(res)).toMatchObject({ accepted: 26, rejected: [] });

    const { envelopes, rows } = await drain();
    expect(rows).toHaveLength(26);
    const streamOfType = new Map<string, Set<string>>();
    for (const e of envelopes) {
      for (const row of e.rows) {
        const set = streamOfType.get(row.EventType as string) ?? new Set();
        set.add(e.stream);
        streamOfType.set(row.EventType as string, set);
        expect(row.Source).toBe('wallarm');
      }
    }
    for (const t of WALLARM_TYPE_NAMES) expect([...(streamOfType.get(t) ?? [])], t).toEqual([`Custom-${t}_CL`]);
    for (const t of UNMAPPED) expect([...(streamOfType.get(t) ?? [])], t).toEqual(['Custom-WallarmSentinel_CL']);
    // One message per stream: 23 type streams + the single table.
    expect(new Set(envelopes.map((e) => e.stream)).size).toBe(24);
    expect(envelopes).toHaveLength(24);
  });

  it('maps security-issue risk: Critical → vuln_high, Info → vuln_low, keeping the original risk', async () => {
    const res = await post('wallarm', [
      issueWithRisk('Critical'),
      issueWithRisk('High'),
      issueWithRisk('Medium'),
      issueWithRisk('Low'),
      issueWithRisk('Info'),
    ]);
    expect(res.status).toBe(202);
    const { rows } = await drain();
    const byRisk = Object.fromEntries(rows.map((r) => [r.Risk, r.EventType]));
    expect(byRisk).toEqual({ Critical: 'vuln_high', High: 'vuln_high', Medium: 'vuln_medium', Low: 'vuln_low', Info: 'vuln_low' });
  });

  it('WALLARM_TABLE set: every type goes to that one stream', async () => {
    const deps = depsFor({ WALLARM_TABLE: 'WallarmAll_CL' });
    const res = await post('wallarm', body(), deps);
    expect(res.status).toBe(202);
    expect(answerOf(res)).toMatchObject({ accepted: 26, rejected: [] });
    const { envelopes, rows } = await drain();
    expect(new Set(envelopes.map((e) => e.stream))).toEqual(new Set(['Custom-WallarmAll_CL']));
    expect(envelopes).toHaveLength(1);
    expect(rows.map((r) => r.EventType).sort()).toEqual([...WALLARM_TYPE_NAMES, ...UNMAPPED].sort());
    for (const row of rows) {
      expect(row.Vendor).toBe('Wallarm');
      expect(typeof row.RawData).toBe('string');
    }
    const hit = rows.find((r) => r.EventType === 'new_hits') as JsonRecord;
    expect(JSON.parse(hit.RawData as string)).toEqual(WALLARM.new_hits);
  });

  it('?type= names the type for records that do not', async () => {
    const bare = { summary: 'a new user', details: { client_name: 'TestCompany', user: { name: 'Ann' } } };
    const res = await post('wallarm', [bare], depsFor(), '?type=create_user');
    expect(res.status).toBe(202);
    const { envelopes } = await drain();
    expect(envelopes.map((e) => e.stream)).toEqual(['Custom-create_user_CL']);
    expect(envelopes[0]?.rows[0]).toMatchObject({ EventType: 'create_user', UserName: 'Ann' });
  });

  it('accepts the documented NDJSON body and a pre-2021 bare hit', async () => {
    const ndjson = await postRaw({
      source: 'wallarm',
      body: fixture('wallarm/hits-2026-host.ndjson'),
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(ndjson.status).toBe(202);
    const bare = await post('wallarm', JSON.parse(fixture('wallarm/hit-2020-bare.json')));
    expect(bare.status).toBe(202);
    const { envelopes, rows } = await drain();
    expect(new Set(envelopes.map((e) => e.stream))).toEqual(new Set(['Custom-new_hits_CL']));
    expect(rows.length).toBe(fixture('wallarm/hits-2026-host.ndjson').trim().split('\n').length + 1);
  });
});

describe('body formats', () => {
  const records = [
    { type: 'login', user: 'ann', n: 1 },
    { type: 'login', user: 'bob', n: 2 },
    { type: 'logout', user: 'cid', n: 3 },
  ];
  const ndjsonCrlf = `${JSON.stringify(records[0])}\r\n\r\n${JSON.stringify(records[1])}\r\n${JSON.stringify(records[2])}\r\n`;

  it.each<[string, () => { body: string | Buffer; headers: Record<string, string> }, number]>([
    ['a JSON object', () => ({ body: JSON.stringify(records[0]), headers: { 'content-type': 'application/json' } }), 1],
    ['a JSON array', () => ({ body: JSON.stringify(records), headers: { 'content-type': 'application/json' } }), 3],
    ['NDJSON with a blank line and CRLF', () => ({ body: ndjsonCrlf, headers: { 'content-type': 'application/x-ndjson' } }), 3],
    ['NDJSON as text/plain', () => ({ body: ndjsonCrlf, headers: { 'content-type': 'text/plain; charset=utf-8' } }), 3],
    ['no Content-Type', () => ({ body: JSON.stringify(records), headers: {} }), 3],
    [
      'a gzip JSON array',
      () => ({ body: gzipSync(JSON.stringify(records)), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }),
      3,
    ],
    [
      'gzip NDJSON',
      () => ({ body: gzipSync(ndjsonCrlf), headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' } }),
      3,
    ],
  ])('accepts %s', async (_, make, count) => {
    const res = await postRaw({ source: 'generic', ...make() });
    expect(res.status).toBe(202);
    expect(answerOf(res)).toMatchObject({ accepted: count, rejected: [] });
    expect(answerOf(res).batchId).toMatch(/^[0-9a-f-]{36}$/);
    const { envelopes, rows } = await drain();
    expect(envelopes.map((e) => e.stream)).toEqual(['Custom-WebhookEvents_CL']);
    expect(rows.map((r) => (r.RawData as JsonRecord).user)).toEqual(records.slice(0, count).map((r) => r.user));
  });

  it('takes the source from ?source= when the route has none, generic by default', async () => {
    expect((await post(undefined, [mcas()], depsFor(), '?source=mcas')).status).toBe(202);
    expect((await post(undefined, { hello: 'world' })).status).toBe(202);
    const { envelopes } = await drain();
    expect(envelopes.map((e) => e.stream).sort()).toEqual(['Custom-McasShadowItReporting_CL', 'Custom-WebhookEvents_CL']);
  });
});

describe('normalization', () => {
  const FIXED = new Date('2026-11-25T12:34:56.789Z');
  const fixedDeps = () => ({ ...depsFor(), now: () => FIXED });

  it('TimeGenerated from the event, else the receipt time; ReceivedAt, Source, EventType; RawData keeps the rest', async () => {
    const res = await post(
      'generic',
      [
        { type: 'login', timestamp: '2026-11-20T10:00:00+02:00', user: 'ann', geo: { city: 'Köln', ip: '10.0.0.1' } },
        { event_type: 'logout', user: 'bob' },
        { user: 'cid', time: 1764000000 },
      ],
      fixedDeps(),
    );
    expect(res.status).toBe(202);
    const { rows } = await drain();
    expect(rows[0]).toMatchObject({
      TimeGenerated: '2026-11-20T08:00:00.000Z',
      EventTime: '2026-11-20T08:00:00.000Z',
      ReceivedAt: FIXED.toISOString(),
      Source: 'generic',
      EventType: 'login',
      RawData: { type: 'login', timestamp: '2026-11-20T10:00:00+02:00', user: 'ann', geo: { city: 'Köln', ip: '10.0.0.1' } },
    });
    expect(rows[1]).toMatchObject({
      TimeGenerated: FIXED.toISOString(),
      ReceivedAt: FIXED.toISOString(),
      EventType: 'logout',
      RawData: { user: 'bob' },
    });
    expect(rows[1]?.EventTime).toBeUndefined();
    expect(rows[2]).toMatchObject({ TimeGenerated: '2025-11-24T16:00:00.000Z', EventType: 'event' });
    for (const row of rows) expect(row.EventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('?type= wins over the record type', async () => {
    expect((await post('generic', { type: 'login' }, depsFor(), '?type=audit')).status).toBe(202);
    expect((await drain()).rows[0]?.EventType).toBe('audit');
  });

  it('EventId: stable for an identical resend (even with keys reordered), different otherwise', async () => {
    const event = { type: 'login', user: 'ann', at: '2026-11-20T10:00:00Z', tags: ['a', 'b'] };
    const reordered = { tags: ['a', 'b'], at: '2026-11-20T10:00:00Z', user: 'ann', type: 'login' };
    await post('generic', event);
    await post('generic', event, fixedDeps());
    await post('generic', reordered);
    await post('generic', { ...event, user: 'bob' });
    await post('generic', { ...event, tags: ['b', 'a'] });
    await post('generic', event, depsFor(), '?type=other');
    const ids = (await drain()).rows.map((r) => r.EventId);
    expect(ids).toHaveLength(6);
    expect(new Set(ids.slice(0, 3)).size).toBe(1);
    expect(new Set(ids).size).toBe(4);
  });

  it('a Wallarm hit: typed columns from the event, its own time, unmapped fields kept in RawData', async () => {
    const hit = WALLARM.new_hits as JsonRecord;
    expect((await post('wallarm', [hit], fixedDeps())).status).toBe(202);
    const row = (await drain()).rows[0] as JsonRecord;
    expect(row).toMatchObject({
      TimeGenerated: '2023-12-25T15:57:03.000Z',
      ReceivedAt: FIXED.toISOString(),
      Source: 'wallarm',
      EventType: 'new_hits',
      ClientName: 'Test Company',
      AttackType: 'sqli',
      Host: 'example.com',
      RemoteAddr: '8.8.8.8',
      RemotePort: 41253,
      ResponseStatus: 404,
      Severity: 'high',
    });
    const raw = row.RawData as JsonRecord;
    for (const path of ['details.hit.brute_counter', 'details.hit.lom_id', 'details.hit.stamps_hash', 'details.hit.regex']) {
      expect(getPath(raw, path), path).toEqual(getPath(hit, path));
    }
    // A field that went into a typed column is not repeated in RawData.
    expect(getPath(raw, 'details.hit.type')).toBeUndefined();
  });

  it('an MCAS discovery row: typed columns, reserved names renamed, numeric strings read as numbers', async () => {
    expect((await post('mcas', MCAS_ROWS)).status).toBe(202);
    const { envelopes, rows } = await drain();
    expect(envelopes.map((e) => e.stream)).toEqual(['Custom-McasShadowItReporting_CL']);
    expect(rows[0]).toMatchObject({
      TimeGenerated: '2026-11-24T10:00:00.000Z',
      Source: 'mcas',
      EventType: 'discovery',
      McasTenantId: '6f4b2c3a-91d0-4b8e-a1c2-3d4e5f607182',
      RecordType: 'McasShadowItReporting',
      AppId: 15600,
      AppScore: 10,
      UploadedBytes: 5368709120,
      AppTags: ['sanctioned', 'Corporate storage'],
    });
    // Fields no column takes stay in RawData (the event's own time field too: TimeGenerated/EventTime hold it parsed).
    expect(rows[0]?.RawData).toEqual({ TimeGenerated: '2026-11-24T10:00:00Z', _BilledSize: 712, _IsBillable: 'True' });
  });
});

describe('signatures (INGEST_HMAC_SECRET set)', () => {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const signedDeps = () => depsFor({ INGEST_HMAC_SECRET: secret });
  const sign = (body: string, at = new Date(), key = secret, id = `msg_${randomBytes(8).toString('hex')}`) => ({
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(key).sign(id, at, body),
  });
  const body = JSON.stringify([{ type: 'signed', n: 1 }]);

  it('accepts a good signature', async () => {
    const res = await postRaw({ source: 'generic', body, headers: sign(body) }, signedDeps());
    expect(res.status).toBe(202);
    expect((await drain()).rows).toHaveLength(1);
  });

  it('verifies a gzip body on its decoded JSON', async () => {
    const res = await postRaw(
      { source: 'generic', body: gzipSync(body), headers: { ...sign(body), 'content-encoding': 'gzip' } },
      signedDeps(),
    );
    expect(res.status).toBe(202);
  });

  it.each<[string, () => Record<string, string>, RegExp]>([
    ['no signature', () => ({ 'content-type': 'application/json' }), /signature required.*webhook-signature/],
    ['a signature from another secret', () => sign(body, new Date(), `whsec_${randomBytes(24).toString('base64')}`), /signature rejected/],
    ['a signature over another body', () => sign(body.replace('1', '2')), /signature rejected/],
    [
      'a stale timestamp (10 minutes old)',
      () => sign(body, new Date(Date.now() - 10 * 60_000)),
      /signature rejected: Message timestamp too old/,
    ],
    ['a timestamp 10 minutes ahead', () => sign(body, new Date(Date.now() + 10 * 60_000)), /too new/],
  ])('refuses %s with 401 and enqueues nothing', async (_, headers, message) => {
    const res = await postRaw({ source: 'generic', body, headers: headers() }, signedDeps());
    expect(res.status).toBe(401);
    expect(answerOf(res).error).toMatch(message);
    expect((await drain()).messages).toBe(0);
  });
});

describe('bad input: a clear 4xx naming the problem, never a 5xx', () => {
  const small = () => depsFor({ INGEST_MAX_BODY_BYTES: '1024' });
  const bomb = gzipSync(Buffer.from(JSON.stringify([{ pad: ' '.repeat(4 * 1024 * 1024) }])));

  interface BadCase {
    name: string;
    send: () => Promise<BridgeResponse>;
    status: number;
    error: RegExp;
    rejected?: { index: number; error: RegExp }[];
  }
  const CASES: BadCase[] = [
    { name: 'malformed JSON', send: () => postRaw({ source: 'generic', body: '{"a": 1,' }), status: 400, error: /^malformed JSON/ },
    {
      name: 'malformed NDJSON line',
      send: () => postRaw({ source: 'generic', body: '{"a":1}\n{"b":}\n' }),
      status: 400,
      error: /^malformed NDJSON at line 2/,
    },
    { name: 'an empty body', send: () => postRaw({ source: 'generic', body: '' }), status: 400, error: /request body is empty/ },
    { name: 'no body at all', send: () => postRaw({ source: 'generic' }), status: 400, error: /request body is empty/ },
    { name: 'an empty array', send: () => post('generic', []), status: 400, error: /no events: the body is an empty array/ },
    {
      name: 'MCAS AppScore "eleven"',
      send: () => post('mcas', [mcas({ AppScore: 'eleven' })]),
      status: 400,
      error: /no valid events/,
      rejected: [{ index: 0, error: /^AppScore: expected a number, got "eleven"/ }],
    },
    {
      name: 'MCAS AppScore 11',
      send: () => post('mcas', [mcas({ AppScore: 11 })]),
      status: 400,
      error: /no valid events/,
      rejected: [{ index: 0, error: /^AppScore: must be ≤ 10, got 11/ }],
    },
    {
      name: 'MCAS AppId "abc"',
      send: () => post('mcas', [mcas({ AppId: 'abc' })]),
      status: 400,
      error: /no valid events/,
      rejected: [{ index: 0, error: /^AppId: expected a number/ }],
    },
    {
      name: 'MCAS with two bad fields',
      send: () => post('mcas', mcas({ AppId: 1.5, TotalEvents: -1 })),
      status: 400,
      error: /no valid events/,
      rejected: [{ index: 0, error: /TotalEvents: must be ≥ 0, got -1.*AppId: expected an integer/ }],
    },
    {
      name: 'an unknown MCAS type',
      send: () => post('mcas', [mcas()], depsFor(), '?type=alerts'),
      status: 400,
      error: /no valid events/,
      rejected: [{ index: 0, error: /unknown mcas event type; known types: discovery/ }],
    },
    {
      name: 'array items that are not objects',
      send: () => post('generic', [1, 'x', null, [{}]]),
      status: 400,
      error: /no valid events/,
      rejected: [
        { index: 0, error: /expected a JSON object, got number/ },
        { index: 1, error: /expected a JSON object, got string/ },
        { index: 2, error: /expected a JSON object, got null/ },
        { index: 3, error: /expected a JSON object, got an array/ },
      ],
    },
    {
      name: 'a time that is not a date',
      send: () => post('generic', { timestamp: 'last tuesday' }),
      status: 400,
      error: /no valid events/,
      rejected: [{ index: 0, error: /^timestamp: expected a date-time/ }],
    },
    // Found by this suite: toIsoTime threw RangeError (→ 500) for a number past the Date range; fixed in rows.ts.
    {
      name: 'a time past the Date range',
      send: () => post('generic', { timestamp: 1e17 }),
      status: 400,
      error: /no valid events/,
      rejected: [{ index: 0, error: /^timestamp: expected a date-time/ }],
    },
    {
      name: 'a Wallarm ip_blocked with a bad expire_at',
      send: () =>
        post('wallarm', [
          {
            ...(WALLARM.ip_blocked as JsonRecord),
            details: { ...((WALLARM.ip_blocked as JsonRecord).details as JsonRecord), expire_at: 'never' },
          },
        ]),
      status: 400,
      error: /no valid events/,
      rejected: [{ index: 0, error: /^details\.expire_at: expected a date-time/ }],
    },
    {
      name: 'a declared Content-Length over INGEST_MAX_BODY_BYTES',
      send: () =>
        postRaw({ source: 'generic', body: '{"a":1}', headers: { 'content-type': 'application/json', 'content-length': '5000' } }, small()),
      status: 413,
      error: /larger than 1024 bytes \(INGEST_MAX_BODY_BYTES\)/,
    },
    {
      name: 'a chunked body over INGEST_MAX_BODY_BYTES',
      send: () => postRaw({ source: 'generic', body: JSON.stringify({ pad: 'x'.repeat(2000) }) }, small()),
      status: 413,
      error: /larger than 1024 bytes/,
    },
    {
      name: 'a gzip bomb decoding past INGEST_MAX_BODY_BYTES',
      send: () =>
        postRaw({ source: 'generic', body: bomb, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }, small()),
      status: 413,
      error: /larger than 1024 bytes/,
    },
    {
      name: 'bad gzip',
      send: () =>
        postRaw({ source: 'generic', body: '{"a":1}', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }),
      status: 400,
      error: /not valid gzip/,
    },
    {
      name: 'a wrong Content-Type',
      send: () => postRaw({ source: 'generic', body: '<a/>', headers: { 'content-type': 'application/xml' } }),
      status: 415,
      error: /unsupported Content-Type application\/xml/,
    },
    {
      name: 'a form post',
      send: () => postRaw({ source: 'generic', body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      status: 415,
      error: /Content-Type/,
    },
    {
      name: 'a wrong Content-Encoding',
      send: () =>
        postRaw({ source: 'generic', body: '{"a":1}', headers: { 'content-type': 'application/json', 'content-encoding': 'br' } }),
      status: 415,
      error: /unsupported Content-Encoding br/,
    },
    {
      name: 'an unknown source',
      send: () => post('splunk', { a: 1 }),
      status: 404,
      error: /unknown source "splunk"; known sources: wallarm, mcas, generic/,
    },
    {
      name: 'an unknown ?source=',
      send: () => post(undefined, { a: 1 }, depsFor(), '?source=nope'),
      status: 404,
      error: /unknown source "nope"/,
    },
  ];

  it.each(CASES)('$name → $status', async ({ send, status, error, rejected }) => {
    const res = await send();
    expect(res.status).toBe(status);
    const body = answerOf(res);
    expect(body.error).toMatch(error);
    if (rejected) {
      expect(body.rejected).toHaveLength(rejected.length);
      rejected.forEach((r, i) => {
        expect(body.rejected?.[i]?.index).toBe(r.index);
        expect(body.rejected?.[i]?.error).toMatch(r.error);
      });
    }
    expect((await drain()).messages).toBe(0);
  });

  it('an unknown source lists the known ones in the body', async () => {
    const res = await post('splunk', { a: 1 });
    expect(answerOf(res).knownSources).toEqual(['wallarm', 'mcas', 'generic']);
  });

  it('a mixed batch: the valid records are accepted (202), the bad ones listed by index and field', async () => {
    const res = await post('mcas', [
      mcas({ UserName: 'ok-1' }),
      mcas({ AppScore: 'eleven' }),
      mcas({ UserName: 'ok-2' }),
      mcas({ AppId: 'abc' }),
      'nope',
    ]);
    expect(res.status).toBe(202);
    const body = answerOf(res);
    expect(body.accepted).toBe(2);
    expect(body.rejected?.map((r) => r.index)).toEqual([1, 3, 4]);
    expect(body.rejected?.[0]?.error).toMatch(/^AppScore: /);
    expect(body.rejected?.[1]?.error).toMatch(/^AppId: /);
    const { rows } = await drain();
    expect(rows.map((r) => r.UserName)).toEqual(['ok-1', 'ok-2']);
  });

  it('a mixed NDJSON batch reports the element index', async () => {
    const lines = [mcas({ UserName: 'a' }), mcas({ AppScore: 99 }), mcas({ UserName: 'c' })].map((r) => JSON.stringify(r)).join('\n');
    const res = await postRaw({ source: 'mcas', body: lines, headers: { 'content-type': 'application/x-ndjson' } });
    expect(res.status).toBe(202);
    expect(answerOf(res)).toMatchObject({ accepted: 2, rejected: [{ index: 1, error: expect.stringMatching(/^AppScore: must be ≤ 10/) }] });
  });
});
