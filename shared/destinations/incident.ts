// What the destination formats take: a small, plain summary of a Sentinel incident (mapped once from the ARM/SDK
// shape), the request a format produces, and the one truncation helper every format uses for long text.
import { z } from 'zod';
import { type Destination, INCIDENT_SEVERITIES, INCIDENT_STATUSES, type IncidentSeverity, type IncidentStatus } from '../config.js';

export type { IncidentSeverity, IncidentStatus };

/** What happened to the incident: `created` opens an alert at the destination, `closed` resolves it where it can. */
/** What happened to an incident that destinations are told about. */
export const INCIDENT_EVENTS = ['created', 'closed'] as const;
export type IncidentEvent = (typeof INCIDENT_EVENTS)[number];

/** One alert of the incident (enrichment). Extra fields are kept and passed on by formats that carry raw data. */
export interface AlertSummary {
  name: string;
  title: string;
  severity?: string;
  status?: string;
  productName?: string;
  timeGenerated?: string;
  [field: string]: unknown;
}

/** One entity of the incident (enrichment): an account, host, IP, … */
export interface EntitySummary {
  kind: string;
  friendlyName: string;
  [field: string]: unknown;
}

/** The result of one KQL enrichment query (the destination's `enrich.queries`), capped; or why it has none. */
export interface QueryResult {
  name: string;
  columns: string[];
  rows: unknown[][];
  /** Rows, columns or bytes were left out to stay within the limits. */
  truncated: boolean;
  /** The query failed or timed out (no rows), or the service returned a partial result (rows kept). */
  error?: string;
}

export interface IncidentEnrichment {
  alerts?: AlertSummary[];
  entities?: EntitySummary[];
  queries?: QueryResult[];
}

/** A query result cell as text: strings as they are, null as empty, anything else as JSON. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** One line saying what a query gave: its row count (and that it was cut), or its error. */
export function queryHeadline(q: QueryResult): string {
  const rows = `${q.rows.length} row${q.rows.length === 1 ? '' : 's'}${q.truncated ? ', truncated' : ''}`;
  if (q.error && !q.rows.length) return `${q.name}: failed (${q.error})`;
  return `${q.name}: ${rows}${q.error ? ` (partial: ${q.error})` : ''}`;
}

export interface IncidentSummary {
  /** The incident's ARM name, a GUID: the correlation id at every destination (X-S4-ExternalID, dedup_key, subject). */
  name: string;
  /** ARM id of the incident. */
  id: string;
  /** ARM id of the workspace: /subscriptions/…/resourceGroups/…/providers/Microsoft.OperationalInsights/workspaces/… */
  workspaceId: string;
  number: number;
  title: string;
  description: string;
  severity: IncidentSeverity;
  status: IncidentStatus;
  classification?: string;
  classificationReason?: string;
  /** Display name of the owner (assignedTo, else UPN, else email). */
  owner?: string;
  createdTimeUtc: string;
  lastModifiedTimeUtc?: string;
  /** Link to the incident in the portal. */
  incidentUrl: string;
  labels: string[];
  providerName?: string;
  providerIncidentId?: string;
  alertsCount?: number;
  tactics?: string[];
  techniques?: string[];
  enrichment?: IncidentEnrichment;
  /** Merged into this incident (Defender/Graph `redirected`): the id of the incident that now holds its alerts. */
  mergedInto?: string;
}

/** An HTTP request body and its headers, as a format produces it and send.ts posts it. */
export interface FormattedRequest {
  body: string;
  headers: Record<string, string>;
}

/** Per-delivery inputs: the delivery id (stable across retries of one delivery) and the clock. */
export interface FormatContext {
  deliveryId: string;
  now?: Date;
}

export const ELLIPSIS = '…';

/**
 * Shortens text to at most `max` characters (UTF-16 code units, so never more characters than a code-point count
 * would allow), ending with an ellipsis when shortened. Never splits a surrogate pair. Text within the limit is
 * returned unchanged.
 */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  if (max === 1) return ELLIPSIS;
  let cut = max - ELLIPSIS.length;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1; // a high surrogate whose pair would be cut off
  return text.slice(0, cut).trimEnd() + ELLIPSIS;
}

/** A JSON request body with its content type. */
export function jsonRequest(value: unknown, contentType = 'application/json'): FormattedRequest {
  return { body: JSON.stringify(value), headers: { 'content-type': contentType } };
}

/** The enrichment a destination may see: only destinations configured with `enrich` get it. */
export function enrichmentFor(incident: IncidentSummary, destination: Pick<Destination, 'enrich'>): IncidentEnrichment | undefined {
  return destination.enrich ? incident.enrichment : undefined;
}

/** The workspace name at the end of a workspace ARM id (the whole id when it has no /workspaces/ segment). */
export function workspaceNameOf(workspaceId: string): string {
  const match = /\/workspaces\/([^/]+)/i.exec(workspaceId);
  return match?.[1] ?? workspaceId;
}

