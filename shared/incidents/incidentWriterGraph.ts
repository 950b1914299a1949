// The IncidentWriter of a workspace with `"api": "graph"`: PATCH /security/incidents/{id} and POST …/comments of the
// Microsoft Graph security API (graphClient.ts; contract in docs/graph-security-api.md). The target's name is the
// claims key, which for a Graph workspace is the Graph incident id (canonicalId.ts).
//   acknowledge → assignedTo = the owner, plus `status: active` when the incident is active (Graph cannot set
//                 inProgress, so one already in progress or awaiting action keeps its status); no owner → unchanged
//   assign      → assignedTo
//   close       → the closing comment (POST), then `status: resolved` + classification + determination
//                 (mapCloseClassification) + assignedTo when given
//   resolved or redirected (merged) → already-closed: never PATCHed, never reopened, never re-classified.
// Graph has no ETag: each write reads, decides, then PATCHes (last writer wins; `attempts` is 1). Comments are
// POST-only with no id of ours: the marker of incidentApiGraph.ts makes the same comment id post once; the closing
// comment's id is derived from the incident and the close, so a retry after a lost answer does not post it twice.
import { isRestError } from '@azure/core-rest-pipeline';
import type { Classification, ClassificationReason } from '../config.js';
import { GraphApiError, type GraphClient, type GraphIncident, type GraphIncidentPatch, mapCloseClassification } from './graphClient.js';
import { graphIncidentApi, statusFromGraph } from './incidentApiGraph.js';
import {
  type IncidentState,
  type IncidentTarget,
  IncidentWriteError,
  type IncidentWriter,
  refusal,
  type WriteOutcome,
} from './incidentWriter.js';
import { stableGuid } from './workspaces.js';

const CLASSIFICATION_FROM_GRAPH = new Map<string, Classification>([
  ['truepositive', 'TruePositive'],
  ['falsepositive', 'FalsePositive'],
  ['informationalexpectedactivity', 'BenignPositive'],
  ['unknown', 'Undetermined'],
]);
// The determinations mapCloseClassification writes (both spellings Graph uses for each), back in Sentinel's terms.
const REASON_FROM_GRAPH = new Map<string, ClassificationReason>([
  ['notmalicious', 'IncorrectAlertLogic'],
  ['clean', 'IncorrectAlertLogic'],
  ['notenoughdatatovalidate', 'InaccurateData'],
  ['insufficientdata', 'InaccurateData'],
]);

const ENDED = new Set(['resolved', 'redirected']);
const isEnded = (g: GraphIncident) => ENDED.has(String(g.status).toLowerCase());

/** The incident after a write, in the bridge's terms (status New/Active/Closed, Sentinel's classification names). */
export function graphState(g: GraphIncident): IncidentState {
  const classification = g.classification ? CLASSIFICATION_FROM_GRAPH.get(g.classification.toLowerCase()) : undefined;
  const reason = g.determination ? REASON_FROM_GRAPH.get(g.determination.toLowerCase()) : undefined;
  return {
    id: g.id,
    status: statusFromGraph(g.status),
    ...(g.assignedTo ? { owner: { assignedTo: g.assignedTo } } : {}),
    // Undetermined is Graph's default on every open incident: reported only once the incident is closed.
    ...(classification && (isEnded(g) || classification !== 'Undetermined') ? { classification } : {}),
    ...(classification && reason ? { classificationReason: reason } : {}),
  };
}

/** GraphApiError / RestError (network) → IncidentWriteError; anything else (a bug) is rethrown. */
function writeError(e: unknown): never {
  if (e instanceof GraphApiError) {
    const { kind, advice } = refusal(e.status, 'the Microsoft Graph application role SecurityIncident.ReadWrite.All');
    throw new IncidentWriteError(`Graph refused the update: ${e.message}${advice}`, kind, e.status, e.retryAfterMs);
  }
  if (isRestError(e)) throw new IncidentWriteError(`Graph could not be reached: ${e.message}`, 'unavailable', e.statusCode);
  throw e;
}

/** The id of a close's comment: the same close of the same incident always gives the same id. */
const closeCommentId = (target: IncidentTarget, parts: string[]) =>
  stableGuid('sentinel-bridge-close', target.name.toLowerCase(), ...parts);

export function graphIncidentWriter(client: GraphClient, graphEndpoint: string): IncidentWriter {
  const api = (target: IncidentTarget) => graphIncidentApi(client, target.ws, graphEndpoint);

  /** Reads the incident, lets `change` decide the PATCH (undefined: nothing to write), and writes it unless it ended. */
  async function write(
    target: IncidentTarget,
    change: (g: GraphIncident) => Promise<GraphIncidentPatch | undefined> | GraphIncidentPatch | undefined,
  ): Promise<WriteOutcome> {
    try {
      const current = await client.getIncident(target.name);
      if (!current) return { result: 'missing' };
      if (isEnded(current)) return { result: 'already-closed', incident: graphState(current) };
      const patch = await change(current);
      if (!patch) return { result: 'unchanged', incident: graphState(current), attempts: 1 };
      const updated = await client.updateIncident(target.name, patch);
      return { result: 'changed', incident: graphState(updated), attempts: 1 };
    } catch (e) {
      if (e instanceof GraphApiError && e.status === 404) return { result: 'missing' };
      return writeError(e);
    }
  }

  return {
    acknowledge: (target, owner) =>
      write(target, (g) => {
        if (!owner || g.assignedTo === owner) return undefined;
        return String(g.status).toLowerCase() === 'active' ? { status: 'active', assignedTo: owner } : { assignedTo: owner };
      }),
    assign: (target, owner) => write(target, (g) => (g.assignedTo === owner ? undefined : { assignedTo: owner })),
    close: (target, close) =>
      write(target, async () => {
        const mapped = mapCloseClassification(close.classification, close.reason);
        // The comment first: a close that fails after it is retried whole, and the retry finds the comment's marker.
        const id = closeCommentId(target, [close.classification, close.reason ?? '', close.comment]);
        await api(target).addComment(target.name, id, close.comment);
        return { status: 'resolved', ...mapped, ...(close.owner ? { assignedTo: close.owner } : {}) };
      }),
    async comment(target, id, text) {
      try {
        await api(target).addComment(target.name, id, text);
      } catch (e) {
        writeError(e);
      }
    },
    async summary(target) {
      try {
        return await api(target).getSummary(target.name);
      } catch (e) {
        return writeError(e);
      }
    },
  };
}
