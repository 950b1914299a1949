// What two-way sync does to an incident, behind one interface both incident APIs can implement (issue 12 §4): the
// SecurityInsights REST API here (ETag-conditional updates through tagging.ts, comments with our own ids), the
// Microsoft Graph security API in incidentWriterGraph.ts (PATCH /security/incidents/{id}, POST …/comments); the
// workspace's `api` picks one (incidentApis.ts). Callers never see the API's own shapes: a failure is an
// IncidentWriteError saying whether trying again can help.
import type { Classification, ClassificationReason } from '../callbacks/types.js';
import type { SentinelWorkspace } from '../config.js';
import { fromArmIncident, type IncidentSummary } from '../destinations/index.js';
import { type ArmIncidentProperties, type IncidentOwner, isConflict, SentinelApiError, type SentinelClient } from './sentinelClient.js';
import { IncidentUpdateError, updateIncident } from './tagging.js';
import { incidentArmId, workspaceArmId } from './workspaces.js';

/** One incident: the workspace it lives in and its name (the claims table's key). */
export interface IncidentTarget {
  ws: SentinelWorkspace;
  name: string;
  /** Its id in the workspace's API when that is not `name` (a Sentinel name, where claims key the incident by its XDR id). */
  id?: string;
}

/** The incident after a write, in API-neutral terms. */
export interface IncidentState {
  id: string;
  status: string;
  owner?: IncidentOwner;
  classification?: string;
  classificationReason?: string;
}

export type WriteOutcome =
  | { result: 'changed' | 'unchanged'; incident: IncidentState; attempts: number }
  /** Acknowledge, reassign or close of an incident that is already closed: never reopened, never re-classified. */
  | { result: 'already-closed'; incident: IncidentState }
  | { result: 'missing' };

export interface CloseRequest {
  classification: Classification;
  reason?: ClassificationReason;
  /** The closing comment (the incident's classification comment). */
  comment: string;
  owner?: string;
}

export interface IncidentWriter {
  /** Status Active, and the owner when given. */
  acknowledge(target: IncidentTarget, owner: string | undefined): Promise<WriteOutcome>;
  /** A new owner; the status stays. */
  assign(target: IncidentTarget, owner: string): Promise<WriteOutcome>;
  close(target: IncidentTarget, close: CloseRequest): Promise<WriteOutcome>;
  /** Creates or replaces the comment with this id: the same id never makes a second comment. */
  comment(target: IncidentTarget, id: string, text: string): Promise<void>;
  /** The incident as destinations see it (Slack's updated message), or undefined when it does not exist. */
  summary(target: IncidentTarget): Promise<IncidentSummary | undefined>;
}

export type WriteFailure = 'conflict' | 'forbidden' | 'unavailable' | 'refused';

