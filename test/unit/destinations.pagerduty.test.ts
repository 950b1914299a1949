import { describe, expect, it } from 'vitest';
import type { Destination } from '../../shared/config.js';
import type { IncidentSeverity, IncidentSummary } from '../../shared/destinations/incident.js';
import { BODY_MAX_BYTES, events, format, SUMMARY_MAX } from '../../shared/destinations/pagerduty.js';
import { sampleIncident } from '../support/incident.js';

const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
const destination: Destination = { name: 'pd', type: 'pagerduty', url: 'https://events.pagerduty.com/v2/enqueue', routingKey: ROUTING_KEY };
const WORKSPACE = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law';

const incident = (overrides: Partial<IncidentSummary> = {}): IncidentSummary =>
  sampleIncident({
    id: `${WORKSPACE}/providers/Microsoft.SecurityInsights/Incidents/6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f`,
    workspaceId: WORKSPACE,
    labels: [],
    alertsCount: undefined,
    ...overrides,
  });

interface PdEvent {
  routing_key: string;
  event_action: string;
  dedup_key: string;
  payload?: { summary: string; source: string; severity: string; timestamp: string; custom_details: Record<string, unknown> };
  links?: { href: string; text: string }[];
}
const parse = (body: string) => JSON.parse(body) as PdEvent;

describe('PagerDuty format', () => {
  it('takes created and closed events (closed resolves the alert)', () => {
    expect(events).toEqual(['created', 'closed']);
  });

  it.each([
    ['High', 'critical'],
    ['Medium', 'error'],
    ['Low', 'warning'],
    ['Informational', 'info'],
  ] as [IncidentSeverity, string][])('maps severity %s → %s', (severity, expected) => {
    expect(parse(format(incident({ severity }), 'created', destination).body).payload?.severity).toBe(expected);
  });

  it('sends a trigger with routing key, dedup key, summary, source, timestamp, link and details', () => {
    const out = format(incident({ owner: 'Alex', alertsCount: 2 }), 'created', destination);
    expect(out.headers['content-type']).toBe('application/json');
    const body = parse(out.body);
    expect(body).toMatchObject({ routing_key: ROUTING_KEY, event_action: 'trigger', dedup_key: '6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f' });
    expect(body.payload).toMatchObject({
      summary: '[High] Sentinel incident #7: Brute force against admin',
      source: WORKSPACE,
      timestamp: '2024-05-01T10:00:00Z',
    });
    expect(body.payload?.custom_details).toMatchObject({
      incident_number: 7,
      owner: 'Alex',
      alerts_count: 2,
      description: 'Many failed sign-ins.',
    });
    expect(body.links).toEqual([
      { href: 'https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident/x', text: expect.any(String) },
    ]);
  });

  it('resolves with the same dedup key', () => {
    expect(parse(format(incident(), 'closed', destination).body)).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'resolve',
      dedup_key: '6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f',
    });
  });

  it('truncates the summary to 1024 characters', () => {
    const summary = parse(format(incident({ title: 'x'.repeat(5000) }), 'created', destination).body).payload?.summary ?? '';
    expect(summary.length).toBe(SUMMARY_MAX);
    expect(summary.endsWith('…')).toBe(true);
  });

  it('includes enrichment only for enrich: true, and drops it when the event would exceed 512 KB', () => {
    const alerts = [{ name: 'a1', title: 'Alert one', severity: 'High' }];
    const small = incident({ enrichment: { alerts } });
    expect(parse(format(small, 'created', destination).body).payload?.custom_details.alerts).toBeUndefined();
    expect(parse(format(small, 'created', { ...destination, enrich: true }).body).payload?.custom_details.alerts).toEqual(alerts);

    const huge = incident({ enrichment: { alerts: Array.from({ length: 5000 }, (_, i) => ({ name: `a${i}`, title: 'A'.repeat(200) })) } });
    const out = format(huge, 'created', { ...destination, enrich: true });
    expect(Buffer.byteLength(out.body)).toBeLessThanOrEqual(BODY_MAX_BYTES);
    expect(parse(out.body).payload?.custom_details.alerts).toBeUndefined();
  });

  it('refuses a destination without routing key', () => {
    expect(() => format(incident(), 'created', { ...destination, routingKey: undefined })).toThrow(/routingKey/);
  });
});
