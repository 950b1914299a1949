// Issue 10 §2–§3 through the real handlers against Azurite: bodies decoded exactly or refused with where, integers
// beyond 2^53 delivered to the queue digit for digit, and hostile input of any shape answered 202 or 4xx, never 5xx.
import { createHmac, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MCAS_TABLE } from '../../shared/catalog/mcas.js';
import type { JsonRecord } from '../../shared/catalog/types.js';
import { WALLARM_TYPE_NAMES } from '../../shared/catalog/wallarm.js';
import { type Config, loadConfig } from '../../shared/config.js';
import type { BridgeResponse } from '../../shared/http.js';
import { handleEvents, handleLegacyLogs, type IngestDeps } from '../../shared/ingest/handlers.js';
import { appOf, ensureStorageOf, ingestOf } from '../../tools/dev/apps.js';
import { useAzurite } from '../support/azurite.js';
import { request } from '../support/http.js';
import { drainEnvelopes } from '../support/queue.js';

const azurite = useAzurite();
const WORKSPACE = '7c0a1b2c-3d4e-4f50-8a9b-0c1d2e3f4a5b';
const SHARED_KEY = randomBytes(64).toString('base64');
const HMAC_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
let config: Config;
let deps: IngestDeps;
let signedDeps: IngestDeps;

beforeAll(async () => {
  const env = {
    AzureWebJobsStorage: azurite.current.connectionString,
    LOG_LEVEL: 'silent',
    DATA_COLLECTOR_WORKSPACE_ID: WORKSPACE,
    DATA_COLLECTOR_SHARED_KEY: SHARED_KEY,
  };
  config = loadConfig(env);
  deps = ingestOf(config);
  signedDeps = ingestOf(loadConfig({ ...env, INGEST_HMAC_SECRET: HMAC_SECRET }));
  await ensureStorageOf(config);
});

const drain = () => drainEnvelopes(appOf(config).storage.queue('events'), appOf(config).storage.container('claim-checks'));
afterEach(async () => {
  await drain();
});

interface Answer {
  error?: string;
  byteOffset?: number;
  accepted?: number;
  rejected?: { index: number; error: string }[];
}
const answerOf = (r: BridgeResponse) => (r.jsonBody ?? {}) as Answer;

const postEvents = (source: string, body: string | Buffer, headers: Record<string, string> = {}, query = '', with_ = deps) =>
  handleEvents(
    request({
      path: `/api/events/${source}${query}`,
      body,
      headers: { 'content-type': 'application/json', ...headers },
      params: { source },
    }),
    with_,
  );

function postLegacy(body: Buffer, logType: string, headers: Record<string, string> = {}) {
  const date = new Date().toUTCString();
  const toSign = `POST\n${body.length}\napplication/json\nx-ms-date:${date}\n/api/logs`;
  const signature = createHmac('sha256', Buffer.from(SHARED_KEY, 'base64')).update(toSign, 'utf8').digest('base64');
  return handleLegacyLogs(
    request({
      path: '/api/logs?api-version=2016-04-01',
      body,
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
        'log-type': logType,
        'x-ms-date': date,
        authorization: `SharedKey ${WORKSPACE}:${signature}`,
        ...headers,
      },
    }),
    deps,
  );
}

const withBytes = (before: string, raw: number[], after: string) =>
  Buffer.concat([Buffer.from(before), Buffer.from(raw), Buffer.from(after)]);

