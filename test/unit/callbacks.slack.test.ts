import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSlackCallback } from '../../shared/callbacks/slack.js';
import type { CallbackInput } from '../../shared/callbacks/types.js';

const fixtureUrl = (name: string) => new URL(`../fixtures/callbacks/slack/${name}`, import.meta.url);
const documentedPayload = () => JSON.parse(readFileSync(fixtureUrl('block_actions.json'), 'utf8'));
const SECRET = 'slack-signing-secret-0123456789abcdef';
const now = new Date();
const ts = (at: Date = now) => String(Math.floor(at.getTime() / 1000));

/** As Slack sends it: the payload JSON in a form field. */
const form = (payload: unknown) => Buffer.from(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
const sign = (body: Buffer, timestamp: string, secret = SECRET) =>
  `v0=${createHmac('sha256', secret)
    .update(`v0:${timestamp}:${body.toString('utf8')}`)
    .digest('hex')}`;

function input(
  body: Buffer,
  o: { timestamp?: string | null; signature?: string | null; secrets?: string[]; at?: Date } = {},
): CallbackInput {
  const timestamp = o.timestamp === undefined ? ts() : o.timestamp;
  const signature = o.signature === undefined ? sign(body, timestamp ?? '') : o.signature;
  const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded' });
  if (timestamp !== null) headers.set('X-Slack-Request-Timestamp', timestamp);
  if (signature !== null) headers.set('X-Slack-Signature', signature);
  return {
    body,
    headers,
    url: new URL('https://bridge.example.com/api/incidents/soc-slack/callback'),
    secrets: o.secrets ?? [SECRET],
    now: o.at ?? now,
  };
}

const INCIDENT_ID =
  '/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law/providers/Microsoft.SecurityInsights/Incidents/6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f';
/** The documented payload with one of our buttons clicked instead of the docs' "View" button. */
function ourClick(actionId: string, value = INCIDENT_ID) {
  const p = documentedPayload();
  p.actions[0].action_id = actionId;
  p.actions[0].value = value;
  return form(p);
}

const EVENT_ID = '12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3:1548426417.840180';
const RESPONSE_URL = 'https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9091209';

describe('Slack interactivity callbacks', () => {
  it("verifies Slack's own worked example (and then finds no interaction payload in the slash command)", () => {
    const body = readFileSync(fixtureUrl('signing-example.txt'));
    const signature = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
    const at = new Date(1531420618 * 1000 + 60_000);
    const r = parseSlackCallback(input(body, { timestamp: '1531420618', signature, secrets: ['8f742231b10e8888abcd99yyyzzz85a5'], at }));
    expect(r).toEqual({ ok: false, status: 400, error: expect.stringContaining('payload') });
    const forged = parseSlackCallback(input(body, { timestamp: '1531420618', signature, secrets: [SECRET], at }));
    expect(forged).toMatchObject({ ok: false, status: 401 });
  });

  it('ignores the documented block_actions example (not one of our buttons) with a reason', () => {
    expect(parseSlackCallback(input(form(documentedPayload())))).toEqual({
      ok: true,
      events: [{ eventId: EVENT_ID, action: 'ignored', ignoredReason: 'action_id "WaXA" is not one of Sentinel Bridge\'s buttons' }],
    });
  });

  it.each([
    ['sentinelbridge.ack', { action: 'acknowledge' }],
    ['sentinelbridge.close.TruePositive', { action: 'close', classification: 'TruePositive', classificationReason: 'SuspiciousActivity' }],
    [
      'sentinelbridge.close.BenignPositive',
      { action: 'close', classification: 'BenignPositive', classificationReason: 'SuspiciousButExpected' },
    ],
    ['sentinelbridge.close.FalsePositive', { action: 'close', classification: 'FalsePositive' }],
  ])('%s gives its event with the incident from the button value and the response_url', (actionId, expected) => {
    expect(parseSlackCallback(input(ourClick(actionId)))).toEqual({
      ok: true,
      events: [
        {
          eventId: EVENT_ID,
          incidentRef: { kind: 'bridgeRef', value: INCIDENT_ID },
          user: { name: 'jtorrance', id: 'UA8RXUSPL' },
          responseUrl: RESPONSE_URL,
          ...expected,
        },
      ],
    });
  });

  it('prefers the display name when Slack sends one', () => {
    const p = JSON.parse(new URLSearchParams(ourClick('sentinelbridge.ack').toString()).get('payload') ?? '');
    p.user.name = 'Jack Torrance';
    const r = parseSlackCallback(input(form(p)));
    expect(r.ok && r.events[0]?.user).toEqual({ name: 'Jack Torrance', id: 'UA8RXUSPL' });
  });

  it('ignores the link button, other payload types and a button without value', () => {
    const link = parseSlackCallback(input(ourClick('open_incident')));
    expect(link.ok && link.events[0]?.action).toBe('ignored');
    const view = parseSlackCallback(input(form({ type: 'view_submission', trigger_id: 't1' })));
    expect(view).toEqual({
      ok: true,
      events: [{ eventId: 't1', action: 'ignored', ignoredReason: 'view_submission payloads are not acted on (block_actions are)' }],
    });
    const empty = parseSlackCallback(input(ourClick('sentinelbridge.ack', '')));
    expect(empty.ok && empty.events[0]).toMatchObject({ action: 'ignored', ignoredReason: 'the button carries no incident reference' });
  });

  it('hands on only an https response_url', () => {
    const p = JSON.parse(new URLSearchParams(ourClick('sentinelbridge.ack').toString()).get('payload') ?? '');
    p.response_url = 'http://169.254.169.254/latest';
    const r = parseSlackCallback(input(form(p)));
    expect(r.ok && r.events[0]).not.toHaveProperty('responseUrl');
  });

  it.each([
    ['a tampered body', (b: Buffer) => input(Buffer.from(b.toString().replace('Incidents', 'incidents')), { signature: sign(b, ts()) })],
    ['a wrong secret', (b: Buffer) => input(b, { signature: sign(b, ts(), 'another-secret') })],
    ['a missing signature', (b: Buffer) => input(b, { signature: null })],
    ['a missing timestamp', (b: Buffer) => input(b, { timestamp: null, signature: sign(b, '') })],
    ['a timestamp 6 minutes old', (b: Buffer) => input(b, { timestamp: ts(new Date(now.getTime() - 360_000)) })],
    ['a timestamp 6 minutes ahead', (b: Buffer) => input(b, { timestamp: ts(new Date(now.getTime() + 360_000)) })],
    ['a timestamp that is not a number', (b: Buffer) => input(b, { timestamp: 'yesterday' })],
    ['no configured secret', (b: Buffer) => input(b, { secrets: [] })],
  ])('refuses %s with 401', (_case, make) => {
    const r = parseSlackCallback(make(ourClick('sentinelbridge.ack')));
    expect(r).toMatchObject({ ok: false, status: 401 });
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });

  it('accepts a timestamp within the five minutes', () => {
    const body = ourClick('sentinelbridge.ack');
    expect(parseSlackCallback(input(body, { timestamp: ts(new Date(now.getTime() - 290_000)) })).ok).toBe(true);
  });

  it('answers 400 for signed bodies without a usable payload, and 413 for big ones', () => {
    for (const text of ['', 'payload=', 'payload=not-json', 'payload=%7B%7D', 'payload=%5B%5D'])
      expect(parseSlackCallback(input(Buffer.from(text)))).toMatchObject({ ok: false, status: 400 });
    expect(parseSlackCallback(input(Buffer.alloc(64 * 1024 + 1, 0x61)))).toMatchObject({ ok: false, status: 413 });
  });
});
