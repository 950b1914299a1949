// Incident state in Table Storage (table `claims`), one partition per workspace (PartitionKey = workspaceKey). {key} is
// the incident's canonical id (canonicalId.ts: the XDR/Graph id when known, else the Sentinel name), so the same
// incident read through either API has one set of rows; rows written before canonical ids are keyed by the Sentinel
// name, which the poller still looks up (ListedIncident.legacyKey).
//
//   RowKey `incident|{name}|created`   claim of the incident's creation: inserted if absent by exactly one poll
//   RowKey `incident|{name}|closed`    claim of its closure (resolve at destinations that can), same rules
//   RowKey `delivery|{name}|{event}|{destination}`   one delivery: a lease while sending, then delivered (reference,
//                                      time) and annotated (tag + comment)
//   RowKey `poll`                      the workspace's last poll (times, counts, error) — the closed-list watermark
//
// A claim is `claimed` from its insert until every message is on the queue, then `enqueued`. A poll that finds a
// claim still `claimed` after STALE_CLAIM_MS (its poller died between insert and enqueue) takes it over with an
// ETag-conditional update, so exactly one poller re-enqueues; delivery rows make any duplicate message a no-op.
import { isRestError } from '@azure/core-rest-pipeline';
import type { TableClient } from '@azure/data-tables';
import type { SentinelWorkspace } from '../config.js';
import type { IncidentEvent } from './messages.js';
import { workspaceKey } from './workspaces.js';

export const STALE_CLAIM_MS = 2 * 60_000;

export const claimKey = (name: string, event: IncidentEvent) => `incident|${name.toLowerCase()}|${event}`;
export const deliveryKey = (name: string, event: IncidentEvent, destination: string) =>
  `delivery|${name.toLowerCase()}|${event}|${destination}`;
export const POLL_KEY = 'poll';

const statusOf = (e: unknown) => (isRestError(e) ? e.statusCode : undefined);

export interface ClaimRow {
  state: 'claimed' | 'enqueued';
  claimedAt: string;
  /** JSON list of the destinations the event was enqueued for. */
  destinations?: string;
  title?: string;
  createdTimeUtc?: string;
  /** The incident id destinations were sent (the API's id at creation); absent in rows of earlier versions. */
  sentAs?: string;
}

export interface ClaimResult {
  /** This caller owns the claim and must enqueue the messages (then call markEnqueued). */
  owned: boolean;
  /** Why not owned: already enqueued, or another poll is on it right now. */
  reason?: 'enqueued' | 'in-progress';
}

/** Insert-if-absent claim of one incident event; takes over a stale `claimed` row (ETag-conditional). */
export async function claimIncident(
  table: TableClient,
  ws: SentinelWorkspace,
  name: string,
  event: IncidentEvent,
  fields: Omit<ClaimRow, 'state' | 'claimedAt'>,
  now: Date,
): Promise<ClaimResult> {
  const partitionKey = workspaceKey(ws);
  const rowKey = claimKey(name, event);
  try {
    await table.createEntity<ClaimRow>({ partitionKey, rowKey, state: 'claimed', claimedAt: now.toISOString(), ...fields });
    return { owned: true };
  } catch (e) {
    if (statusOf(e) !== 409) throw e;
  }
  const current = await table.getEntity<ClaimRow>(partitionKey, rowKey);
  if (current.state === 'enqueued') return { owned: false, reason: 'enqueued' };
  if (now.getTime() - Date.parse(current.claimedAt) < STALE_CLAIM_MS) return { owned: false, reason: 'in-progress' };
  try {
    await table.updateEntity({ partitionKey, rowKey, claimedAt: now.toISOString() }, 'Merge', { etag: current.etag });
    return { owned: true };
  } catch (e) {
    if (statusOf(e) === 412) return { owned: false, reason: 'in-progress' };
    throw e;
  }
}

export async function markEnqueued(
  table: TableClient,
  ws: SentinelWorkspace,
  name: string,
  event: IncidentEvent,
  destinations: string[],
): Promise<void> {
  await table.updateEntity(
    { partitionKey: workspaceKey(ws), rowKey: claimKey(name, event), state: 'enqueued', destinations: JSON.stringify(destinations) },
    'Merge',
  );
}

/** The claim row, or undefined. */
export async function readClaim(
  table: TableClient,
  ws: SentinelWorkspace,
  name: string,
  event: IncidentEvent,
): Promise<(ClaimRow & { destinationList: string[] }) | undefined> {
  const row = await getOrUndefined<ClaimRow>(table, workspaceKey(ws), claimKey(name, event));
  if (!row) return undefined;
  let destinationList: string[] = [];
  try {
    destinationList = row.destinations ? (JSON.parse(row.destinations) as string[]) : [];
  } catch {
    destinationList = [];
  }
  return { ...row, destinationList };
}

