// Which IncidentApi reads a workspace: the entry's `api` (default sentinel), or the one a queued message names (the
// API that listed the incident, so a message enqueued before a switch is still read where its id is valid).
import type { IncidentApiName, SentinelWorkspace } from '../config.js';
import type { IncidentDeps } from './deps.js';
import type { IncidentApi } from './incidentApi.js';
import { graphIncidentApi } from './incidentApiGraph.js';
import { sentinelIncidentApi } from './incidentApiSentinel.js';

export type IncidentApiDeps = Pick<IncidentDeps, 'config' | 'sentinel' | 'graph' | 'pageSize'>;

export function incidentApiFor(deps: IncidentApiDeps, ws: SentinelWorkspace, api: IncidentApiName = ws.api ?? 'sentinel'): IncidentApi {
  return api === 'graph'
    ? graphIncidentApi(deps.graph, ws, deps.config.GRAPH_ENDPOINT, deps.pageSize)
    : sentinelIncidentApi(deps.sentinel, ws, deps.pageSize);
}
