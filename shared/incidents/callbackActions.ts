// What a destination's status change does to an incident, shared by the callback route (vendor formats) and the
// status route (our JSON): which incidents the destination may touch (scope), once per vendor event (idempotency),
// and the change itself with its one comment naming the destination.
//
// Rows in the claims table (shared/incidents/claims.ts has the incident rows):
//   PartitionKey `callback:{destination}`  RowKey sha256(event id)  — the event was acted on (idempotency)
//   PartitionKey `pagerduty:{destination}` RowKey PagerDuty incident id — its alerts' alert_keys (our dedup_keys)
import { createHash } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import type { CallbackEvent, CallbackUser } from '../callbacks/types.js';
import type { Config, Destination, SentinelWorkspace } from '../config.js';
import { readDelivery, writeDelivery } from './claims.js';
import type { IncidentState, IncidentTarget, IncidentWriter, WriteOutcome } from './incidentWriter.js';
import { findWorkspace, parseIncidentRef, stableGuid, workspaceKey, workspaceLabel } from './workspaces.js';

const statusOf = (e: unknown) => (e as { statusCode?: number })?.statusCode;

/** The workspaces in which the bridge delivered this incident to this destination (its `created` event). */
export async function deliveredTargets(
  claims: TableClient,
  config: Pick<Config, 'SENTINEL_WORKSPACES'>,
  destination: Pick<Destination, 'name'>,
  reference: string,
): Promise<IncidentTarget[] | undefined> {
  const ref = parseIncidentRef(reference);
  if (!ref) return undefined;
  const configured = ref.workspace ? findWorkspace(config.SENTINEL_WORKSPACES, ref.workspace) : undefined;
  const candidates = ref.workspace ? (configured ? [configured] : []) : config.SENTINEL_WORKSPACES;
  const found: IncidentTarget[] = [];
  for (const ws of candidates) {
    if (await delivered(claims, ws, ref.name, destination)) found.push({ ws, name: ref.name });
    else {
      const key = await keySentAs(claims, ws, ref.name, destination);
      // SecurityInsights still names it by what it was sent as (its Sentinel name); Graph by the key (its XDR id).
      if (key) found.push({ ws, name: key, ...(ws.api === 'graph' ? {} : { id: ref.name }) });
    }
  }
  return found;
}

const delivered = async (claims: TableClient, ws: SentinelWorkspace, key: string, destination: Pick<Destination, 'name'>) =>
  (await readDelivery(claims, ws, key, 'created', destination.name))?.state === 'delivered';

/**
 * The claims key of an incident destinations know by another id: created through SecurityInsights (sent as its
 * Sentinel name) but keyed by its XDR id, which is what a workspace switched to Graph reads and writes it by.
 */
async function keySentAs(
  claims: TableClient,
  ws: SentinelWorkspace,
  sentAs: string,
  destination: Pick<Destination, 'name'>,
): Promise<string | undefined> {
  const filter = odata`PartitionKey eq ${workspaceKey(ws)} and sentAs eq ${sentAs}`;
  for await (const row of claims.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) {
    const key = /^incident\|(.+)\|created$/.exec(row.rowKey ?? '')?.[1];
    if (key && key !== sentAs.toLowerCase() && (await delivered(claims, ws, key, destination))) return key;
  }
  return undefined;
}

const eventRowKey = (eventId: string) => createHash('sha256').update(eventId, 'utf8').digest('hex');
const eventPartition = (destination: string) => `callback:${destination.toLowerCase()}`;

/**
 * Insert-if-absent of the event's row before acting. `applied`: a repeat (nothing more to do). `new` or `retry` (a
 * row left `applying` by an attempt that failed or died): act — every change is idempotent (deterministic comment
 * ids, a close of a closed incident changes nothing), so acting again doubles nothing — then markEventApplied.
 */
export async function claimEvent(
  claims: TableClient,
  destination: string,
  eventId: string,
  now: Date,
): Promise<'new' | 'retry' | 'applied'> {
  const partitionKey = eventPartition(destination);
  const rowKey = eventRowKey(eventId);
  try {
    await claims.createEntity({ partitionKey, rowKey, state: 'applying', at: now.toISOString() });
    return 'new';
  } catch (e) {
    if (statusOf(e) !== 409) throw e;
  }
  const row = await claims.getEntity<{ state?: string }>(partitionKey, rowKey);
  return row.state === 'applied' ? 'applied' : 'retry';
}

export async function markEventApplied(claims: TableClient, destination: string, eventId: string, now: Date): Promise<void> {
  await claims.upsertEntity(
    { partitionKey: eventPartition(destination), rowKey: eventRowKey(eventId), state: 'applied', at: now.toISOString() },
    'Merge',
  );
}

/** The remembered alert_keys of a PagerDuty incident, or undefined when it was never looked up. */
export async function rememberedDedupKeys(claims: TableClient, destination: string, pagerdutyId: string): Promise<string[] | undefined> {
  try {
    const row = await claims.getEntity<{ dedupKeys?: string }>(`pagerduty:${destination.toLowerCase()}`, pagerdutyId);
    const keys: unknown = JSON.parse(row.dedupKeys ?? '[]');
    return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : undefined;
  } catch (e) {
    if (statusOf(e) === 404 || e instanceof SyntaxError) return undefined;
    throw e;
  }
}

