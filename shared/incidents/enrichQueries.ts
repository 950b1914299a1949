// KQL enrichment: a destination's `enrich.queries` run against the incident's Log Analytics workspace, in parallel,
// each with the incident's values as `let` parameters (shared/kql.ts names them; kqlQuery.ts writes them as literals,
// never as query text). Each result is capped for display; a query that fails or runs out of time comes back with its
// error, so forwarding never waits longer than the time cap and never fails because of a query.
import type { EnrichQuery } from '../config.js';
import type { EntitySummary, IncidentEnrichment, IncidentSummary, QueryResult } from '../destinations/incident.js';
import { truncateText } from '../destinations/incident.js';
import type { EnrichQueryParameter } from '../kql.js';
import type { KqlLimits, KqlOutcome, KqlQueryRunner, KqlValue } from './kqlQuery.js';

/** Per query; all queries run at once, so `timeoutMs` is also the cap on the whole enrichment. */
export const ENRICH_QUERY_LIMITS: KqlLimits = { maxRows: 20, maxColumns: 10, maxBytes: 4096, timeoutMs: 20_000 };
/** Values per list parameter. */
export const PARAMETER_VALUES_MAX = 50;
const ERROR_MAX = 500;

const text = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** The names an entity is known by, per kind: what a query would compare with a table's column. */
function entityValues(e: EntitySummary): { kind: 'ip' | 'account' | 'host'; values: string[] } | undefined {
  const kind = e.kind.toLowerCase();
  if (kind === 'ip') return { kind: 'ip', values: [text(e.address) ?? e.friendlyName] };
  if (kind === 'account') {
    const name = text(e.accountName);
    const suffix = text(e.upnSuffix);
    const upn = text(e.userPrincipalName) ?? (name && suffix ? `${name}@${suffix}` : undefined);
    return { kind: 'account', values: [name ?? e.friendlyName, ...(upn ? [upn] : [])] };
  }
  if (kind === 'host') {
    const host = text(e.hostName);
    const domain = text(e.dnsDomain);
    const fqdn = text(e.fqdn) ?? text(e.deviceDnsName) ?? (host && domain ? `${host}.${domain}` : undefined);
    return { kind: 'host', values: [host ?? e.friendlyName, ...(fqdn ? [fqdn] : [])] };
  }
  return undefined;
}

const unique = (values: string[]) => [...new Set(values.filter(Boolean))].slice(0, PARAMETER_VALUES_MAX);

/** The incident's values for the declared parameters (shared/kql.ts ENRICH_QUERY_PARAMETERS). */
export function queryParameters(
  incident: Pick<IncidentSummary, 'number' | 'name' | 'id' | 'createdTimeUtc'>,
  found: IncidentEnrichment = {},
): Record<EnrichQueryParameter, KqlValue> {
  const lists = { ip: [] as string[], account: [] as string[], host: [] as string[] };
  for (const e of found.entities ?? []) {
    const v = entityValues(e);
    if (v) lists[v.kind].push(...v.values);
  }
  return {
    incidentNumber: incident.number,
    incidentName: incident.name,
    incidentId: incident.id,
    incidentCreated: new Date(incident.createdTimeUtc),
    alertIds: unique((found.alerts ?? []).map((a) => a.name)),
    ipAddresses: unique(lists.ip),
    accounts: unique(lists.account),
    hosts: unique(lists.host),
  };
}

/** One outcome as a destination shows it: the first table (the API's PrimaryResult), or the error. */
export function queryResult(name: string, outcome: KqlOutcome): QueryResult {
  if (!outcome.ok) {
    const e = outcome.error;
    const what = [e.code, e.status ? `HTTP ${e.status}` : undefined].filter(Boolean).join(', ');
    return { name, columns: [], rows: [], truncated: false, error: truncateText(`${what ? `${what}: ` : ''}${e.message}`, ERROR_MAX) };
  }
  const [first, ...rest] = outcome.tables;
  return {
    name,
    columns: first?.columns.map((c) => c.name) ?? [],
    rows: first?.rows ?? [],
    truncated: outcome.truncated || rest.some((t) => t.rows.length > 0),
    ...(outcome.partialError ? { error: truncateText(`${outcome.partialError.code}: ${outcome.partialError.message}`, ERROR_MAX) } : {}),
  };
}

/** Runs every query at once against the workspace; never throws. */
export async function runEnrichQueries(
  runner: KqlQueryRunner,
  workspaceId: string | undefined,
  queries: readonly EnrichQuery[],
  parameters: Record<EnrichQueryParameter, KqlValue>,
  limits: KqlLimits = ENRICH_QUERY_LIMITS,
): Promise<QueryResult[]> {
  return Promise.all(
    queries.map(async (q): Promise<QueryResult> => {
      // The settings check requires it; a workspace read from an older message may still lack it.
      if (!workspaceId) return queryResult(q.name, { ok: false, error: { message: 'the workspace has no workspaceId' } });
      const outcome = await runner
        .run({ workspaceId, query: q.query, parameters, limits, ...(q.timespan ? { timespan: q.timespan } : {}) })
        .catch((e: unknown): KqlOutcome => ({ ok: false, error: { message: (e as Error).message } }));
      return queryResult(q.name, outcome);
    }),
  );
}
