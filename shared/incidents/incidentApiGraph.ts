// The incident API of a workspace with `"api": "graph"`: the tenant's unified Defender incidents through the Microsoft
// Graph security API (graphClient.ts; contract in docs/graph-security-api.md). The workspace entry still names the
// Sentinel workspace: links, claims and the webhook `source` use it.
//
// Status in the bridge's terms (Sentinel's definitions — New: "not being handled currently", Active: "being
// handled", Closed — learn.microsoft.com/dotnet/api/azure.resourcemanager.securityinsights.models.
// securityinsightsincidentstatus — against Graph's incidentStatus, security-incident.md):
//   active → New, inProgress | awaitingAction | unknownFutureValue → Active, resolved → Closed,
//   redirected → Closed with `mergedInto` = redirectIncidentId (merged; never forwarded as new, never PATCHed).
// `awaitingAction` comes back only with `Prefer: include-unknown-enum-members` (else unknownFutureValue), so the
// `$filter` for Active names inProgress only; an awaiting incident is listed when every status is configured (no
// status clause).
// Graph comments are POST-only and carry no id of ours: each comment ends with a marker naming its comment id, and
// addComment first reads the incident's comments and posts only when no comment has the marker (a retry after a lost
// answer finds its own comment).
import type { SentinelWorkspace } from '../config.js';
import { type IncidentSeverity, IncidentShapeError, type IncidentStatus, type IncidentSummary } from '../destinations/incident.js';
import { canonicalIncidentId } from './canonicalId.js';
import { capEnrichment, graphEvidenceEntities, summarizeGraphAlert } from './enrichment.js';
import { GraphApiError, type GraphClient, type GraphIncident, type GraphSeverity, type GraphStatus } from './graphClient.js';
import type { IncidentApi, ListedIncident } from './incidentApi.js';
import { workspaceArmId } from './workspaces.js';

/** Graph allows at most 50 incidents per page. */
export const GRAPH_PAGE_SIZE = 50;

const STATUS_TO_GRAPH: Record<IncidentStatus, GraphStatus> = { New: 'active', Active: 'inProgress', Closed: 'resolved' };
const SEVERITY_TO_GRAPH: Record<IncidentSeverity, GraphSeverity> = {
  High: 'high',
  Medium: 'medium',
  Low: 'low',
  Informational: 'informational',
};
const STATUS_FROM_GRAPH = new Map<string, IncidentStatus>([
  ['active', 'New'],
  ['inprogress', 'Active'],
  ['awaitingaction', 'Active'],
  ['unknownfuturevalue', 'Active'],
  ['resolved', 'Closed'],
  ['redirected', 'Closed'],
]);
const SEVERITY_FROM_GRAPH = new Map<string, IncidentSeverity>([
  ['high', 'High'],
  ['medium', 'Medium'],
  ['low', 'Low'],
  ['informational', 'Informational'],
]);

/** Our statuses as Graph's for `$filter` (undefined: every status, no clause). */
export function graphStatuses(statuses: readonly IncidentStatus[]): GraphStatus[] | undefined {
  if ((['New', 'Active', 'Closed'] as const).every((s) => statuses.includes(s))) return undefined;
  return [...new Set(statuses.map((s) => STATUS_TO_GRAPH[s]))];
}

/** Our severities as Graph's for `$filter` (always a clause: Graph's `unknown` severity is none of ours). */
export function graphSeverities(severities: readonly IncidentSeverity[]): GraphSeverity[] {
  return [...new Set(severities.map((s) => SEVERITY_TO_GRAPH[s]))];
}

/** The Graph status in the bridge's terms; an unknown value is kept as is (it then matches no configured status). */
export const statusFromGraph = (status: string): string => STATUS_FROM_GRAPH.get(status.toLowerCase()) ?? status;
export const severityFromGraph = (severity: string): string => SEVERITY_FROM_GRAPH.get(severity.toLowerCase()) ?? severity;

export function listedFromGraph(g: GraphIncident): ListedIncident {
  const merged = g.status.toLowerCase() === 'redirected' && g.redirectIncidentId ? String(g.redirectIncidentId) : undefined;
  return {
    id: g.id,
    key: canonicalIncidentId({ api: 'graph', incident: g }),
    title: String(g.displayName ?? ''),
    status: statusFromGraph(g.status),
    severity: severityFromGraph(g.severity),
    createdTimeUtc: g.createdDateTime,
    lastModifiedTimeUtc: g.lastUpdateDateTime,
    ...(merged ? { mergedInto: merged } : {}),
  };
}

