// One incident poll (timer `pollIncidents`): per configured workspace, through its incident API (IncidentApi:
// SecurityInsights or Microsoft Graph, the entry's `api`), two lists —
//   new:   created ≥ now − INCIDENT_LOOKBACK_HOURS, status in INCIDENT_STATUSES, severity in INCIDENT_SEVERITIES
//   ended: closed or merged, changed ≥ the previous successful poll's start − overlap (first poll: look-back)
// each read to the last page. A new incident is claimed (insert-if-absent row keyed by its canonical id) and gets one
// `created` message per destination; an ended one that was forwarded earlier (it has a creation claim) is claimed for
// closure and gets one `closed` message per destination that received it and takes closed events (SIGNL4 and
// PagerDuty resolve; webhooks get the CloudEvent) — a merged incident's closure names the incident it went into.
// Overlapping polls, restarts and a switch of the workspace between APIs cannot claim twice, so nothing is forwarded
// twice. One failing workspace does not stop the others.
import type { TableClient } from '@azure/data-tables';
import type { QueueClient } from '@azure/storage-queue';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import type { WorkspaceEntry } from '../config.js';
import { claimIncident, markEnqueued, type PollStateRow, readClaim, readPollState, writePollState } from './claims.js';
import type { IncidentDeps } from './deps.js';
import { resolveTargets } from './forwarder.js';
import type { IncidentApi, ListedIncident } from './incidentApi.js';
import { incidentApiFor } from './incidentApis.js';
import { enqueueMessage, type IncidentEvent, newMessage } from './messages.js';
import { closedWindow, createdWindow, destinationsFor, matchesCreated } from './pollWindow.js';
import { workspaceLabel } from './workspaces.js';

export type PollDeps = Pick<IncidentDeps, 'config' | 'sentinel' | 'graph' | 'storage' | 'log' | 'now' | 'concurrency' | 'pageSize'>;

export interface WorkspacePollResult {
  workspace: string;
  /** New-incident list: incidents returned, claimed by this poll, messages enqueued. */
  listed: number;
  claimed: number;
  enqueued: number;
  /** Ended list: incidents returned, closures claimed by this poll. */
  closedListed: number;
  closedClaimed: number;
  error?: string;
}

export interface PollResult {
  startedAt: string;
  workspaces: WorkspacePollResult[];
}

export async function pollIncidents(deps: PollDeps): Promise<PollResult> {
  const { config } = deps;
  const log = deps.log.child({ component: 'pollIncidents' });
  const startedAt = deps.now();
  if (config.SENTINEL_WORKSPACES.length === 0) {
    log.info('SENTINEL_WORKSPACES is empty: incident polling is off');
    return { startedAt: startedAt.toISOString(), workspaces: [] };
  }
  if (config.DESTINATIONS.length === 0) log.warn('DESTINATIONS is empty: incidents are listed but not claimed or forwarded');
  const results = await Promise.all(config.SENTINEL_WORKSPACES.map((ws) => pollWorkspace(ws, startedAt, deps, log)));
  return { startedAt: startedAt.toISOString(), workspaces: results };
}

/** One workspace's poll: what every step needs. */
interface WorkspacePoll {
  ws: WorkspaceEntry;
  api: IncidentApi;
  deps: PollDeps;
  claims: TableClient;
  queue: QueueClient;
  limit: ReturnType<typeof pLimit>;
  startedAt: Date;
  log: Logger;
  result: WorkspacePollResult;
}

async function pollWorkspace(ws: WorkspaceEntry, startedAt: Date, deps: PollDeps, parentLog: Logger): Promise<WorkspacePollResult> {
  const poll: WorkspacePoll = {
    ws,
    api: incidentApiFor(deps, ws),
    deps,
    claims: deps.storage.table('claims'),
    queue: deps.storage.queue('incidents'),
    limit: pLimit(deps.concurrency ?? 8),
    startedAt,
    log: parentLog.child({ workspace: workspaceLabel(ws), api: ws.api }),
    result: { workspace: workspaceLabel(ws), listed: 0, claimed: 0, enqueued: 0, closedListed: 0, closedClaimed: 0 },
  };
  const previous = await readPollState(poll.claims, ws).catch(() => undefined);
  await writePollState(poll.claims, ws, { workspace: workspaceLabel(ws), lastPollStartedAt: startedAt.toISOString() }).catch(
    () => undefined,
  );
  try {
    await claimNew(poll);
    await claimEnded(poll, previous);
    await recordSuccess(poll);
  } catch (e) {
    await recordFailure(poll, e as Error);
  }
  return poll.result;
}

/** Lists the new incidents and claims each one that some destination takes. */
async function claimNew(poll: WorkspacePoll): Promise<void> {
  const { config } = poll.deps;
  const query = {
    since: createdWindow(poll.startedAt, config.INCIDENT_LOOKBACK_HOURS),
    statuses: config.INCIDENT_STATUSES,
    severities: config.INCIDENT_SEVERITIES,
  };
  const fresh: ListedIncident[] = [];
  for await (const incident of poll.api.listNew(query)) {
    poll.result.listed++;
    if (matchesCreated(incident, query) && !incident.mergedInto) fresh.push(incident);
  }
  await Promise.all(fresh.map((incident) => poll.limit(() => claimCreated(poll, incident))));
}

