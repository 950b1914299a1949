// The incident API of a workspace with `"api": "sentinel"`: Sentinel's SecurityInsights REST API (sentinelClient.ts),
// tagging with ETag-conditional label updates and comments with deterministic ids (tagging.ts).
import type { SentinelWorkspace } from '../config.js';
import { fromArmIncident } from '../destinations/incident.js';
import { canonicalIncidentId } from './canonicalId.js';
import { capEnrichment, ENRICHMENT_LIMITS, summarizeAlert, summarizeEntity } from './enrichment.js';
import type { IncidentApi, ListedIncident } from './incidentApi.js';
import { CLOSED_ORDER, CREATED_ORDER, closedFilter, createdFilter, PAGE_SIZE } from './pollWindow.js';
import type { ArmIncident, SentinelClient } from './sentinelClient.js';
import { addIncidentLabel } from './tagging.js';
import { workspaceArmId } from './workspaces.js';

export function sentinelIncidentApi(client: SentinelClient, ws: SentinelWorkspace, pageSize = PAGE_SIZE): IncidentApi {
  const listed = (incident: ArmIncident): ListedIncident => {
    const p = incident.properties;
    const key = canonicalIncidentId({ api: 'sentinel', incident });
    return {
      id: incident.name,
      key,
      ...(key !== incident.name ? { legacyKey: incident.name } : {}),
      title: String(p.title ?? ''),
      status: String(p.status ?? ''),
      severity: String(p.severity ?? ''),
      createdTimeUtc: String(p.createdTimeUtc ?? ''),
      ...(p.lastModifiedTimeUtc ? { lastModifiedTimeUtc: String(p.lastModifiedTimeUtc) } : {}),
    };
  };
  return {
    api: 'sentinel',
    async *listNew(query) {
      for await (const incident of listAll(client, ws, createdFilter(query), CREATED_ORDER, 'createdTimeUtc', pageSize))
        yield listed(incident);
    },
    async *listEnded(since) {
      for await (const incident of listAll(client, ws, closedFilter(since), CLOSED_ORDER, 'lastModifiedTimeUtc', pageSize))
        yield listed(incident);
    },
    async getSummary(id) {
      const arm = await client.getIncident(ws, id);
      return arm ? fromArmIncident(arm, workspaceArmId(ws)) : undefined;
    },
    async enrich(id, parts) {
      const [alerts, entities] = await Promise.all([
        parts.alerts ? client.listAlerts(ws, id) : [],
        parts.entities ? client.listEntities(ws, id) : [],
      ]);
      return capEnrichment({
        ...(parts.alerts ? { alerts: alerts.map((a) => summarizeAlert(a, ENRICHMENT_LIMITS)) } : {}),
        ...(parts.entities ? { entities: entities.map((x) => summarizeEntity(x, ENRICHMENT_LIMITS)) } : {}),
      });
    },
    async addTag(id, tag) {
      return (await addIncidentLabel(client, ws, id, tag)) !== undefined;
    },
    async addComment(id, commentId, text) {
      await client.putComment(ws, id, commentId, text);
    },
  };
}

/**
 * Every incident matching the filter: all pages by nextLink. Should a page come back full without a nextLink
 * (a service treating $top as a total), the list continues from the last key seen (`field ge last`), skipping
 * incidents already returned, until a page is not full.
 */
export async function* listAll(
  client: SentinelClient,
  ws: SentinelWorkspace,
  filter: string,
  orderby: string,
  keyField: 'createdTimeUtc' | 'lastModifiedTimeUtc',
  top: number,
): AsyncGenerator<ArmIncident> {
  const seen = new Set<string>();
  let currentFilter = filter;
  let cursor: string | undefined;
  for (let round = 0; round < 100; round++) {
    let lastPage: { size: number; nextLink?: string } = { size: 0 };
    let lastKey: string | undefined;
    for await (const page of client.listIncidentPages(ws, { filter: currentFilter, orderby, top })) {
      lastPage = { size: page.value.length, ...(page.nextLink ? { nextLink: page.nextLink } : {}) };
      for (const incident of page.value) {
        const key = incident.properties?.[keyField];
        if (typeof key === 'string') lastKey = key;
        if (seen.has(incident.name)) continue;
        seen.add(incident.name);
        yield incident;
      }
    }
    if (lastPage.size < top || !lastKey || lastKey === cursor) return;
    cursor = lastKey;
    currentFilter = `${filter} and properties/${keyField} ge ${lastKey.replace(/\.\d+Z$/, 'Z')}`;
  }
}
