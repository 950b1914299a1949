import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { Destination } from '../../shared/config.js';
import type { IncidentEvent, IncidentSummary } from '../../shared/destinations/incident.js';
import { CONTENT_TYPE, DESCRIPTION_MAX, events, format } from '../../shared/destinations/webhook.js';
import { sampleIncident } from '../support/incident.js';

const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const OTHER_SECRET = `whsec_${Buffer.from('fedcba9876543210fedcba9876543210').toString('base64')}`;
const destination: Destination = { name: 'siem', type: 'webhook', url: 'https://receiver.example.com/hooks/sentinel', secret: SECRET };
const WORKSPACE = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law';
const NAME = '6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f';

const incident = (overrides: Partial<IncidentSummary> = {}): IncidentSummary =>
  sampleIncident({
    name: NAME,
    id: `${WORKSPACE}/providers/Microsoft.SecurityInsights/Incidents/${NAME}`,
    workspaceId: WORKSPACE,
    createdTimeUtc: '2024-05-01T10:00:00.000Z',
    lastModifiedTimeUtc: '2024-05-02T08:30:00.000Z',
    alertsCount: undefined,
    ...overrides,
  });

interface StructuredEvent {
  specversion: string;
  id: string;
  type: string;
  source: string;
  subject: string;
  time: string;
  datacontenttype: string;
  data: IncidentSummary;
}
const parse = (body: string) => JSON.parse(body) as StructuredEvent;

describe('webhook format (CloudEvents + Standard Webhooks)', () => {
  it('takes created and closed events, and resolves nothing itself', () => {
    expect(events).toEqual(['created', 'closed']);
  });

  it.each([
    ['created', 'sentinelbridge.incident.created', '2024-05-01T10:00:00.000Z'],
    ['closed', 'sentinelbridge.incident.closed', '2024-05-02T08:30:00.000Z'],
  ] as [IncidentEvent, string, string][])('%s is a structured CloudEvent of type %s', (event, type, time) => {
    const out = format(incident(), event, destination, { deliveryId: 'delivery-1' });
    expect(out.headers['content-type']).toBe(CONTENT_TYPE);
    expect(CONTENT_TYPE).toBe('application/cloudevents+json');
    const ce = parse(out.body);
    expect(ce).toMatchObject({
      specversion: '1.0',
      id: 'delivery-1',
      type,
      source: WORKSPACE,
      subject: NAME,
      time,
      datacontenttype: 'application/json',
    });
    expect(ce.data).toEqual(incident());
  });

  it('times a closing without lastModifiedTimeUtc at the attempt', () => {
    const now = new Date('2024-06-01T00:00:00.000Z');
    const ce = parse(format(incident({ lastModifiedTimeUtc: undefined }), 'closed', destination, { deliveryId: 'd', now }).body);
    expect(ce.time).toBe('2024-06-01T00:00:00.000Z');
  });

  it('signs so that standardwebhooks verifies the body, and fails on any change', () => {
    const out = format(incident(), 'created', destination, { deliveryId: 'delivery-1' });
    const headers = out.headers as Record<string, string>;
    expect(headers['webhook-id']).toBe('delivery-1');
    expect(headers['webhook-timestamp']).toMatch(/^\d+$/);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(SECRET).verify(out.body, headers)).toEqual(JSON.parse(out.body));

    expect(() => new Webhook(SECRET).verify(out.body.replace('Brute force', 'Brute farce'), headers)).toThrow();
    expect(() => new Webhook(SECRET).verify(`${out.body} `, headers)).toThrow();
    expect(() => new Webhook(SECRET).verify(out.body, { ...headers, 'webhook-id': 'delivery-2' })).toThrow();
    expect(() => new Webhook(OTHER_SECRET).verify(out.body, headers)).toThrow();
  });

  it('keeps the ids of a delivery across retries and signs each attempt at its own time', () => {
    const first = format(incident(), 'created', destination, { deliveryId: 'delivery-7', now: new Date('2024-05-01T10:00:00Z') });
    const retry = format(incident(), 'created', destination, { deliveryId: 'delivery-7', now: new Date('2024-05-01T10:05:00Z') });
    expect(retry.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(parse(retry.body).id).toBe(parse(first.body).id);
    expect(retry.body).toBe(first.body);
    expect(Number(retry.headers['webhook-timestamp']) - Number(first.headers['webhook-timestamp'])).toBe(300);
    expect(retry.headers['webhook-signature']).not.toBe(first.headers['webhook-signature']);
  });

  it('sends no signature headers without a secret', () => {
    const out = format(incident(), 'created', { ...destination, secret: undefined }, { deliveryId: 'd' });
    expect(Object.keys(out.headers)).toEqual(['content-type']);
  });

  it.each(['', 'has.dot', 'has space', 'x'.repeat(257)])('refuses the delivery id %j', (deliveryId) => {
    expect(() => format(incident(), 'created', destination, { deliveryId })).toThrow(TypeError);
  });

  it('truncates a long description and carries enrichment only for enrich: true', () => {
    const enrichment = {
      alerts: [{ name: 'a1', title: 'A', severity: 'High', extra: { x: 1 } }],
      entities: [{ kind: 'Account', friendlyName: 'alex' }],
    };
    const long = incident({ description: 'd'.repeat(100_000), enrichment });
    const plain = parse(format(long, 'created', destination, { deliveryId: 'd' }).body).data;
    expect(plain.description.length).toBe(DESCRIPTION_MAX);
    expect(plain.description.endsWith('…')).toBe(true);
    expect(plain).not.toHaveProperty('enrichment');
    const enriched = parse(format(long, 'created', { ...destination, enrich: true }, { deliveryId: 'd' }).body).data;
    expect(enriched.enrichment).toEqual(enrichment);
  });
});
