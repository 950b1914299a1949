import { describe, expect, it } from 'vitest';
import {
  ELLIPSIS,
  enrichmentFor,
  fromArmIncident,
  IncidentShapeError,
  portalLinkOf,
  truncateText,
  workspaceNameOf,
} from '../../shared/destinations/incident.js';

const WORKSPACE =
  '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-sec/providers/Microsoft.OperationalInsights/workspaces/law-sec';
const NAME = '6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f';
const ID = `${WORKSPACE}/providers/Microsoft.SecurityInsights/Incidents/${NAME}`;

const armIncident = {
  id: ID,
  name: NAME,
  etag: '"0300bf09-0000-0000-0000-5c37296e0000"',
  type: 'Microsoft.SecurityInsights/Incidents',
  properties: {
    title: 'Suspicious sign-in from a new country',
    description: 'Several sign-ins were seen.',
    severity: 'High',
    status: 'Active',
    classification: 'TruePositive',
    classificationReason: 'SuspiciousActivity',
    owner: { assignedTo: 'Alex Analyst', userPrincipalName: 'alex@contoso.com', email: 'alex@contoso.com', objectId: 'x' },
    createdTimeUtc: '2024-05-01T10:00:00Z',
    lastModifiedTimeUtc: '2024-05-01T10:05:00Z',
    incidentNumber: 42,
    incidentUrl: 'https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident/x',
    labels: [
      { labelName: 'vip', labelType: 'User' },
      { labelName: 'SentinelBridge', labelType: 'User' },
    ],
    providerName: 'Azure Sentinel',
    providerIncidentId: '42',
    additionalData: {
      alertsCount: 3,
      bookmarksCount: 0,
      commentsCount: 1,
      tactics: ['InitialAccess', 'Persistence'],
      techniques: ['T1078'],
    },
  },
};

describe('fromArmIncident', () => {
  it('maps the ARM shape (properties.*)', () => {
    expect(fromArmIncident(armIncident, WORKSPACE)).toEqual({
      name: NAME,
      id: ID,
      workspaceId: WORKSPACE,
      number: 42,
      title: 'Suspicious sign-in from a new country',
      description: 'Several sign-ins were seen.',
      severity: 'High',
      status: 'Active',
      classification: 'TruePositive',
      classificationReason: 'SuspiciousActivity',
      owner: 'Alex Analyst',
      createdTimeUtc: '2024-05-01T10:00:00Z',
      lastModifiedTimeUtc: '2024-05-01T10:05:00Z',
      incidentUrl: 'https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident/x',
      labels: ['vip', 'SentinelBridge'],
      providerName: 'Azure Sentinel',
      providerIncidentId: '42',
      alertsCount: 3,
      tactics: ['InitialAccess', 'Persistence'],
      techniques: ['T1078'],
    });
  });

  it('maps the SDK shape (flattened, times as Date)', () => {
    const sdk = {
      id: ID,
      name: NAME,
      ...armIncident.properties,
      createdTimeUtc: new Date('2024-05-01T10:00:00Z'),
      lastModifiedTimeUtc: new Date('2024-05-01T10:05:00Z'),
    };
    const summary = fromArmIncident(sdk, WORKSPACE);
    expect(summary.createdTimeUtc).toBe('2024-05-01T10:00:00.000Z');
    expect(summary.lastModifiedTimeUtc).toBe('2024-05-01T10:05:00.000Z');
    expect(summary.title).toBe(armIncident.properties.title);
    expect(summary.alertsCount).toBe(3);
  });

  it('fills in what a minimal incident lacks', () => {
    const minimal = { name: NAME, properties: { title: 'T', severity: 'Low', status: 'New', createdTimeUtc: '2024-05-01T10:00:00Z' } };
    const summary = fromArmIncident(minimal, WORKSPACE);
    expect(summary).toMatchObject({ id: ID, description: '', labels: [], number: 0, incidentUrl: portalLinkOf(ID) });
    expect(summary).not.toHaveProperty('owner');
    expect(summary).not.toHaveProperty('alertsCount');
    expect(summary).not.toHaveProperty('tactics');
  });

  it.each([
    ['an unknown severity', { ...armIncident, properties: { ...armIncident.properties, severity: 'Critical' } }, /severity/],
    ['an unknown status', { ...armIncident, properties: { ...armIncident.properties, status: 'Done' } }, /status/],
    ['no title', { ...armIncident, properties: { ...armIncident.properties, title: '' } }, /title/],
    ['no name', { ...armIncident, name: undefined }, /name/],
    ['not an object', 'incident', /unexpected shape/],
  ])('refuses %s, naming the field', (_case, input, message) => {
    expect(() => fromArmIncident(input, WORKSPACE)).toThrow(IncidentShapeError);
    expect(() => fromArmIncident(input, WORKSPACE)).toThrow(message);
  });
});

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('truncateText', () => {
  it.each([
    ['shorter than the limit', 'abc', 5, 'abc'],
    ['exactly the limit', 'abcde', 5, 'abcde'],
    ['one over', 'abcdef', 5, `abcd${ELLIPSIS}`],
    ['trailing space before the cut', 'ab   cdef', 5, `ab${ELLIPSIS}`],
    ['limit 1', 'abcdef', 1, ELLIPSIS],
    ['limit 0', 'abcdef', 0, ''],
    ['empty', '', 3, ''],
    ['a surrogate pair at the cut', 'ab😀cd', 4, `ab${ELLIPSIS}`],
  ])('%s', (_case, text, max, expected) => {
    const out = truncateText(text, max);
    expect(out).toBe(expected);
    expect(out.length).toBeLessThanOrEqual(max);
  });

  it('never leaves a lone surrogate', () => {
    const text = '😀'.repeat(100);
    for (let max = 1; max < 40; max++) {
      const out = truncateText(text, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out).not.toMatch(LONE_SURROGATE);
    }
  });
});

describe('helpers', () => {
  it('names the workspace of an ARM id', () => {
    expect(workspaceNameOf(WORKSPACE)).toBe('law-sec');
    expect(workspaceNameOf('law-only')).toBe('law-only');
  });

  it('gives enrichment only to destinations with enrich: true', () => {
    const incident = { ...fromArmIncident(armIncident, WORKSPACE), enrichment: { alerts: [{ name: 'a', title: 'A' }] } };
    expect(enrichmentFor(incident, { enrich: true })).toEqual(incident.enrichment);
    expect(enrichmentFor(incident, { enrich: false })).toBeUndefined();
    expect(enrichmentFor(incident, {})).toBeUndefined();
  });
});