/** A Graph incident as destinations get it. The incident `id` is its Graph resource URL; the workspace is the configured one. */
export function summaryFromGraph(g: GraphIncident, ws: SentinelWorkspace, graphEndpoint: string): IncidentSummary {
  const status = STATUS_FROM_GRAPH.get(String(g.status).toLowerCase());
  const severity = SEVERITY_FROM_GRAPH.get(String(g.severity).toLowerCase());
  if (!g.displayName) throw new IncidentShapeError(`Graph incident ${g.id} has no displayName`);
  if (!status) throw new IncidentShapeError(`Graph incident ${g.id} has status '${g.status}', which the bridge does not know`);
  if (!severity) throw new IncidentShapeError(`Graph incident ${g.id} has severity '${g.severity}', which is none of ours`);
  const number = Number(g.id);
  const summary: IncidentSummary = {
    name: g.id,
    id: `${graphEndpoint}/v1.0/security/incidents/${encodeURIComponent(g.id)}`,
    workspaceId: workspaceArmId(ws),
    number: Number.isSafeInteger(number) ? number : 0,
    title: g.displayName,
    description: g.description ?? '',
    severity,
    status,
    createdTimeUtc: g.createdDateTime,
    lastModifiedTimeUtc: g.lastUpdateDateTime,
    incidentUrl: g.incidentWebUrl ?? `https://security.microsoft.com/incidents/${encodeURIComponent(g.id)}`,
    labels: g.customTags ?? [],
    providerName: 'Microsoft XDR',
    providerIncidentId: g.id,
  };
  if (g.classification && g.classification !== 'unknown') summary.classification = g.classification;
  if (g.assignedTo) summary.owner = g.assignedTo;
  if (Array.isArray(g.alerts)) summary.alertsCount = g.alerts.length;
  if (g.status.toLowerCase() === 'redirected' && g.redirectIncidentId) summary.mergedInto = String(g.redirectIncidentId);
  return summary;
}

/** The marker that makes a Graph comment recognisable on a retry. */
export const commentMarker = (commentId: string) => `[sentinel-bridge:${commentId}]`;

export function graphIncidentApi(
  client: GraphClient,
  ws: SentinelWorkspace,
  graphEndpoint: string,
  pageSize = GRAPH_PAGE_SIZE,
): IncidentApi {
  const top = Math.min(pageSize, GRAPH_PAGE_SIZE);
  return {
    api: 'graph',
    async *listNew(query) {
      const statuses = graphStatuses(query.statuses);
      const pages = client.listIncidents({
        createdSince: query.since,
        ...(statuses ? { statuses } : {}),
        severities: graphSeverities(query.severities),
        top,
      });
      for await (const page of pages) for (const g of page) yield listedFromGraph(g);
    },
    async *listEnded(since) {
      for await (const page of client.listIncidents({ updatedSince: since, statuses: ['resolved', 'redirected'], top }))
        for (const g of page) yield listedFromGraph(g);
    },
    async getSummary(id) {
      const g = await client.getIncident(id);
      return g ? summaryFromGraph(g, ws, graphEndpoint) : undefined;
    },
    async enrich(id, parts) {
      const alerts = (await client.getIncident(id, { expandAlerts: true }))?.alerts ?? [];
      return capEnrichment({
        ...(parts.alerts ? { alerts: alerts.map((a) => summarizeGraphAlert(a)) } : {}),
        ...(parts.entities ? { entities: graphEvidenceEntities(alerts) } : {}),
      });
    },
    async addTag(id, tag) {
      try {
        await client.addTag(id, tag);
        return true;
      } catch (e) {
        if (e instanceof GraphApiError && e.status === 404) return false;
        throw e;
      }
    },
    async addComment(id, commentId, text) {
      const marker = commentMarker(commentId);
      const current = await client.getIncident(id);
      if (current?.comments?.some((c) => c.comment?.includes(marker))) return;
      await client.addComment(id, `${text} ${marker}`);
    },
  };
}
