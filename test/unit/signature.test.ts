// Request authentication: Standard Webhooks signatures (signed here with the standardwebhooks package itself) and the
// retired Data Collector API's SharedKey scheme (computed here independently with node:crypto).
import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../shared/http.js';
import {
  DATA_COLLECTOR_CLOCK_SKEW_MS,
  dataCollectorSignature,
  dataCollectorStringToSign,
  verifyDataCollector,
  verifyStandardWebhook,
} from '../../shared/ingest/signature.js';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

function signed(body: string, options: { secret?: string; at?: Date; id?: string } = {}): Headers {
  const id = options.id ?? `msg_${randomBytes(6).toString('hex')}`;
  const at = options.at ?? new Date();
  return new Headers({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(options.secret ?? SECRET).sign(id, at, body),
  });
}

function refusal(run: () => void): HttpError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(HttpError);
    return e as HttpError;
  }
  throw new Error('accepted');
}

describe('verifyStandardWebhook', () => {
  const body = JSON.stringify([{ type: 'new_hits', text: 'Grüße 🚀' }]);

  it('accepts a body signed with the secret', () => {
    expect(() => verifyStandardWebhook(SECRET, Buffer.from(body), signed(body))).not.toThrow();
  });

  it('accepts NDJSON (the payload is not parsed as JSON)', () => {
    const ndjson = '{"a":1}\n{"b":2}\n';
    expect(() => verifyStandardWebhook(SECRET, Buffer.from(ndjson), signed(ndjson))).not.toThrow();
  });

  it('accepts any one valid signature of several (secret rotation)', () => {
    const headers = signed(body);
    const other = signed(body, { secret: `whsec_${randomBytes(24).toString('base64')}`, id: headers.get('webhook-id') as string });
    headers.set('webhook-signature', `${other.get('webhook-signature')} ${headers.get('webhook-signature')}`);
    expect(() => verifyStandardWebhook(SECRET, Buffer.from(body), headers)).not.toThrow();
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('refuses a request without %s (401, names the headers)', (header) => {
    const headers = signed(body);
    headers.delete(header);
    const e = refusal(() => verifyStandardWebhook(SECRET, Buffer.from(body), headers));
    expect(e.status).toBe(401);
    expect(e.message).toMatch(/signature required.*webhook-id, webhook-timestamp and webhook-signature/);
  });

  it('takes a plain shared secret as its UTF-8 bytes (senders configured with a password-like secret)', () => {
    const plain = 'a-plain-shared-secret-ü';
    const body = '{"a":1}';
    const id = 'msg_plain';
    const at = Math.floor(Date.now() / 1000);
    // Computed independently: HMAC-SHA256 over "id.timestamp.body" keyed with the secret's UTF-8 bytes.
    const sig = createHmac('sha256', Buffer.from(plain, 'utf8')).update(`${id}.${at}.${body}`).digest('base64');
    const headers = new Headers({ 'webhook-id': id, 'webhook-timestamp': String(at), 'webhook-signature': `v1,${sig}` });
    expect(() => verifyStandardWebhook(plain, Buffer.from(body), headers)).not.toThrow();
    expect(refusal(() => verifyStandardWebhook(`${plain}x`, Buffer.from(body), headers)).status).toBe(401);
  });

  it('refuses a signature made with another secret', () => {
    const other = `whsec_${randomBytes(24).toString('base64')}`;
    const e = refusal(() => verifyStandardWebhook(SECRET, Buffer.from(body), signed(body, { secret: other })));
    expect(e.status).toBe(401);
    expect(e.message).toMatch(/signature rejected: No matching signature/);
  });

  it('refuses a changed body', () => {
    const e = refusal(() => verifyStandardWebhook(SECRET, Buffer.from(body.replace('Grüße', 'Gruesse')), signed(body)));
    expect(e.status).toBe(401);
    expect(e.message).toMatch(/signature rejected/);
  });

  it('refuses a changed webhook-id (the id is signed)', () => {
    const headers = signed(body);
    headers.set('webhook-id', 'msg_other');
    expect(refusal(() => verifyStandardWebhook(SECRET, Buffer.from(body), headers)).status).toBe(401);
  });

  it('refuses a stale timestamp (replay window: 5 minutes)', () => {
    const at = new Date(Date.now() - 6 * 60_000);
    const e = refusal(() => verifyStandardWebhook(SECRET, Buffer.from(body), signed(body, { at })));
    expect(e.status).toBe(401);
    expect(e.message).toMatch(/too old/);
  });

  it('refuses a timestamp from the future', () => {
    const at = new Date(Date.now() + 6 * 60_000);
    const e = refusal(() => verifyStandardWebhook(SECRET, Buffer.from(body), signed(body, { at })));
    expect(e.status).toBe(401);
    expect(e.message).toMatch(/too new/);
  });

  it('accepts a timestamp within the window', () => {
    const at = new Date(Date.now() - 4 * 60_000);
    expect(() => verifyStandardWebhook(SECRET, Buffer.from(body), signed(body, { at }))).not.toThrow();
  });
});

describe('Data Collector SharedKey', () => {
  const workspaceId = '11111111-2222-3333-4444-555555555555';
  const sharedKey = randomBytes(64).toString('base64');
  const date = new Date().toUTCString();

  /** The documented algorithm, written out independently of the product code. */
  function independent(key: string, body: string, xMsDate: string) {
    const length = Buffer.byteLength(body, 'utf8');
    const toSign = `POST\n${length}\napplication/json\nx-ms-date:${xMsDate}\n/api/logs`;
    return createHmac('sha256', Buffer.from(key, 'base64')).update(toSign, 'utf8').digest('base64');
  }
  const headers = (signature: string, xMsDate = date, id = workspaceId) =>
    new Headers({ 'x-ms-date': xMsDate, authorization: `SharedKey ${id}:${signature}` });

  it('builds the documented string to sign', () => {
    expect(dataCollectorStringToSign(17, 'Wed, 25 Nov 2026 12:00:00 GMT')).toBe(
      'POST\n17\napplication/json\nx-ms-date:Wed, 25 Nov 2026 12:00:00 GMT\n/api/logs',
    );
  });

  it('signs as the independent computation does, counting UTF-8 bytes', () => {
    const body = JSON.stringify([{ msg: 'Grüße 🚀' }]);
    expect(Buffer.byteLength(body)).toBeGreaterThan(body.length);
    expect(dataCollectorSignature(sharedKey, dataCollectorStringToSign(Buffer.byteLength(body), date))).toBe(
      independent(sharedKey, body, date),
    );
  });

  it.each([
    ['ASCII', '[{"a":1}]'],
    ['non-ASCII', JSON.stringify([{ msg: 'Grüße 🚀', name: 'Łódź' }])],
  ])('accepts a correctly signed %s body', (_, body) => {
    expect(() =>
      verifyDataCollector({ workspaceId, sharedKey }, Buffer.from(body), headers(independent(sharedKey, body, date))),
    ).not.toThrow();
  });

  it('refuses a signature over the character count instead of the byte count', () => {
    const body = JSON.stringify([{ msg: 'Grüße 🚀' }]);
    const toSign = `POST\n${body.length}\napplication/json\nx-ms-date:${date}\n/api/logs`;
    const wrong = createHmac('sha256', Buffer.from(sharedKey, 'base64')).update(toSign).digest('base64');
    expect(refusal(() => verifyDataCollector({ workspaceId, sharedKey }, Buffer.from(body), headers(wrong))).status).toBe(403);
  });

  it('refuses another key, another workspace, a body of another length (403)', () => {
    const body = '[{"a":1}]';
    const auth = { workspaceId, sharedKey };
    const other = randomBytes(64).toString('base64');
    for (const run of [
      () => verifyDataCollector(auth, Buffer.from(body), headers(independent(other, body, date))),
      () =>
        verifyDataCollector(
          auth,
          Buffer.from(body),
          headers(independent(sharedKey, body, date), date, '99999999-2222-3333-4444-555555555555'),
        ),
      () => verifyDataCollector(auth, Buffer.from('[{"a":22}]'), headers(independent(sharedKey, body, date))),
    ]) {
      const e = refusal(run);
      expect(e.status).toBe(403);
      expect(e.message).toMatch(/signature does not match/);
      expect(e.toResponse().jsonBody).toMatchObject({ code: 'InvalidAuthorization' });
    }
  });

  it('covers only the length of the body, as the retired API did (same-length changes pass)', () => {
    const body = '[{"a":1}]';
    expect(() =>
      verifyDataCollector({ workspaceId, sharedKey }, Buffer.from('[{"a":2}]'), headers(independent(sharedKey, body, date))),
    ).not.toThrow();
  });

  it('refuses an x-ms-date more than 15 minutes away, either way', () => {
    const body = '[{"a":1}]';
    const now = Date.now();
    for (const offset of [-(DATA_COLLECTOR_CLOCK_SKEW_MS + 60_000), DATA_COLLECTOR_CLOCK_SKEW_MS + 60_000]) {
      const stale = new Date(now + offset).toUTCString();
      const e = refusal(() =>
        verifyDataCollector({ workspaceId, sharedKey }, Buffer.from(body), headers(independent(sharedKey, body, stale), stale), now),
      );
      expect(e.status).toBe(403);
      expect(e.message).toMatch(/x-ms-date is more than 15 minutes/);
    }
    const recent = new Date(now - 10 * 60_000).toUTCString();
    expect(() =>
      verifyDataCollector({ workspaceId, sharedKey }, Buffer.from(body), headers(independent(sharedKey, body, recent), recent), now),
    ).not.toThrow();
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['no x-ms-date', { authorization: 'SharedKey a:b' }, /x-ms-date header is required/],
    ['a garbled x-ms-date', { 'x-ms-date': 'yesterday', authorization: 'SharedKey a:b' }, /not an RFC 1123 date/],
    ['no Authorization', { 'x-ms-date': date }, /SharedKey <workspaceId>:<signature>/],
    ['a Bearer token', { 'x-ms-date': date, authorization: 'Bearer abc' }, /SharedKey <workspaceId>:<signature>/],
  ])('refuses %s (403)', (_, h, message) => {
    const e = refusal(() => verifyDataCollector({ workspaceId, sharedKey }, Buffer.from('[]'), new Headers(h)));
    expect(e.status).toBe(403);
    expect(e.message).toMatch(message);
  });
});
