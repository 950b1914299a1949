import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSignl4Callback } from '../../shared/callbacks/signl4.js';
import type { CallbackInput } from '../../shared/callbacks/types.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/callbacks/signl4/${name}.json`, import.meta.url));
const SECRET = 'signl4-callback-secret-0123456789';
const ROUTE = 'https://bridge.example.com/api/incidents/soc-signl4/callback?code=fnkey';
const now = new Date();

const input = (body: Buffer, url = `${ROUTE}&secret=${SECRET}`, secrets: string[] = [SECRET]): CallbackInput => ({
  body,
  headers: new Headers({ 'content-type': 'application/json' }),
  url: new URL(url),
  secrets,
  now,
});

const SAMPLE_USER = { name: 'Rene', email: 'rene@signl4.com', id: 'f0bd5063-9588-51cf-b3d9-94e5647dedc5' };
const SAMPLE_REF = { kind: 'externalId', value: 'Content you passed in the X-S4-ExternalID parameter' };

describe('SIGNL4 outbound webhook callbacks', () => {
  it.each([
    [
      'acknowledged',
      { eventId: 'dd209a2d-e037-41ee-b37d-f605cc0a39fb:201:2', action: 'acknowledge', incidentRef: SAMPLE_REF, user: SAMPLE_USER },
    ],
    ['closed', { eventId: 'dd209a2d-e037-41ee-b37d-f605cc0a39fb:201:4', action: 'close', incidentRef: SAMPLE_REF, user: SAMPLE_USER }],
    [
      'annotated',
      {
        eventId: '141c0f88-7831-4d5e-b055-f6e83c269770:203:0:2518783235661483318_99ebffe0-1b90-40ef-990a-fbd842484761',
        action: 'note',
        incidentRef: SAMPLE_REF,
        user: SAMPLE_USER,
        note: "OK, I'll take care about it.",
      },
    ],
  ])("the documented '%s' sample gives its event", (name, expected) => {
    expect(parseSignl4Callback(input(fixture(name)))).toEqual({ ok: true, events: [expected] });
  });

  it('keeps the acknowledge and the close apart although the samples share one id', () => {
    const ids = ['acknowledged', 'closed'].map((n) => {
      const r = parseSignl4Callback(input(fixture(n)));
      return r.ok ? r.events[0]?.eventId : undefined;
    });
    expect(JSON.parse(fixture('acknowledged').toString()).id).toBe(JSON.parse(fixture('closed').toString()).id);
    expect(new Set(ids).size).toBe(2);
  });

  it('gives a repeated delivery the same event id', () => {
    const once = parseSignl4Callback(input(fixture('closed')));
    const twice = parseSignl4Callback(input(fixture('closed')));
    expect(once).toEqual(twice);
  });

  it.each([
    ['created', 'eventType 200'],
    ['escalated', 'eventType 202'],
  ])("ignores the documented '%s' sample with a reason", (name, reason) => {
    const r = parseSignl4Callback(input(fixture(name)));
    expect(r.ok && r.events[0]?.action).toBe('ignored');
    expect(r.ok && r.events[0]?.ignoredReason).toContain(reason);
    expect(r.ok && r.events[0]?.incidentRef).toEqual({ kind: 'externalId', value: 'INC091210' });
  });

  it('ignores a status change it does not act on, and an alert the bridge did not raise', () => {
    interface Sample {
      eventType: number;
      alert: { statusCode: number; externalEventId?: string };
      annotation?: { message: string; id: string };
    }
    const body = (patch: (n: Sample) => void) => {
      const n = JSON.parse(fixture('acknowledged').toString()) as Sample;
      patch(n);
      return Buffer.from(JSON.stringify(n));
    };
    const reopened = parseSignl4Callback(
      input(
        body((n) => {
          n.alert.statusCode = 1;
        }),
      ),
    );
    expect(reopened.ok && reopened.events[0]).toMatchObject({ action: 'ignored', ignoredReason: expect.stringContaining('statusCode 1') });
    const foreign = parseSignl4Callback(
      input(
        body((n) => {
          delete n.alert.externalEventId;
        }),
      ),
    );
    expect(foreign.ok && foreign.events[0]).toMatchObject({ action: 'ignored', ignoredReason: expect.stringContaining('externalEventId') });
    const empty = parseSignl4Callback(
      input(
        body((n) => {
          n.eventType = 203;
          n.annotation = { message: '  ', id: 'a' };
        }),
      ),
    );
    expect(empty.ok && empty.events[0]).toMatchObject({ action: 'ignored', ignoredReason: 'the annotation has no message' });
  });

  it('takes the note typed with an acknowledgement', () => {
    const n = JSON.parse(fixture('acknowledged').toString());
    n.annotation = { message: 'Ok', id: 'bf4b5315' };
    const r = parseSignl4Callback(input(Buffer.from(JSON.stringify(n))));
    expect(r.ok && r.events[0]).toMatchObject({ action: 'acknowledge', note: 'Ok' });
  });

  it('accepts the secret in the URL only when it matches, and any of the rotation secrets', () => {
    expect(parseSignl4Callback(input(fixture('closed'), ROUTE))).toMatchObject({
      ok: false,
      status: 401,
      error: expect.stringContaining('missing'),
    });
    expect(parseSignl4Callback(input(fixture('closed'), `${ROUTE}&secret=${SECRET}x`))).toMatchObject({ ok: false, status: 401 });
    expect(parseSignl4Callback(input(fixture('closed'), `${ROUTE}&secret=${SECRET.slice(0, -1)}`))).toMatchObject({
      ok: false,
      status: 401,
    });
    expect(parseSignl4Callback(input(fixture('closed'), undefined, []))).toMatchObject({ ok: false, status: 401 });
    expect(parseSignl4Callback(input(fixture('closed'), undefined, ['old-secret-aaaaaaaaaaaa', SECRET])).ok).toBe(true);
  });

  it('never names the secret in an error', () => {
    const r = parseSignl4Callback(input(fixture('closed'), `${ROUTE}&secret=wrong-${SECRET}`));
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });

  it('refuses bodies that are not a SIGNL4 notification with 400, and big ones with 413 before reading them', () => {
    for (const body of ['', 'not json', '[]', '{"eventType":201}', '{"id":"x","eventType":"201"}', '\u00ff'])
      expect(parseSignl4Callback(input(Buffer.from(body)))).toMatchObject({ ok: false, status: 400 });
    expect(parseSignl4Callback(input(Buffer.from([0xc3, 0x28])))).toMatchObject({ ok: false, status: 400 });
    expect(parseSignl4Callback(input(Buffer.alloc(64 * 1024 + 1, 0x20), ROUTE))).toMatchObject({ ok: false, status: 413 });
  });
});
