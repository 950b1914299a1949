import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { Destination } from '../../shared/config.js';
import type { IncidentEvent } from '../../shared/destinations/incident.js';
import { type DestinationType, formatFor, formatterFor, receives } from '../../shared/destinations/index.js';
import { sampleIncident } from '../support/incident.js';

const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const destinations: Record<DestinationType, Destination> = {
  signl4: { name: 's4', type: 'signl4', url: 'https://connect.signl4.com/webhook/secret' },
  teams: { name: 'teams', type: 'teams', url: 'https://example.logic.azure.com/workflows/x?sig=y' },
  slack: { name: 'slack', type: 'slack', url: 'https://hooks.slack.com/services/T/B/X' },
  pagerduty: { name: 'pd', type: 'pagerduty', url: 'https://events.pagerduty.com/v2/enqueue', routingKey: 'k'.repeat(32) },
  webhook: { name: 'hook', type: 'webhook', url: 'https://receiver.example.com/hook', secret: SECRET },
};

const incident = sampleIncident({ labels: [], alertsCount: undefined });

describe('destination registry', () => {
  it.each([
    ['signl4', true],
    ['pagerduty', true],
    ['webhook', true],
    ['teams', false],
    ['slack', false],
  ] as [DestinationType, boolean][])('%s: receives closed %s', (type, closed) => {
    const formatter = formatterFor(type);
    expect(formatter.type).toBe(type);
    expect(receives(destinations[type], 'created')).toBe(true);
    expect(receives(destinations[type], 'closed')).toBe(closed);
  });

  it('refuses an unknown type', () => {
    expect(() => formatterFor('email' as DestinationType)).toThrow(/unknown destination type/);
  });

  it.each(Object.keys(destinations) as DestinationType[])('formatFor(%s) gives a JSON body with a content type', (type) => {
    for (const event of ['created', 'closed'] as IncidentEvent[]) {
      if (!receives(destinations[type], event)) continue;
      const out = formatFor(destinations[type], incident, event, 'delivery-1');
      expect(() => JSON.parse(out.body)).not.toThrow();
      expect(out.headers['content-type']).toMatch(/^application\/(cloudevents\+)?json$/);
    }
  });

  it('passes the delivery id and time through to the signed webhook', () => {
    const now = new Date();
    const out = formatFor(destinations.webhook, incident, 'created', 'delivery-42', now);
    expect(out.headers['webhook-id']).toBe('delivery-42');
    expect(out.headers['webhook-timestamp']).toBe(String(Math.floor(now.getTime() / 1000)));
    expect(new Webhook(SECRET).verify(out.body, out.headers)).toMatchObject({ id: 'delivery-42' });
  });
});