/** The portal link Sentinel itself uses when an incident carries none. */
export function portalLinkOf(incidentId: string): string {
  return `https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident${incidentId}`;
}

/** The incident fields in a stable order, for formats that show them as a list. */
export function incidentFacts(incident: IncidentSummary): { title: string; value: string }[] {
  const facts: { title: string; value: string }[] = [
    { title: 'Severity', value: incident.severity },
    { title: 'Status', value: incident.status },
    { title: 'Incident', value: `#${incident.number}` },
    { title: 'Workspace', value: workspaceNameOf(incident.workspaceId) },
    { title: 'Created', value: incident.createdTimeUtc },
  ];
  if (incident.owner) facts.push({ title: 'Owner', value: truncateText(incident.owner, 256) });
  if (incident.classification) facts.push({ title: 'Classification', value: truncateText(incident.classification, 256) });
  if (incident.alertsCount !== undefined) facts.push({ title: 'Alerts', value: String(incident.alertsCount) });
  if (incident.tactics?.length) facts.push({ title: 'Tactics', value: truncateText(incident.tactics.join(', '), 500) });
  if (incident.labels.length) facts.push({ title: 'Labels', value: truncateText(incident.labels.join(', '), 500) });
  return facts;
}

// ---- Mapping from the ARM / SDK shape ----

const time = z.union([z.string(), z.date()]).transform((v) => (v instanceof Date ? v.toISOString() : v));
const optionalText = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);

const armPropertiesSchema = z.object({
  title: z.string().min(1, 'title is missing'),
  description: z.string().nullish(),
  severity: z.enum(INCIDENT_SEVERITIES),
  status: z.enum(INCIDENT_STATUSES),
  classification: optionalText,
  classificationReason: optionalText,
  owner: z
    .object({ assignedTo: optionalText, userPrincipalName: optionalText, email: optionalText })
    .nullish()
    .transform((o) => o?.assignedTo ?? o?.userPrincipalName ?? o?.email ?? undefined),
  createdTimeUtc: time,
  lastModifiedTimeUtc: time.nullish(),
  incidentNumber: z.number().int().nullish(),
  incidentUrl: optionalText,
  labels: z
    .array(z.object({ labelName: z.string() }))
    .nullish()
    .transform((l) => (l ?? []).map((x) => x.labelName)),
  providerName: optionalText,
  providerIncidentId: optionalText,
  additionalData: z
    .object({
      alertsCount: z.number().nullish(),
      tactics: z.array(z.string()).nullish(),
      techniques: z.array(z.string()).nullish(),
    })
    .nullish(),
});

const armIncidentSchema = z.object({
  id: z.string().nullish(),
  name: z.string().min(1, 'name is missing'),
});

export class IncidentShapeError extends Error {
  override name = 'IncidentShapeError';
}

/**
 * Maps an incident as ARM returns it (`{id, name, properties: {title, severity, …}}`) or as the SDK returns it
 * (the same fields flattened onto the object, times as Date) to an IncidentSummary. Throws IncidentShapeError naming
 * the field when a required one is missing or has a value Sentinel does not define.
 */
export function fromArmIncident(armIncident: unknown, workspaceId: string): IncidentSummary {
  const head = armIncidentSchema.safeParse(armIncident);
  if (!head.success) throw new IncidentShapeError(`Incident has an unexpected shape: ${describeIssues(head.error)}`);
  const raw = armIncident as { properties?: unknown };
  const source = raw.properties !== undefined && raw.properties !== null ? raw.properties : armIncident;
  const parsed = armPropertiesSchema.safeParse(source);
  if (!parsed.success) throw new IncidentShapeError(`Incident ${head.data.name} has an unexpected shape: ${describeIssues(parsed.error)}`);
  const p = parsed.data;
  const id = head.data.id ?? `${workspaceId}/providers/Microsoft.SecurityInsights/Incidents/${head.data.name}`;
  const additional = p.additionalData ?? undefined;

  const summary: IncidentSummary = {
    name: head.data.name,
    id,
    workspaceId,
    number: p.incidentNumber ?? 0,
    title: p.title,
    description: p.description ?? '',
    severity: p.severity,
    status: p.status,
    createdTimeUtc: p.createdTimeUtc,
    incidentUrl: p.incidentUrl ?? portalLinkOf(id),
    labels: p.labels,
  };
  if (p.classification) summary.classification = p.classification;
  if (p.classificationReason) summary.classificationReason = p.classificationReason;
  if (p.owner) summary.owner = p.owner;
  if (p.lastModifiedTimeUtc) summary.lastModifiedTimeUtc = p.lastModifiedTimeUtc;
  if (p.providerName) summary.providerName = p.providerName;
  if (p.providerIncidentId) summary.providerIncidentId = p.providerIncidentId;
  if (typeof additional?.alertsCount === 'number') summary.alertsCount = additional.alertsCount;
  if (additional?.tactics?.length) summary.tactics = additional.tactics;
  if (additional?.techniques?.length) summary.techniques = additional.techniques;
  return summary;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
}
