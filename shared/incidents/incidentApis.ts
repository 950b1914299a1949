// Which IncidentApi reads a workspace: the entry's `api` (default sentinel), or the one a queued message names (the
// API that listed the incident, so a message enqueued before a switch is still read where its id is valid). Writes
// (status sync, callbacks) go through the workspace's current API: incidentWriterFor / routedIncidentWriter.
import type { IncidentApiName, SentinelWorkspace } from '../config.js';
import type { IncidentDeps } from './deps.js';
import type { IncidentApi } from './incidentApi.js';
import { graphIncidentApi } from './incidentApiGraph.js';
import { sentinelIncidentApi } from './incidentApiSentinel.js';
import { type IncidentTarget, type IncidentWriter, sentinelIncidentWriter } from './incidentWriter.js';
import { graphIncidentWriter } from './incidentWriterGraph.js';

export type IncidentApiDeps = Pick<IncidentDeps, 'config' | 'sentinel' | 'graph' | 'pageSize'>;

export function incidentApiFor(deps: IncidentApiDeps, ws: SentinelWorkspace, api: IncidentApiName = ws.api ?? 'sentinel'): IncidentApi {
  return api === 'graph'
    ? graphIncidentApi(deps.graph, ws, deps.config.GRAPH_ENDPOINT, deps.pageSize)
    : sentinelIncidentApi(deps.sentinel, ws, deps.pageSize);
}

export type IncidentWriterDeps = Pick<IncidentDeps, 'config' | 'sentinel' | 'graph'>;

export function incidentWriterFor(deps: IncidentWriterDeps, api: IncidentApiName = 'sentinel'): IncidentWriter {
  return api === 'graph' ? graphIncidentWriter(deps.graph, deps.config.GRAPH_ENDPOINT) : sentinelIncidentWriter(deps.sentinel);
}

/** One writer for every workspace: each target is written through its workspace's `api` (default sentinel). */
export function routedIncidentWriter(deps: IncidentWriterDeps): IncidentWriter {
  const writers = new Map<IncidentApiName, IncidentWriter>([
    ['sentinel', incidentWriterFor(deps, 'sentinel')],
    ['graph', incidentWriterFor(deps, 'graph')],
  ]);
  const of = (target: IncidentTarget) => writers.get(target.ws.api ?? 'sentinel') as IncidentWriter;
  return {
    acknowledge: (target, owner) => of(target).acknowledge(target, owner),
    assign: (target, owner) => of(target).assign(target, owner),
    close: (target, close) => of(target).close(target, close),
    comment: (target, id, text) => of(target).comment(target, id, text),
    summary: (target) => of(target).summary(target),
  };
}
