// What one poll asks Sentinel for, as pure functions: the time windows and the OData $filter / $orderby strings
// of the two lists (new incidents by createdTimeUtc; closed ones by lastModifiedTimeUtc), and the same tests applied
// locally to what comes back.
//
// Sentinel's incidents list takes OData `$filter` on `properties/<field>` with `eq`/`ge`/…, `and`/`or` and
// parentheses; date-times are unquoted ISO literals (`properties/createdTimeUtc ge 2025-01-02T03:04:05Z`), strings
// single-quoted. `$top` is at most 1000 (Incidents.json, api-version 2025-09-01) and further pages come by `nextLink`.
import type { Destination } from '../config.js';
import { INCIDENT_SEVERITIES, INCIDENT_STATUSES, type IncidentSeverity, type IncidentStatus } from '../config.js';

/** `$top` per request: the maximum the API allows. */
export const PAGE_SIZE = 1000;
/** Closed incidents are listed from the previous poll's start minus this overlap (clock skew, replication lag). */
export const CLOSED_OVERLAP_MS = 10 * 60_000;
export const CREATED_ORDER = 'properties/createdTimeUtc asc';
export const CLOSED_ORDER = 'properties/lastModifiedTimeUtc asc';

/** An OData date-time literal: ISO 8601 in UTC, whole seconds (floored, so `ge` never skips an incident). */
export function odataDateTime(d: Date): string {
  return `${new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** An OData string literal: single-quoted, quotes doubled. */
export function odataString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** `(field eq 'a' or field eq 'b')`, or undefined when the values cover every allowed one (no clause needed). */
export function anyOf(field: string, values: readonly string[], allowed: readonly string[]): string | undefined {
  const unique = [...new Set(values)];
  if (allowed.every((a) => unique.includes(a))) return undefined;
  const terms = unique.map((v) => `${field} eq ${odataString(v)}`);
  return terms.length === 1 ? terms[0] : `(${terms.join(' or ')})`;
}

export interface CreatedQuery {
  since: Date;
  statuses: readonly IncidentStatus[];
  severities: readonly IncidentSeverity[];
}

/** The window of new incidents: created within the look-back. */
export function createdWindow(now: Date, lookbackHours: number): Date {
  return new Date(now.getTime() - lookbackHours * 3600_000);
}

/**
 * The start of the closed-incident window: the previous poll's start minus an overlap, or the look-back window on
 * the first poll. Never later than `now` minus the overlap.
 */
export function closedWindow(now: Date, lookbackHours: number, previousPollStart?: Date): Date {
  const latest = now.getTime() - CLOSED_OVERLAP_MS;
  if (!previousPollStart || Number.isNaN(previousPollStart.getTime())) return createdWindow(now, lookbackHours);
  return new Date(Math.min(previousPollStart.getTime() - CLOSED_OVERLAP_MS, latest));
}

export function createdFilter(q: CreatedQuery): string {
  return [
    `properties/createdTimeUtc ge ${odataDateTime(q.since)}`,
    anyOf('properties/status', q.statuses, INCIDENT_STATUSES),
    anyOf('properties/severity', q.severities, INCIDENT_SEVERITIES),
  ]
    .filter((c): c is string => c !== undefined)
    .join(' and ');
}

export function closedFilter(modifiedSince: Date): string {
  return `properties/status eq 'Closed' and properties/lastModifiedTimeUtc ge ${odataDateTime(modifiedSince)}`;
}

/** The fields the local checks read (ARM `properties`). */
export interface IncidentFields {
  status?: string;
  severity?: string;
  createdTimeUtc?: string;
  lastModifiedTimeUtc?: string;
}

/** The same test as createdFilter, applied to an incident the service returned (defence against a lax filter). */
export function matchesCreated(p: IncidentFields, q: CreatedQuery): boolean {
  const created = Date.parse(p.createdTimeUtc ?? '');
  return (
    !Number.isNaN(created) &&
    created >= Math.floor(q.since.getTime() / 1000) * 1000 &&
    q.statuses.includes(p.status as IncidentStatus) &&
    q.severities.includes(p.severity as IncidentSeverity)
  );
}

/** Destinations that take an incident in this status (a destination may list the statuses it wants). */
export function destinationsFor(destinations: readonly Destination[], status: string): Destination[] {
  return destinations.filter((d) => !d.statuses || d.statuses.includes(status as IncidentStatus));
}
