import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePagerDutyCallback } from '../../shared/callbacks/pagerduty.js';
import type { CallbackInput } from '../../shared/callbacks/types.js';

const json = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/callbacks/pagerduty/${name}.json`, import.meta.url), 'utf8'));
const SECRET = 'pd-subscription-secret-abcdef012345';
const documented = readFileSync(new URL('../fixtures/callbacks/pagerduty/incident.priority_updated.json', import.meta.url));

/** The documented envelope with another event type and the documented data object for it. */
function webhook(eventType: string, data: unknown): Buffer {
  const envelope = json('incident.priority_updated');
  envelope.event.event_type = eventType;
  envelope.event.data = data;
  return Buffer.from(JSON.stringify(envelope));
}

const sign = (body: Buffer, secret = SECRET) => `v1=${createHmac('sha256', secret).update(body).digest('hex')}`;

const input = (body: Buffer, signature: string | null = sign(body), secrets = [SECRET]): CallbackInput => ({
  body,
  headers: new Headers(signature === null ? {} : { 'X-PagerDuty-Signature': signature }),
  url: new URL('https://bridge.example.com/api/incidents/soc-pd/callback'),
  secrets,
  now: new Date(),
});

const EVENT_ID = '5ac64822-4adc-4fda-ade0-410becf0de4f';
const AGENT = { name: 'Tenex Engineer', id: 'PLH1HKV' };
const INCIDENT = { kind: 'pagerdutyIncidentId', value: 'PGR0VU2' };

describe('PagerDuty v3 webhook callbacks', () => {
  it.each([
    ['incident.acknowledged', json('data-incident'), { action: 'acknowledge' }],
    ['incident.resolved', json('data-incident'), { action: 'close' }],
    ['incident.reassigned', json('data-incident'), { action: 'reassign', assignee: { name: 'User 123', id: 'PTUXL6G' } }],
    ['incident.annotated', json('data-incident_note'), { action: 'note', note: 'I sure am glad we are using PagerDuty!' }],
  ])('%s with the documented data gives its event, naming PagerDuty’s incident id', (type, data, expected) => {
    expect(parsePagerDutyCallback(input(webhook(type, data)))).toEqual({
      ok: true,
      events: [{ eventId: EVENT_ID, incidentRef: INCIDENT, user: AGENT, ...expected }],
    });
  });

  it('ignores the documented incident.priority_updated example with a reason', () => {
    expect(parsePagerDutyCallback(input(documented))).toEqual({
      ok: true,
      events: [{ eventId: EVENT_ID, action: 'ignored', ignoredReason: 'incident.priority_updated is not acted on', incidentRef: INCIDENT }],
    });
  });

  it('accepts any v1 signature of a rotation list, and any of our secrets', () => {
    const body = webhook('incident.acknowledged', json('data-incident'));
    expect(parsePagerDutyCallback(input(body, `v1=${'0'.repeat(64)},${sign(body)}`)).ok).toBe(true);
    expect(parsePagerDutyCallback(input(body, `${sign(body)}, v1=${'f'.repeat(64)}`)).ok).toBe(true);
    expect(parsePagerDutyCallback(input(body, sign(body, 'old-secret'), ['new-secret', 'old-secret'])).ok).toBe(true);
  });

  it.each([
    ['a tampered body', (b: Buffer) => input(Buffer.from(b.toString().replace('PGR0VU2', 'PGR0VU3')), sign(b))],
    ['a wrong secret', (b: Buffer) => input(b, sign(b, 'not-the-secret'))],
    ['a missing signature', (b: Buffer) => input(b, null)],
    ['a signature of another version', (b: Buffer) => input(b, sign(b).replace('v1=', 'v2='))],
    ['no configured secret', (b: Buffer) => input(b, sign(b), [])],
  ])('refuses %s with 401', (_case, make) => {
    const r = parsePagerDutyCallback(make(webhook('incident.resolved', json('data-incident'))));
    expect(r).toMatchObject({ ok: false, status: 401 });
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });

  it('answers 400 for signed bodies that are not a v3 webhook, and 413 for big bodies', () => {
    for (const text of ['', '{}', '{"event":{"id":"","event_type":"x"}}', '[1]', 'v1']) {
      const body = Buffer.from(text);
      expect(parsePagerDutyCallback(input(body))).toMatchObject({ ok: false, status: 400 });
    }
    const big = Buffer.alloc(64 * 1024 + 1, 0x20);
    expect(parsePagerDutyCallback(input(big))).toMatchObject({ ok: false, status: 413 });
  });

  it('ignores an annotation without content and a reassignment without assignee', () => {
    const note = { ...json('data-incident_note'), content: ' ' };
    expect(parsePagerDutyCallback(input(webhook('incident.annotated', note)))).toMatchObject({
      ok: true,
      events: [{ action: 'ignored', ignoredReason: 'the note has no content' }],
    });
    const incident = { ...json('data-incident'), assignees: [] };
    expect(parsePagerDutyCallback(input(webhook('incident.reassigned', incident)))).toMatchObject({
      ok: true,
      events: [{ action: 'ignored', ignoredReason: 'the reassigned incident has no assignee' }],
    });
  });

  it('takes no user from an automated event (agent null)', () => {
    const envelope = JSON.parse(webhook('incident.resolved', json('data-incident')).toString());
    envelope.event.agent = null;
    const body = Buffer.from(JSON.stringify(envelope));
    const r = parsePagerDutyCallback(input(body));
    expect(r.ok && r.events[0]).toEqual({ eventId: EVENT_ID, action: 'close', incidentRef: INCIDENT });
  });
});