async function claimCreated(poll: WorkspacePoll, incident: ListedIncident): Promise<void> {
  const targets = destinationsFor(poll.deps.config.DESTINATIONS, incident.status).map((d) => d.name);
  if (targets.length === 0) return;
  const key = await claimsKeyOf(poll, incident);
  const n = await claimAndEnqueue(poll, incident, key, 'created', targets);
  if (n > 0) {
    poll.result.claimed++;
    poll.result.enqueued += n;
  }
}

/** Lists the incidents closed or merged since the watermark and claims the closure of each one that was forwarded. */
async function claimEnded(poll: WorkspacePoll, previous: PollStateRow | undefined): Promise<void> {
  const previousStart = previous?.lastSuccessfulPollStartedAt ? new Date(previous.lastSuccessfulPollStartedAt) : undefined;
  const since = closedWindow(poll.startedAt, poll.deps.config.INCIDENT_LOOKBACK_HOURS, previousStart);
  const ended: ListedIncident[] = [];
  for await (const incident of poll.api.listEnded(since)) {
    poll.result.closedListed++;
    if (incident.status === 'Closed') ended.push(incident);
  }
  await Promise.all(ended.map((incident) => poll.limit(() => claimClosed(poll, incident))));
}

async function claimClosed(poll: WorkspacePoll, incident: ListedIncident): Promise<void> {
  const key = await claimsKeyOf(poll, incident);
  const created = await readClaim(poll.claims, poll.ws, key, 'created');
  if (created?.state !== 'enqueued') return; // never forwarded (or still being claimed: the next poll's overlap sees it)
  const targets = resolveTargets(poll.deps.config.DESTINATIONS, created.destinationList).map((d) => d.name);
  if (targets.length === 0) return;
  const n = await claimAndEnqueue(poll, incident, key, 'closed', targets, created.sentAs);
  if (n > 0) {
    poll.result.closedClaimed++;
    poll.result.enqueued += n;
  }
}

/** The incident's claims key: its canonical id, unless an earlier version claimed it under its Sentinel name. */
async function claimsKeyOf(poll: WorkspacePoll, incident: ListedIncident): Promise<string> {
  if (!incident.legacyKey) return incident.key;
  if (await readClaim(poll.claims, poll.ws, incident.key, 'created')) return incident.key;
  return (await readClaim(poll.claims, poll.ws, incident.legacyKey, 'created')) ? incident.legacyKey : incident.key;
}

/** Claims one event and enqueues its messages; returns how many it enqueued (0 when another poll owns it). */
async function claimAndEnqueue(
  poll: WorkspacePoll,
  incident: ListedIncident,
  key: string,
  event: IncidentEvent,
  destinations: string[],
  sentAs?: string,
): Promise<number> {
  const { ws, claims, queue, deps } = poll;
  const fields = {
    title: incident.title.slice(0, 512),
    createdTimeUtc: incident.createdTimeUtc,
    ...(event === 'created' ? { sentAs: incident.id } : {}),
  };
  const claim = await claimIncident(claims, ws, key, event, fields, deps.now());
  if (!claim.owned) return 0;
  const at = deps.now();
  const identity = {
    api: poll.api.api,
    ...(key !== incident.id ? { key } : {}),
    ...(sentAs && sentAs !== incident.id ? { sentAs } : {}),
  };
  await Promise.all(destinations.map((d) => enqueueMessage(queue, newMessage(ws, incident.id, event, d, at, identity))));
  await markEnqueued(claims, ws, key, event, destinations);
  return destinations.length;
}

async function recordSuccess(poll: WorkspacePoll): Promise<void> {
  const { result } = poll;
  await writePollState(poll.claims, poll.ws, {
    workspace: workspaceLabel(poll.ws),
    lastPollFinishedAt: poll.deps.now().toISOString(),
    lastSuccessfulPollStartedAt: poll.startedAt.toISOString(),
    lastError: '',
    listed: result.listed,
    claimed: result.claimed,
    closed: result.closedClaimed,
  });
  const { workspace: _ws, ...counts } = result;
  poll.log.info(counts, 'incident poll done');
}

async function recordFailure(poll: WorkspacePoll, e: Error): Promise<void> {
  poll.result.error = e.message;
  const { workspace: _ws, ...failure } = poll.result;
  poll.log.error(failure, 'incident poll failed for this workspace');
  await writePollState(poll.claims, poll.ws, {
    workspace: workspaceLabel(poll.ws),
    lastPollFinishedAt: poll.deps.now().toISOString(),
    lastError: e.message.slice(0, 2000),
  }).catch(() => undefined);
}