export async function rememberDedupKeys(claims: TableClient, destination: string, pagerdutyId: string, keys: string[]): Promise<void> {
  await claims.upsertEntity(
    { partitionKey: `pagerduty:${destination.toLowerCase()}`, rowKey: pagerdutyId, dedupKeys: JSON.stringify(keys.slice(0, 100)) },
    'Replace',
  );
}

/** Every row of a destination's callback bookkeeping (tests and support: what a callback left behind). */
export async function eventRows(claims: TableClient, destination: string): Promise<{ rowKey: string; state: string }[]> {
  const rows: { rowKey: string; state: string }[] = [];
  const filter = odata`PartitionKey eq ${eventPartition(destination)}`;
  for await (const row of claims.listEntities<{ state: string }>({ queryOptions: { filter } }))
    rows.push({ rowKey: row.rowKey ?? '', state: row.state });
  return rows;
}

/** The person as Sentinel's owner: the email (UPN) when the vendor gives one, else the name, else the vendor's id. */
export const ownerOf = (user: CallbackUser | undefined): string | undefined => user?.email ?? user?.name ?? user?.id;
const who = (user: CallbackUser | undefined) => {
  const owner = ownerOf(user);
  return owner ? ` by ${owner}` : '';
};

/** The comment of one change: always names the destination. */
export function changeComment(destination: string, event: CallbackEvent, state?: IncidentState): string {
  const note = event.note ? ` Note: ${event.note}` : '';
  switch (event.action) {
    case 'acknowledge':
      return `Sentinel Bridge: acknowledged in ${destination}${who(event.user)}; status set to Active.${note}`;
    case 'reassign':
      return `Sentinel Bridge: reassigned in ${destination} to ${ownerOf(event.assignee) ?? 'someone'}${who(event.user)}.${note}`;
    case 'close': {
      const reason = state?.classificationReason ? ` (${state.classificationReason})` : '';
      return `Sentinel Bridge: closed in ${destination}${who(event.user)} as ${state?.classification ?? 'Undetermined'}${reason}.${event.note ? ` Comment: ${event.note}` : ''}`;
    }
    default:
      return `Sentinel Bridge: note from ${ownerOf(event.user) ?? 'someone'} in ${destination}: ${event.note ?? ''}`;
  }
}

/** The comment id of an event's change on one incident: the same for every retry, so a retry never adds a second. */
export const changeCommentId = (destination: string, eventId: string, incident: string) =>
  stableGuid('sentinel-bridge-callback', destination.toLowerCase(), eventId, incident.toLowerCase());

export interface ApplyContext {
  writer: IncidentWriter;
  claims: TableClient;
  config: Pick<Config, 'INCIDENT_CLOSE_CLASSIFICATION'>;
  destination: Destination;
  now(): Date;
  /** The comment id (default: changeCommentId of the event). */
  commentId?: string;
}

export type ApplyResult = WriteOutcome | { result: 'commented' };

/** The classification and reason a close from this destination sets: the event's own, else the destination's, else the setting's. */
export function closeClassificationOf(event: CallbackEvent, destination: Destination, config: ApplyContext['config']) {
  if (event.classification) return { classification: event.classification, reason: event.classificationReason };
  return {
    classification: destination.closeClassification ?? config.INCIDENT_CLOSE_CLASSIFICATION,
    reason: destination.closeClassification ? destination.closeClassificationReason : undefined,
  };
}

/**
 * Applies one event to one incident and writes its comment when something changed (a note always is one). A close
 * also writes this destination's `closed` delivery row, so the poll's closure event resolves the incident at every
 * other destination that received it but is not echoed back to this one (forwarder: a delivered row is a duplicate).
 */
export async function applyEvent(ctx: ApplyContext, target: IncidentTarget, event: CallbackEvent): Promise<ApplyResult> {
  const { writer, destination } = ctx;
  const commentId = ctx.commentId ?? changeCommentId(destination.name, event.eventId, target.name);
  let outcome: WriteOutcome;
  switch (event.action) {
    case 'acknowledge':
      outcome = await writer.acknowledge(target, ownerOf(event.user));
      break;
    case 'reassign': {
      const owner = ownerOf(event.assignee);
      if (!owner) return { result: 'unchanged', incident: { id: target.name, status: 'unknown' }, attempts: 0 };
      outcome = await writer.assign(target, owner);
      break;
    }
    case 'close': {
      const { classification, reason } = closeClassificationOf(event, destination, ctx.config);
      outcome = await writer.close(target, {
        classification,
        ...(reason ? { reason } : {}),
        comment: event.note ?? `Closed from ${destination.name} through Sentinel Bridge`,
        ...(event.owner ? { owner: event.owner } : {}),
      });
      if (outcome.result === 'changed') {
        await writeDelivery(ctx.claims, target.ws, target.name, 'closed', destination.name, {
          state: 'delivered',
          deliveredAt: ctx.now().toISOString(),
          origin: 'status-sync',
        });
      }
      break;
    }
    case 'note':
      await writer.comment(target, commentId, changeComment(destination.name, event));
      return { result: 'commented' };
    default:
      return { result: 'unchanged', incident: { id: target.name, status: 'unknown' }, attempts: 0 };
  }
  if (outcome.result === 'changed') await writer.comment(target, commentId, changeComment(destination.name, event, outcome.incident));
  return outcome;
}

export const targetLabel = (t: IncidentTarget) => `${workspaceLabel(t.ws)}/${t.name}`;
