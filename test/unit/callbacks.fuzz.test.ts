// Property tests: whatever reaches a callback route — any bytes, any headers, any query, signed or not — each parser
// answers with a result (events, or 400/401/413 with a reason), never an exception that would become a 500.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callbackParserFor } from '../../shared/callbacks/index.js';
import type { CallbackInput, CallbackResult } from '../../shared/callbacks/types.js';

const SECRET = 'fuzz-secret-0123456789';
const WHSEC = `whsec_${Buffer.from(SECRET).toString('base64')}`;
const now = new Date();
const seconds = String(Math.floor(now.getTime() / 1000));

/** Bodies shaped like each vendor's, broken in every way, and raw bytes. */
const shapedJson = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      id: fc.oneof(fc.string(), fc.jsonValue()),
      eventType: fc.oneof(fc.constantFrom(200, 201, 202, 203, 300), fc.jsonValue()),
      alert: fc.jsonValue(),
      user: fc.jsonValue(),
      annotation: fc.jsonValue(),
    },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      event: fc.record(
        {
          id: fc.jsonValue(),
          event_type: fc.oneof(
            fc.constantFrom('incident.acknowledged', 'incident.resolved', 'incident.annotated', 'incident.reassigned'),
            fc.jsonValue(),
          ),
          agent: fc.jsonValue(),
          data: fc.jsonValue(),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      incidentId: fc.jsonValue(),
      action: fc.oneof(fc.constantFrom('acknowledge', 'close'), fc.jsonValue()),
      owner: fc.jsonValue(),
      classification: fc.jsonValue(),
    },
    { requiredKeys: [] },
  ),
);
const slackForm = fc
  .record(
    {
      type: fc.oneof(fc.constant('block_actions'), fc.jsonValue()),
      actions: fc.oneof(
        fc.array(
          fc.record(
            {
              action_id: fc.oneof(fc.constantFrom('sentinelbridge.ack', 'sentinelbridge.close.TruePositive'), fc.jsonValue()),
              value: fc.jsonValue(),
            },
            { requiredKeys: [] },
          ),
        ),
        fc.jsonValue(),
      ),
      user: fc.jsonValue(),
      response_url: fc.oneof(fc.webUrl(), fc.jsonValue()),
    },
    { requiredKeys: [] },
  )
  .map((p) => new URLSearchParams({ payload: JSON.stringify(p) }).toString());
const body = fc.oneof(
  shapedJson.map((v) => Buffer.from(JSON.stringify(v) ?? '')),
  slackForm.map((t) => Buffer.from(t)),
  fc.string().map((t) => Buffer.from(t)),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
);
const headerValue = fc.oneof(fc.string(), fc.constant(seconds), fc.constant('v1=abc'), fc.constant('v0=abc'));
const headers = fc.dictionary(
  fc.constantFrom(
    'x-pagerduty-signature',
    'x-slack-signature',
    'x-slack-request-timestamp',
    'webhook-id',
    'webhook-timestamp',
    'webhook-signature',
    'content-type',
  ),
  headerValue,
);
const query = fc.oneof(
  fc.constant(''),
  fc.constant(`?secret=${SECRET}`),
  fc.string().map((s) => `?secret=${encodeURIComponent(s)}`),
);

/** Signs `b` as the vendor would, so the properties also reach the parsing behind each signature check. */
function signed(type: string, b: Buffer, h: Record<string, string>): Record<string, string> {
  if (type === 'pagerduty') return { ...h, 'x-pagerduty-signature': `v1=${createHmac('sha256', SECRET).update(b).digest('hex')}` };
  if (type === 'slack')
    return {
      ...h,
      'x-slack-request-timestamp': seconds,
      'x-slack-signature': `v0=${createHmac('sha256', SECRET).update(`v0:${seconds}:`).update(b).digest('hex')}`,
    };
  if (type === 'webhook') {
    const id = 'msg_fuzz';
    return {
      ...h,
      'webhook-id': id,
      'webhook-timestamp': seconds,
      'webhook-signature': `v1,${createHmac('sha256', SECRET).update(`${id}.${seconds}.`).update(b).digest('base64')}`,
    };
  }
  return h;
}

function wellFormed(r: CallbackResult): boolean {
  if (!r.ok) return [400, 401, 413].includes(r.status) && typeof r.error === 'string' && r.error.length > 0 && !r.error.includes(SECRET);
  return (
    r.events.length > 0 &&
    r.events.every((e) => typeof e.eventId === 'string' && e.eventId.length > 0 && (e.action !== 'ignored' || !!e.ignoredReason))
  );
}

describe('callback parsers never throw', () => {
  it.each(['signl4', 'pagerduty', 'slack', 'webhook'] as const)('%s: arbitrary bodies, headers and query, signed or not', (type) => {
    const parse = callbackParserFor(type);
    expect(parse).toBeDefined();
    fc.assert(
      fc.property(body, headers, query, fc.boolean(), (b, h, q, sign) => {
        const input: CallbackInput = {
          body: b,
          headers: new Headers(
            Object.entries(sign ? signed(type, b, h) : h).map(([k, v]) => [k, v.replace(/[^\t\x20-\x7e]/g, '')] as [string, string]),
          ),
          url: new URL(`https://bridge.example.com/api/incidents/d/callback${q}`),
          secrets: [type === 'webhook' ? WHSEC : SECRET],
          now,
        };
        return wellFormed(parse?.(input) ?? { ok: false, status: 400, error: 'no parser' });
      }),
      { numRuns: 300 },
    );
  });

  it('has no parser for Teams, which cannot call back', () => {
    expect(callbackParserFor('teams')).toBeUndefined();
  });
});
