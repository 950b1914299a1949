import { describe, expect, it } from 'vitest';
import type { Destination } from '../../shared/config.js';
import {
  anyOf,
  CLOSED_OVERLAP_MS,
  closedFilter,
  closedWindow,
  createdFilter,
  createdWindow,
  destinationsFor,
  matchesCreated,
  odataDateTime,
  odataString,
} from '../../shared/incidents/pollWindow.js';

const ALL_SEVERITIES = ['High', 'Medium', 'Low', 'Informational'] as const;
const now = new Date('2026-03-10T12:34:56.789Z');

describe('odata literals', () => {
  it('writes date-times unquoted, in UTC, floored to whole seconds', () => {
    expect(odataDateTime(now)).toBe('2026-03-10T12:34:56Z');
    expect(odataDateTime(new Date('2026-01-01T00:00:00.999+02:00'))).toBe('2025-12-31T22:00:00Z');
  });
  it('quotes strings and doubles single quotes', () => {
    expect(odataString("O'Brien")).toBe("'O''Brien'");
  });
});

describe('anyOf', () => {
  it.each([
    [['New'], "properties/status eq 'New'"],
    [['New', 'Active'], "(properties/status eq 'New' or properties/status eq 'Active')"],
    [['New', 'New'], "properties/status eq 'New'"],
    [['New', 'Active', 'Closed'], undefined],
  ])('%j → %s', (values, expected) => {
    expect(anyOf('properties/status', values, ['New', 'Active', 'Closed'])).toBe(expected);
  });
});

describe('createdFilter', () => {
  it('defaults: look-back, status New, no severity clause when all four are wanted', () => {
    const since = createdWindow(now, 24);
    expect(since.toISOString()).toBe('2026-03-09T12:34:56.789Z');
    expect(createdFilter({ since, statuses: ['New'], severities: ALL_SEVERITIES })).toBe(
      "properties/createdTimeUtc ge 2026-03-09T12:34:56Z and properties/status eq 'New'",
    );
  });
  it('narrows severity and status when configured', () => {
    expect(createdFilter({ since: now, statuses: ['New', 'Active'], severities: ['High', 'Medium'] })).toBe(
      "properties/createdTimeUtc ge 2026-03-10T12:34:56Z and (properties/status eq 'New' or properties/status eq 'Active') and (properties/severity eq 'High' or properties/severity eq 'Medium')",
    );
  });
  it('drops the status clause when every status is wanted', () => {
    expect(createdFilter({ since: now, statuses: ['New', 'Active', 'Closed'], severities: ['Low'] })).toBe(
      "properties/createdTimeUtc ge 2026-03-10T12:34:56Z and properties/severity eq 'Low'",
    );
  });
});

describe('closed window', () => {
  it('first poll: the look-back window', () => {
    expect(closedWindow(now, 24).toISOString()).toBe(createdWindow(now, 24).toISOString());
  });
  it('later polls: the previous successful poll start minus the overlap', () => {
    const previous = new Date(now.getTime() - 5 * 60_000);
    expect(closedWindow(now, 24, previous).getTime()).toBe(previous.getTime() - CLOSED_OVERLAP_MS);
  });
  it('never later than now minus the overlap (a clock ahead of us)', () => {
    expect(closedWindow(now, 24, new Date(now.getTime() + 3600_000)).getTime()).toBe(now.getTime() - CLOSED_OVERLAP_MS);
  });
  it('filters closed incidents by last modification', () => {
    expect(closedFilter(new Date('2026-03-10T12:00:00Z'))).toBe(
      "properties/status eq 'Closed' and properties/lastModifiedTimeUtc ge 2026-03-10T12:00:00Z",
    );
  });
});

describe('matchesCreated (local re-check of what the service returned)', () => {
  const q = { since: new Date('2026-03-10T00:00:00.500Z'), statuses: ['New'] as const, severities: ['High', 'Low'] as const };
  it.each([
    [{ status: 'New', severity: 'High', createdTimeUtc: '2026-03-10T00:00:00Z' }, true],
    [{ status: 'New', severity: 'Low', createdTimeUtc: '2026-03-10T05:00:00Z' }, true],
    [{ status: 'Active', severity: 'High', createdTimeUtc: '2026-03-10T05:00:00Z' }, false],
    [{ status: 'New', severity: 'Medium', createdTimeUtc: '2026-03-10T05:00:00Z' }, false],
    [{ status: 'New', severity: 'High', createdTimeUtc: '2026-03-09T23:59:59Z' }, false],
    [{ status: 'New', severity: 'High' }, false],
  ])('%j → %s', (p, expected) => {
    expect(matchesCreated(p, q)).toBe(expected);
  });
});

describe('destinationsFor', () => {
  const d = (name: string, statuses?: Destination['statuses']): Destination => ({
    name,
    type: 'webhook',
    url: 'https://x.example',
    ...(statuses ? { statuses } : {}),
  });
  it('keeps destinations without a status list and those listing the status', () => {
    const all = [d('any'), d('newOnly', ['New']), d('activeOnly', ['Active'])];
    expect(destinationsFor(all, 'New').map((x) => x.name)).toEqual(['any', 'newOnly']);
    expect(destinationsFor(all, 'Active').map((x) => x.name)).toEqual(['any', 'activeOnly']);
  });
});