describe('§2 body decoding through the handlers', () => {
  it('§2 invalid UTF-8 on /api/events → 400 naming the byte offset, nothing queued', async () => {
    const res = await postEvents('generic', withBytes('[{"a":"', [0xc3, 0x28], '"}]'));
    expect(res.status).toBe(400);
    expect(answerOf(res)).toMatchObject({ byteOffset: 7 });
    expect(answerOf(res).error).toContain('byte offset 7');
    expect((await drain()).rows).toHaveLength(0);
  });

  it('§2 invalid UTF-8 on the legacy /api/logs → 400 naming the byte offset (its signature covers only the length)', async () => {
    const res = await postLegacy(withBytes('[{"a":"', [0xff], '"}]'), 'new_hits');
    expect(res.status).toBe(400);
    expect(answerOf(res).error).toContain('byte offset 7');
    expect((await drain()).rows).toHaveLength(0);
  });

  it('§2 charset=windows-1252 is decoded as windows-1252 on both routes', async () => {
    const body = withBytes('[{"type":"t","price":"', [0x80, 0x20, 0x35], '"}]');
    expect((await postEvents('generic', body, { 'content-type': 'application/json; charset=windows-1252' })).status).toBe(202);
    expect((await postLegacy(body, 'prices', { 'content-type': 'application/json; charset=windows-1252' })).status).toBe(200);
    const rows = (await drain()).rows;
    expect(rows.map((r) => (r.RawData as JsonRecord).price)).toEqual(['€ 5', '€ 5']);
  });

  it('§2 an unknown charset → 415 naming it, on both routes', async () => {
    const body = Buffer.from('[{"a":1}]');
    for (const res of [
      await postEvents('generic', body, { 'content-type': 'application/json; charset=ebcdic' }),
      await postLegacy(body, 'x', { 'content-type': 'application/json; charset=ebcdic' }),
    ]) {
      expect(res.status).toBe(415);
      expect(answerOf(res).error).toMatch(/"ebcdic".*utf-8.*windows-1252/);
    }
  });

  const sign = (body: Buffer) => {
    const id = `msg_${randomBytes(8).toString('hex')}`;
    const at = new Date();
    return {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      // What a sender's standardwebhooks library signs: the body's text.
      'webhook-signature': new Webhook(HMAC_SECRET).sign(id, at, body.toString('utf8')),
    };
  };

  it('§2 a signature is checked over the bytes as received: a signed body that is not UTF-8 is a 400, not verified lossily', async () => {
    // Before: both bodies decoded to {"a":"\uFFFD"} and one signature verified either.
    const signed = withBytes('[{"a":"', [0xe9], '"}]');
    const other = withBytes('[{"a":"', [0xe8], '"}]');
    const headers = { ...sign(signed), 'content-type': 'application/json; charset=iso-8859-1' };
    for (const body of [signed, other]) {
      const res = await postEvents('generic', body, headers, '', signedDeps);
      expect(res.status).toBe(400);
      expect(answerOf(res).error).toMatch(/byte offset 7.*signed body must be UTF-8/);
    }
    const utf8 = Buffer.from('[{"a":"é"}]');
    expect((await postEvents('generic', utf8, sign(utf8), '', signedDeps)).status).toBe(202);
  });

  it('§2 trailing bytes after a gzip stream → 400; two gzip members → 202', async () => {
    const gz = gzipSync('[{"a":1}]');
    const trailing = await postEvents('generic', Buffer.concat([gz, Buffer.alloc(4)]), { 'content-encoding': 'gzip' });
    expect(trailing.status).toBe(400);
    expect(answerOf(trailing).error).toMatch(/after the end of the gzip stream/);
    const members = Buffer.concat([gzipSync('[{"a":1},'), gzipSync('{"a":2}]')]);
    expect(answerOf(await postEvents('generic', members, { 'content-encoding': 'gzip' }))).toMatchObject({ accepted: 2 });
  });

  it('§2 integers beyond 2^53 reach the queue digit for digit: long column exact, RawData as digits, beyond 2^63−1 listed', async () => {
    const body =
      '[{"AppName":"Box","TotalBytes":9223372036854775807,"UploadedBytes":9223372036854775808,"Extra":123456789012345678901234567890}]';
    const res = await postEvents('mcas', body);
    expect(res.status).toBe(202);
    const [row] = (await drain()).rows;
    expect(row).toMatchObject({ TotalBytes: '9223372036854775807', Unconverted: ['UploadedBytes'] });
    expect(row?.UploadedBytes).toBeUndefined();
    expect(row?.RawData).toMatchObject({ UploadedBytes: '9223372036854775808', Extra: '123456789012345678901234567890' });
    const generic = await postEvents('generic', '{"id":18446744073709551615}');
    expect(generic.status).toBe(202);
    expect((await drain()).rows[0]?.RawData).toEqual({ id: '18446744073709551615' });
  });
});