/** Which configured workspaces hold a creation claim for this incident name (status sync by bare name). */
export async function workspacesClaiming<W extends SentinelWorkspace>(
  table: TableClient,
  workspaces: readonly W[],
  name: string,
): Promise<W[]> {
  const found: W[] = [];
  for (const ws of workspaces) if (await getOrUndefined(table, workspaceKey(ws), claimKey(name, 'created'))) found.push(ws);
  return found;
}

export interface DeliveryRow {
  /** `sending` while one attempt holds the lease; `failed` between retries; `delivered` once the destination took it. */
  state: 'sending' | 'failed' | 'delivered';
  /** End of the sending attempt's lease (ISO). */
  leaseUntil?: string;
  deliveredAt?: string;
  reference?: string;
  status?: number;
  /** Tag and comment written in Sentinel (created events). */
  annotatedAt?: string;
  /** `status-sync` when the destination itself closed the incident: no resolve is sent back to it. */
  origin?: string;
  /** A closed event of a merged incident: the incident it went into (noted there once `annotatedAt` is set). */
  mergedInto?: string;
}

/** How long one forwarding attempt may hold a delivery (read, enrich, send with its timeout) before another may take over. */
export const DELIVERY_LEASE_MS = 2 * 60_000;

export async function readDelivery(
  table: TableClient,
  ws: SentinelWorkspace,
  name: string,
  event: IncidentEvent,
  destination: string,
): Promise<(DeliveryRow & { etag: string }) | undefined> {
  return getOrUndefined<DeliveryRow>(table, workspaceKey(ws), deliveryKey(name, event, destination));
}

/**
 * Takes the delivery's lease, so that of two copies of one message (the queue is at-least-once) only one sends.
 * Not acquired when the delivery is done or another attempt holds an unexpired lease; an expired lease (a crashed
 * attempt) or a failed attempt is taken over with an ETag-conditional update.
 */
export async function acquireDelivery(
  table: TableClient,
  ws: SentinelWorkspace,
  name: string,
  event: IncidentEvent,
  destination: string,
  now: Date,
): Promise<{ acquired: true } | { acquired: false; row?: DeliveryRow }> {
  const partitionKey = workspaceKey(ws);
  const rowKey = deliveryKey(name, event, destination);
  const lease = { state: 'sending' as const, leaseUntil: new Date(now.getTime() + DELIVERY_LEASE_MS).toISOString() };
  let row: (DeliveryRow & { etag: string }) | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    row = await getOrUndefined<DeliveryRow>(table, partitionKey, rowKey);
    try {
      if (!row) {
        await table.createEntity({ partitionKey, rowKey, ...lease });
        return { acquired: true };
      }
      if (row.state === 'delivered') return { acquired: false, row };
      if (row.state === 'sending' && Date.parse(row.leaseUntil ?? '') > now.getTime()) return { acquired: false, row };
      await table.updateEntity({ partitionKey, rowKey, ...lease }, 'Merge', { etag: row.etag });
      return { acquired: true };
    } catch (e) {
      if (statusOf(e) !== 409 && statusOf(e) !== 412) throw e;
    }
  }
  return { acquired: false, ...(row ? { row } : {}) };
}

/** Gives the lease back after a failed attempt; the retry message takes it again. */
export async function releaseDelivery(
  table: TableClient,
  ws: SentinelWorkspace,
  name: string,
  event: IncidentEvent,
  destination: string,
): Promise<void> {
  await table.updateEntity(
    { partitionKey: workspaceKey(ws), rowKey: deliveryKey(name, event, destination), state: 'failed', leaseUntil: '' },
    'Merge',
  );
}

export async function writeDelivery(
  table: TableClient,
  ws: SentinelWorkspace,
  name: string,
  event: IncidentEvent,
  destination: string,
  row: Partial<DeliveryRow>,
): Promise<void> {
  await table.upsertEntity({ partitionKey: workspaceKey(ws), rowKey: deliveryKey(name, event, destination), ...row }, 'Merge');
}

export interface PollStateRow {
  workspace: string;
  lastPollStartedAt?: string;
  lastPollFinishedAt?: string;
  /** Start of the last poll that listed both windows without error: the closed-list watermark. */
  lastSuccessfulPollStartedAt?: string;
  lastError?: string;
  listed?: number;
  claimed?: number;
  closed?: number;
}

export async function readPollState(table: TableClient, ws: SentinelWorkspace): Promise<PollStateRow | undefined> {
  return getOrUndefined<PollStateRow>(table, workspaceKey(ws), POLL_KEY);
}

export async function writePollState(table: TableClient, ws: SentinelWorkspace, row: PollStateRow): Promise<void> {
  await table.upsertEntity({ partitionKey: workspaceKey(ws), rowKey: POLL_KEY, ...row }, 'Merge');
}

async function getOrUndefined<T extends object>(
  table: TableClient,
  partitionKey: string,
  rowKey: string,
): Promise<(T & { etag: string }) | undefined> {
  try {
    return (await table.getEntity<T>(partitionKey, rowKey)) as T & { etag: string };
  } catch (e) {
    if (statusOf(e) === 404) return undefined;
    throw e;
  }
}
