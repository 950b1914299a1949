// A Sentinel incident as the destination formats receive it (shared/destinations/incident.ts).
import type { IncidentSummary } from '../../shared/destinations/incident.js';

export function sampleIncident(overrides: Partial<IncidentSummary> = {}): IncidentSummary {
  return {
    name: '6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f',
    id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law/providers/Microsoft.SecurityInsights/Incidents/6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f',
    workspaceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law',
    number: 7,
    title: 'Brute force against admin',
    description: 'Many failed sign-ins.',
    severity: 'High',
    status: 'New',
    createdTimeUtc: '2024-05-01T10:00:00Z',
    incidentUrl: 'https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident/x',
    labels: ['vip'],
    alertsCount: 2,
    ...overrides,
  };
}