describe('§3 hostile input never becomes a 500', () => {
  it('§3 a Wallarm risk of "__proto__" is a per-record answer, not a 500, and the valid record beside it is accepted', async () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const body = JSON.stringify([
        { summary: 'ok', details: { notification_type: 'new_hits', hit: { type: 'sqli' } } },
        { summary: 'x', details: { notification_type: 'security_issue', security_issue: { risk: name } } },
        { summary: 'y', details: { notification_type: 'vuln', vuln: { threat: name } } },
        { summary: 'z', details: { notification_type: name } },
      ]);
      const res = await postEvents('wallarm', body);
      expect(res.status).toBe(202);
      expect(answerOf(res).accepted).toBe(4);
    }
    const rows = (await drain()).rows;
    // "constructor" as a type once wrote `function Object() { [native code] }` into Severity.
    for (const row of rows) expect(['high', 'medium', 'low', 'info']).toContain(row.Severity);
  });

  const PROTO = ['__proto__', 'constructor', 'toString', 'prototype', 'hasOwnProperty', 'valueOf', '__defineGetter__'] as const;
  const name = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...PROTO));
  /** A marker JSON.stringify leaves in place of a bigint; the body gets its bare digits. */
  const BIG = '\u0000big:';
  const leaf = fc.oneof(
    name,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => `${BIG}${n}`),
  );
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: 3 },
      leaf,
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(name, tie('value'), { maxKeys: 4 }),
    ),
  }));
  const anyOf = <T>(...arbs: fc.Arbitrary<T>[]) => fc.oneof(...arbs, value as fc.Arbitrary<T>);
  const withExtras = (known: fc.Arbitrary<Record<string, unknown>>) =>
    fc.tuple(known, fc.dictionary(name, value, { maxKeys: 3 })).map(([k, extra]) => ({ ...extra, ...k }));
  const wallarm = withExtras(
    fc.record(
      {
        summary: anyOf(name),
        details: withExtras(
          fc.record(
            {
              notification_type: anyOf(fc.constantFrom(...WALLARM_TYPE_NAMES, 'security_issue', 'vuln', 'new_scope_object_ips'), name),
              security_issue: withExtras(fc.record({ risk: anyOf(name), threat: anyOf(name) }, { requiredKeys: [] })),
              vuln: withExtras(fc.record({ threat: anyOf(name), risk: anyOf(name) }, { requiredKeys: [] })),
              hit: fc.dictionary(fc.oneof(name, fc.constantFrom('type', 'request_time', 'remote_port', 'response_len')), value),
            },
            { requiredKeys: [] },
          ),
        ),
        threat: anyOf(name),
        title: anyOf(name),
        object_type: anyOf(fc.constant('hit'), name),
      },
      { requiredKeys: [] },
    ),
  );
  const mcasKeys = MCAS_TABLE.columns.flatMap((c) => c.from ?? []);
  const mcas = fc.dictionary(fc.oneof(fc.constantFrom(...mcasKeys), name), value, { maxKeys: 8 });
  const generic = withExtras(fc.record({ type: anyOf(name), event_type: anyOf(name), timestamp: anyOf(name) }, { requiredKeys: [] }));
  const bodyOf = (elements: unknown[]) => JSON.stringify(elements).replace(/"\\u0000big:(-?\d+)"/g, '$1');
  const contentType = fc.oneof(
    fc.constant('application/json'),
    fc
      .constantFrom('utf-8', 'windows-1252', 'iso-8859-1', 'us-ascii', 'ebcdic', '__proto__', 'constructor')
      .map((c) => `application/json; charset=${c}`),
  );

  /** 202 with every element accepted or reported once by index, 400 with the same report, or another 4xx. */
  function checkAnswer(res: BridgeResponse, elements: number) {
    expect(res.status === 202 || (res.status >= 400 && res.status < 500)).toBe(true);
    const a = answerOf(res);
    if (res.status === 202 || a.rejected) {
      const reported = new Set((a.rejected ?? []).map((r) => r.index));
      expect(reported.size).toBe(a.rejected?.length ?? 0);
      expect((a.accepted ?? 0) + reported.size).toBe(elements);
    }
  }

  let cases = 0;
  afterAll(() => {
    console.log(`§3 property tests: ${cases} requests through the handlers, 0 answered 5xx`);
  });

  it("§3 any string in any position of any source's record → 202 or 4xx, every element accounted for by index", async () => {
    const source = fc.oneof(
      fc.tuple(fc.constant('wallarm'), fc.array(wallarm, { minLength: 1, maxLength: 4 })),
      fc.tuple(fc.constant('mcas'), fc.array(mcas, { minLength: 1, maxLength: 4 })),
      fc.tuple(fc.constant('generic'), fc.array(generic, { minLength: 1, maxLength: 4 })),
      fc.tuple(fc.constantFrom(...PROTO), fc.array(value, { minLength: 1, maxLength: 2 })),
    );
    const typeHint = fc.option(name, { nil: undefined });
    await fc.assert(
      fc.asyncProperty(source, typeHint, contentType, async ([src, elements], hint, type) => {
        cases += 1;
        const query = hint === undefined ? '' : `?type=${encodeURIComponent(hint)}`;
        const res = await postEvents(src, bodyOf(elements), { 'content-type': type }, query);
        checkAnswer(res, elements.length);
      }),
      { numRuns: 100 },
    );
  });

  it('§3 any Log-Type and any record on the legacy route → 200 or 4xx, never 5xx', async () => {
    const logType = fc.oneof(
      fc.constantFrom(...PROTO, ...WALLARM_TYPE_NAMES, 'McasShadowItReporting', 'WallarmSentinel'),
      fc.stringMatching(/^[A-Za-z0-9_]{1,12}$/),
    );
    await fc.assert(
      fc.asyncProperty(
        logType,
        fc.array(fc.oneof(wallarm, mcas, generic), { minLength: 1, maxLength: 3 }),
        fc.option(fc.oneof(fc.constantFrom(...PROTO), fc.stringMatching(/^[!-~]{1,12}$/)), { nil: undefined }),
        async (type, elements, timeField) => {
          cases += 1;
          const res = await postLegacy(Buffer.from(bodyOf(elements)), type, timeField ? { 'time-generated-field': timeField } : {});
          expect(res.status === 200 || (res.status >= 400 && res.status < 500)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});