export class IncidentWriteError extends Error {
  override name = 'IncidentWriteError';
  constructor(
    message: string,
    /** conflict: kept changing while written; forbidden: the identity lacks the role; unavailable: throttled, 5xx,
     * network — retry later; refused: the API rejected the write. */
    readonly kind: WriteFailure,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** Whether the same call later can succeed (the vendor should retry). */
  get retryable(): boolean {
    return this.kind === 'conflict' || this.kind === 'unavailable';
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Sentinel's owner object from what a destination knows: an Entra object id, a UPN / email, or a display name. */
export function ownerInfo(owner: string): IncidentOwner {
  if (GUID.test(owner)) return { objectId: owner };
  if (owner.includes('@')) return { userPrincipalName: owner, email: owner };
  return { assignedTo: owner };
}

const sameOwner = (a: IncidentOwner | undefined, b: IncidentOwner | undefined) => JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});

/** Active with the owner; undefined when nothing changes. (A closed incident is left alone by the caller.) */
export function acknowledged(p: ArmIncidentProperties, owner: string | undefined): ArmIncidentProperties | undefined {
  const next: ArmIncidentProperties = { ...p, status: 'Active' };
  if (owner) next.owner = ownerInfo(owner);
  return p.status === 'Active' && sameOwner(p.owner, next.owner) ? undefined : next;
}

export function assigned(p: ArmIncidentProperties, owner: string): ArmIncidentProperties | undefined {
  const next: ArmIncidentProperties = { ...p, owner: ownerInfo(owner) };
  return sameOwner(p.owner, next.owner) ? undefined : next;
}

export function closedWith(p: ArmIncidentProperties, close: CloseRequest): ArmIncidentProperties {
  const next: ArmIncidentProperties = {
    ...p,
    status: 'Closed',
    classification: close.classification,
    classificationComment: close.comment,
  };
  if (close.reason) next.classificationReason = close.reason;
  else delete next.classificationReason;
  if (close.owner) next.owner = ownerInfo(close.owner);
  return next;
}

/** The Sentinel incident name of a target. */
const nameOf = (target: IncidentTarget) => target.id ?? target.name;

function stateOf(target: IncidentTarget, id: string | undefined, p: ArmIncidentProperties): IncidentState {
  return {
    id: id ?? incidentArmId(target.ws, nameOf(target)),
    status: p.status,
    ...(p.owner ? { owner: p.owner } : {}),
    ...(p.classification ? { classification: p.classification } : {}),
    ...(p.classificationReason ? { classificationReason: p.classificationReason } : {}),
  };
}

/** An API's refusal by its HTTP status (0: no answer), with advice on a refused identity that names `role`. */
export function refusal(status: number, role: string): { kind: WriteFailure; advice: string } {
  if (status === 403) return { kind: 'forbidden', advice: ` — the app's identity needs ${role}` };
  if (status === 401) return { kind: 'forbidden', advice: ' — the token was refused; check the managed identity (AZURE_CLIENT_ID)' };
  return { kind: status === 429 || status >= 500 || status === 0 ? 'unavailable' : 'refused', advice: '' };
}

/** SentinelApiError / IncidentUpdateError → IncidentWriteError; anything else (a bug) is rethrown. */
function writeError(e: unknown): never {
  if (e instanceof IncidentUpdateError || isConflict(e)) throw new IncidentWriteError((e as Error).message, 'conflict', 409);
  if (e instanceof SentinelApiError) {
    const { kind, advice } = refusal(e.status, 'the Microsoft Sentinel Responder role on the workspace');
    throw new IncidentWriteError(
      `Sentinel refused the update: ${e.status} ${e.code ?? ''}${advice}`.replace(/\s+/g, ' ').trim(),
      kind,
      e.status,
      e.retryAfterMs,
    );
  }
  throw e;
}

/** The SecurityInsights implementation. */
export function sentinelIncidentWriter(client: SentinelClient): IncidentWriter {
  /** Applies a change unless the incident is closed; `change` returns undefined when nothing needs writing. */
  async function write(
    target: IncidentTarget,
    change: (p: ArmIncidentProperties) => ArmIncidentProperties | undefined,
  ): Promise<WriteOutcome> {
    let closed = false;
    try {
      const updated = await updateIncident(client, target.ws, nameOf(target), (p) => {
        closed = p.status === 'Closed';
        return closed ? undefined : change(p);
      });
      if (!updated) return { result: 'missing' };
      const incident = stateOf(target, updated.incident.id, updated.incident.properties);
      if (closed) return { result: 'already-closed', incident };
      return { result: updated.changed ? 'changed' : 'unchanged', incident, attempts: updated.attempts };
    } catch (e) {
      return writeError(e);
    }
  }
  return {
    acknowledge: (target, owner) => write(target, (p) => acknowledged(p, owner)),
    assign: (target, owner) => write(target, (p) => assigned(p, owner)),
    close: (target, close) => write(target, (p) => closedWith(p, close)),
    async comment(target, id, text) {
      try {
        await client.putComment(target.ws, nameOf(target), id, text);
      } catch (e) {
        writeError(e);
      }
    },
    async summary(target) {
      try {
        const arm = await client.getIncident(target.ws, nameOf(target));
        return arm ? fromArmIncident(arm, workspaceArmId(target.ws)) : undefined;
      } catch (e) {
        return writeError(e);
      }
    },
  };
}
