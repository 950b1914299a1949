import { describe, expect, it } from 'vitest';
import { scopeOf } from '../../shared/azure/credential.js';
import { incidentFilter, mapCloseClassification } from '../../shared/incidents/graphClient.js';

describe('incidentFilter', () => {
  const since = new Date(Date.now() - 24 * 3600_000);
  it('filters on creation, then the watermark, statuses and severities', () => {
    const updated = new Date(since.getTime() + 60_000);
    expect(incidentFilter({ createdSince: since, updatedSince: updated, statuses: ['active', 'inProgress'], severities: ['high'] })).toBe(
      `createdDateTime ge ${since.toISOString()} and lastUpdateDateTime ge ${updated.toISOString()} and (status eq 'active' or status eq 'inProgress') and severity eq 'high'`,
    );
    expect(incidentFilter({ createdSince: since, statuses: [], severities: [] })).toBe(`createdDateTime ge ${since.toISOString()}`);
  });
  it('refuses a value outside Graph’s enums rather than quoting it into the filter', () => {
    expect(() => incidentFilter({ createdSince: since, statuses: ["active' or 1 eq 1" as never] })).toThrow(RangeError);
    expect(() => incidentFilter({ createdSince: since, severities: ['High' as never] })).toThrow(RangeError);
  });
});

describe('token scopes follow the cloud', () => {
  it.each([
    ['https://graph.microsoft.com', 'https://graph.microsoft.com/.default'],
    ['https://graph.microsoft.us/', 'https://graph.microsoft.us/.default'],
    ['https://microsoftgraph.chinacloudapi.cn', 'https://microsoftgraph.chinacloudapi.cn/.default'],
  ])('Graph %s → %s', (endpoint, scope) => expect(scopeOf(endpoint)).toBe(scope));
  it.each([
    ['https://api.loganalytics.io', 'https://api.loganalytics.io/.default'],
    ['https://api.loganalytics.us', 'https://api.loganalytics.us/.default'],
  ])('Log Analytics %s → %s', (endpoint, scope) => expect(scopeOf(endpoint)).toBe(scope));
});

describe('mapCloseClassification', () => {
  it.each([
    ['TruePositive', 'SuspiciousActivity', 'truePositive', 'other'],
    ['BenignPositive', 'SuspiciousButExpected', 'informationalExpectedActivity', 'other'],
    ['FalsePositive', 'IncorrectAlertLogic', 'falsePositive', 'notMalicious'],
    ['FalsePositive', 'InaccurateData', 'falsePositive', 'notEnoughDataToValidate'],
    ['Undetermined', undefined, 'unknown', 'unknown'],
  ] as const)('%s / %s → %s / %s', (classification, reason, graphClassification, determination) => {
    expect(mapCloseClassification(classification, reason)).toEqual({ classification: graphClassification, determination });
  });
});
