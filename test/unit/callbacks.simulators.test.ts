// The vendor simulators (tools/emulators/vendorCallbacks.ts) against the parsers: what each vendor would send for
// each action parses to that action, on the right incident, and a request signed with another secret is refused.
import { describe, expect, it } from 'vitest';
import { callbackParserFor } from '../../shared/callbacks/index.js';
import type { CallbackInput, CallbackResult } from '../../shared/callbacks/types.js';
import type { DestinationType } from '../../shared/destinations/index.js';
import {
  pagerDutyCallback,
  signl4Callback,
  slackCallback,
  type VendorRequest,
  webhookCallback,
} from '../../tools/emulators/vendorCallbacks.js';

const now = new Date();
const ROUTE = 'https://bridge.example.com/api/incidents/dest/callback?code=fnkey';
const NAME = '6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f';
const ARM_ID = `/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law/providers/Microsoft.SecurityInsights/Incidents/${NAME}`;

function parse(type: DestinationType, r: VendorRequest, secret: string, at = now): CallbackResult {
  const input: CallbackInput = {
    body: Buffer.from(r.body),
    headers: new Headers(r.headers),
    url: new URL(r.url),
    secrets: [secret],
    now: at,
  };
  return callbackParserFor(type)?.(input) ?? { ok: false, status: 400, error: 'no parser' };
}

describe('vendor simulators round-trip through the parsers', () => {
  it.each(['acknowledge', 'close', 'note'] as const)('SIGNL4 %s', (action) => {
    const secret = 'signl4-secret-0123456789';
    const request = signl4Callback({ url: ROUTE, secret, externalId: NAME, action, note: action === 'note' ? 'on it' : undefined, now });
    expect(new URL(request.url).searchParams.get('code')).toBe('fnkey');
    expect(parse('signl4', request, secret)).toMatchObject({
      ok: true,
      events: [{ action, incidentRef: { kind: 'externalId', value: NAME }, user: { name: 'Rene', email: 'rene@signl4.com' } }],
    });
    expect(parse('signl4', request, 'another-secret-0123456789')).toMatchObject({ ok: false, status: 401 });
  });

  it('SIGNL4 acknowledge and close of one alert with one notification id stay two events', () => {
    const secret = 'signl4-secret-0123456789';
    const ids = (['acknowledge', 'close'] as const).map((action) => {
      const r = parse('signl4', signl4Callback({ url: ROUTE, secret, externalId: NAME, action, id: 'same-id' }), secret);
      return r.ok ? r.events[0]?.eventId : undefined;
    });
    expect(ids[0]).not.toBe(ids[1]);
  });

  it.each([
    ['acknowledge', {}],
    ['close', {}],
    ['note', { note: 'Rolled back the deploy' }],
    ['reassign', { assignee: { name: 'Ana', id: 'PANA123' } }],
  ] as const)('PagerDuty %s', (action, extra) => {
    const request = pagerDutyCallback({
      url: ROUTE,
      secrets: ['old-secret', 'new-secret'],
      incidentId: 'Q1XQPZ3PYQ0ABC',
      action,
      eventId: 'ev-1',
      ...extra,
    });
    expect(request.headers['x-pagerduty-signature']?.split(',')).toHaveLength(2);
    const r = parse('pagerduty', request, 'new-secret');
    expect(r).toMatchObject({
      ok: true,
      events: [{ eventId: 'ev-1', action, incidentRef: { kind: 'pagerdutyIncidentId', value: 'Q1XQPZ3PYQ0ABC' } }],
    });
    if (action === 'note') expect(r.ok && r.events[0]?.note).toBe('Rolled back the deploy');
    if (action === 'reassign') expect(r.ok && r.events[0]?.assignee).toEqual({ name: 'Ana', id: 'PANA123' });
    expect(parse('pagerduty', request, 'third-secret')).toMatchObject({ ok: false, status: 401 });
  });

  it.each([
    ['acknowledge', undefined, { action: 'acknowledge' }],
    ['close', 'FalsePositive', { action: 'close', classification: 'FalsePositive' }],
    ['close', 'TruePositive', { action: 'close', classification: 'TruePositive', classificationReason: 'SuspiciousActivity' }],
  ] as const)('Slack %s %s', (action, classification, expected) => {
    const signingSecret = 'slack-signing-secret';
    const request = slackCallback({ url: ROUTE, signingSecret, incidentRef: ARM_ID, action, classification, now });
    const r = parse('slack', request, signingSecret);
    expect(r).toMatchObject({
      ok: true,
      events: [{ ...expected, incidentRef: { kind: 'bridgeRef', value: ARM_ID }, user: { name: 'jtorrance' } }],
    });
    expect(r.ok && r.events[0]?.responseUrl).toMatch(/^https:\/\/hooks\.slack\.com\/actions\//);
    expect(parse('slack', request, 'another-secret')).toMatchObject({ ok: false, status: 401 });
    expect(parse('slack', request, signingSecret, new Date(now.getTime() + 6 * 60_000))).toMatchObject({ ok: false, status: 401 });
  });

  it.each(['acknowledge', 'close'] as const)('generic webhook %s', (action) => {
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const request = webhookCallback({
      url: ROUTE,
      secret,
      body: { incidentId: NAME, action, owner: 'ana@contoso.com' },
      webhookId: 'msg_1',
      now,
    });
    expect(parse('webhook', request, secret)).toMatchObject({
      ok: true,
      events: [{ eventId: 'msg_1', action, incidentRef: { kind: 'bridgeRef', value: NAME }, user: { email: 'ana@contoso.com' } }],
    });
    expect(parse('webhook', request, `whsec_${Buffer.from('another key of thirty-two bytes!').toString('base64')}`)).toMatchObject({
      ok: false,
      status: 401,
    });
  });
});
