import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CallbackInput } from '../../shared/callbacks/types.js';
import { parseWebhookCallback } from '../../shared/callbacks/webhook.js';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef');
const SECRET = `whsec_${KEY.toString('base64')}`;
const now = new Date();
const seconds = (at: Date) => String(Math.floor(at.getTime() / 1000));

/** Standard Webhooks, computed here with node:crypto: base64 HMAC-SHA256 of "id.timestamp.body" with the decoded key. */
const sign = (id: string, timestamp: string, body: string, key: Buffer = KEY) =>
  `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;

function input(
  body: string,
  o: { id?: string | null; timestamp?: string; signature?: string | null; secrets?: string[] } = {},
): CallbackInput {
  const id = o.id === undefined ? 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W' : o.id;
  const timestamp = o.timestamp ?? seconds(now);
  const signature = o.signature === undefined ? sign(id ?? '', timestamp, body) : o.signature;
  const headers = new Headers({ 'content-type': 'application/json', 'webhook-timestamp': timestamp });
  if (id !== null) headers.set('webhook-id', id);
  if (signature !== null) headers.set('webhook-signature', signature);
  return {
    body: Buffer.from(body),
    headers,
    url: new URL('https://bridge.example.com/api/incidents/siem/callback'),
    secrets: o.secrets ?? [SECRET],
    now,
  };
}

const INCIDENT = '6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f';

describe('generic webhook callbacks (Standard Webhooks)', () => {
  it.each([
    [
      { incidentId: INCIDENT, action: 'acknowledge', owner: 'ana@contoso.com' },
      { action: 'acknowledge', user: { email: 'ana@contoso.com' }, owner: 'ana@contoso.com' },
    ],
    [
      { incidentId: INCIDENT, action: 'acknowledge', owner: 'Ana' },
      { action: 'acknowledge', user: { name: 'Ana' }, owner: 'Ana' },
    ],
    [
      { incidentId: INCIDENT, action: 'acknowledge', owner: '0b4f3a52-58b3-4a39-9a0e-2f59a6d1c0aa' },
      { action: 'acknowledge', user: { id: '0b4f3a52-58b3-4a39-9a0e-2f59a6d1c0aa' }, owner: '0b4f3a52-58b3-4a39-9a0e-2f59a6d1c0aa' },
    ],
    [
      { incidentId: INCIDENT, action: 'close', classification: 'FalsePositive', classificationReason: 'InaccurateData', comment: 'noise' },
      { action: 'close', classification: 'FalsePositive', classificationReason: 'InaccurateData', note: 'noise' },
    ],
  ])('%j gives its event keyed by webhook-id', (body, expected) => {
    expect(parseWebhookCallback(input(JSON.stringify(body)))).toEqual({
      ok: true,
      events: [{ eventId: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', incidentRef: { kind: 'bridgeRef', value: INCIDENT }, ...expected }],
    });
  });

  it('accepts one matching signature among several, and a plain (non-whsec) shared secret as its UTF-8 bytes', () => {
    const body = JSON.stringify({ incidentId: INCIDENT, action: 'acknowledge' });
    const ts = seconds(now);
    const good = sign('msg_1', ts, body);
    expect(parseWebhookCallback(input(body, { id: 'msg_1', signature: `v1,AAAA ${good}` })).ok).toBe(true);
    const plain = 'a-plain-shared-secret-of-some-length';
    expect(
      parseWebhookCallback(input(body, { id: 'msg_1', signature: sign('msg_1', ts, body, Buffer.from(plain)), secrets: [plain] })).ok,
    ).toBe(true);
  });

  it.each([
    [
      'a tampered body',
      () => input('{"incidentId":"x","action":"close"}', { signature: sign('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', seconds(now), '{}') }),
    ],
    ['a wrong secret', () => input('{}', { signature: sign('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', seconds(now), '{}', Buffer.from('other')) })],
    ['a missing signature', () => input('{}', { signature: null })],
    ['a missing webhook-id', () => input('{}', { id: null, signature: 'v1,x' })],
    ['a webhook-id with a dot', () => input('{}', { id: 'a.b' })],
    ['a stale timestamp', () => input('{}', { timestamp: seconds(new Date(now.getTime() - 301_000)) })],
    ['a future timestamp', () => input('{}', { timestamp: seconds(new Date(now.getTime() + 301_000)) })],
    ['a timestamp in milliseconds', () => input('{}', { timestamp: String(now.getTime()) })],
    ['no configured secret', () => input('{}', { secrets: [] })],
    ['an unusable secret', () => input('{}', { secrets: ['whsec_'] })],
  ])('refuses %s with 401', (_case, make) => {
    const r = parseWebhookCallback(make());
    expect(r).toMatchObject({ ok: false, status: 401 });
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });

  it('answers 400 naming the field for a signed body that breaks the schema', () => {
    expect(parseWebhookCallback(input('{"incidentId":"x","action":"snooze"}'))).toEqual({
      ok: false,
      status: 400,
      error: 'action: must be "acknowledge" or "close"',
    });
    expect(parseWebhookCallback(input('[]'))).toMatchObject({ ok: false, status: 400 });
    expect(parseWebhookCallback(input('nope'))).toMatchObject({ ok: false, status: 400 });
    expect(
      parseWebhookCallback(
        input(JSON.stringify({ incidentId: 'x', action: 'close', classification: 'TruePositive', classificationReason: 'InaccurateData' })),
      ),
    ).toMatchObject({ ok: false, status: 400, error: expect.stringContaining('classificationReason') });
    expect(parseWebhookCallback(input('x'.repeat(64 * 1024 + 1)))).toMatchObject({ ok: false, status: 413 });
  });
});
