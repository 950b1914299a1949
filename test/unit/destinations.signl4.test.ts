import { describe, expect, it } from 'vitest';
import type { Destination } from '../../shared/config.js';
import { events, format, MESSAGE_MAX, TITLE_MAX } from '../../shared/destinations/signl4.js';
import { sampleIncident } from '../support/incident.js';

const destination: Destination = { name: 'oncall', type: 'signl4', url: 'https://connect.signl4.com/webhook/teamsecret' };

const incident = sampleIncident;

const parse = (body: string) => JSON.parse(body) as Record<string, string>;

describe('SIGNL4 format', () => {
  it('takes created and closed events (closed resolves the alert)', () => {
    expect(events).toEqual(['created', 'closed']);
  });

  it.each([
    ['created', 'new'],
    ['closed', 'resolved'],
  ] as const)('%s → X-S4-Status %s, X-S4-ExternalID = the incident name, JSON body', (event, status) => {
    const out = format(incident(), event, destination);
    expect(out.headers['content-type']).toBe('application/json');
    const body = parse(out.body);
    expect(body['X-S4-ExternalID']).toBe('6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f');
    expect(body['X-S4-Status']).toBe(status);
    expect(body.Title).toContain('#7');
    expect(typeof body.Message).toBe('string');
  });

  it('carries severity, link and the other facts on a new alert', () => {
    const body = parse(format(incident({ owner: 'Alex', tactics: ['InitialAccess'] }), 'created', destination).body);
    expect(body).toMatchObject({
      Title: '[High] Sentinel incident #7: Brute force against admin',
      Message: 'Many failed sign-ins.',
      Severity: 'High',
      Status: 'New',
      Incident: '#7',
      Workspace: 'law',
      Owner: 'Alex',
      Alerts: '2',
      Tactics: 'InitialAccess',
      Labels: 'vip',
      Link: 'https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident/x',
    });
    expect(body).not.toHaveProperty('X-S4-Service');
    expect(body).not.toHaveProperty('X-S4-AlertingScenario');
  });

  it('names the classification when closing', () => {
    const body = parse(format(incident({ status: 'Closed', classification: 'FalsePositive' }), 'closed', destination).body);
    expect(body.Message).toContain('FalsePositive');
    expect(body.Title).toMatch(/^Closed: /);
  });

  it.each([
    ['title', { title: 'T'.repeat(10_000) }, 'Title', TITLE_MAX],
    ['description', { description: 'D'.repeat(100_000) }, 'Message', MESSAGE_MAX],
  ] as const)('truncates a long %s with an ellipsis', (_field, overrides, key, max) => {
    const value = parse(format(incident(overrides), 'created', destination).body)[key] ?? '';
    expect(value.length).toBe(max);
    expect(value.endsWith('…')).toBe(true);
  });

  it('uses the title as message when there is no description', () => {
    expect(parse(format(incident({ description: '' }), 'created', destination).body).Message).toBe('Brute force against admin');
  });
});
