// One incident poll (timer `pollIncidents`): per configured workspace, two lists —
//   new:    createdTimeUtc ≥ now − INCIDENT_LOOKBACK_HOURS, status in INCIDENT_STATUSES, severity in INCIDENT_SEVERITIES
//   closed: status Closed, lastModifiedTimeUtc ≥ the previous successful poll's start − overlap (first poll: look-back)
// each ordered and read to the last page. A new incident is claimed (insert-if-absent row) and gets one `created`
// message per destination; a closed one that was forwarded earlier (it has a creation claim) is claimed for closure
// and gets one `closed` message per destination that received it and takes closed events (SIGNL4 and PagerDuty
// resolve; webhooks get the CloudEvent). Overlapping polls and restarts cannot claim twice, so nothing is forwarded
// twice. One failing workspace does not stop the others.
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import type { SentinelWorkspace } from '../config.js';
import { claimIncident, markEnqueued, readClaim, readPollState, writePollState } from './claims.js';
import type { IncidentDeps } from './deps.js';
import { resolveTargets } from './forwarder.js';
import { enqueueMessage, type IncidentEvent, newMessage } from './messages.js';
import {
  CLOSED_ORDER,
  CREATED_ORDER,
  closedFilter,
  closedWindow,
  createdFilter,
  createdWindow,
  destinationsFor,
  matchesCreated,
  PAGE_SIZE,
} from './pollWindow.js';
import type { ArmIncident, SentinelClient } from './sentinelClient.js';
import { workspaceLabel } from './workspaces.js';

export type PollDeps = Pick<IncidentDeps, 'config' | 'sentinel' | 'storage' | 'log' | 'now' | 'concurrency' | 'pageSize'>;

export interface WorkspacePollResult {
  workspace: string;
  /** New-incident list: incidents returned, claimed by this poll, messages enqueued. */
  listed: number;
  claimed: number;
  enqueued: number;
  /** Closed list: incidents returned, closures claimed by this poll. */
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

async function pollWorkspace(ws: SentinelWorkspace, startedAt: Date, deps: PollDeps, parentLog: Logger): Promise<WorkspacePollResult> {
  const { config, sentinel, now } = deps;
  const log = parentLog.child({ workspace: workspaceLabel(ws) });
  const claims = deps.storage.table('claims');
  const queue = deps.storage.queue('incidents');
  const limit = pLimit(deps.concurrency ?? 8);
  const top = deps.pageSize ?? PAGE_SIZE;
  const result: WorkspacePollResult = {
    workspace: workspaceLabel(ws),
    listed: 0,
    claimed: 0,
    enqueued: 0,
    closedListed: 0,
    closedClaimed: 0,
  };

  /** Claims one event and enqueues its messages; returns how many it enqueued (0 when another poll owns it). */
  const claimAndEnqueue = async (incident: ArmIncident, event: IncidentEvent, destinations: string[]) => {
    const claim = await claimIncident(
      claims,
      ws,
      incident.name,
      event,
      { title: String(incident.properties.title ?? '').slice(0, 512), createdTimeUtc: String(incident.properties.createdTimeUtc ?? '') },
      now(),
    );
    if (!claim.owned) return 0;
    const at = now();
    await Promise.all(destinations.map((d) => enqueueMessage(queue, newMessage(ws, incident.name, event, d, at))));
    await markEnqueued(claims, ws, incident.name, event, destinations);
    return destinations.length;
  };

  const previous = await readPollState(claims, ws).catch(() => undefined);
  await writePollState(claims, ws, { workspace: workspaceLabel(ws), lastPollStartedAt: startedAt.toISOString() }).catch(() => undefined);
  try {
    const query = {
      since: createdWindow(startedAt, config.INCIDENT_LOOKBACK_HOURS),
      statuses: config.INCIDENT_STATUSES,
      severities: config.INCIDENT_SEVERITIES,
    };
    const fresh: ArmIncident[] = [];
    for await (const incident of listAll(sentinel, ws, createdFilter(query), CREATED_ORDER, 'createdTimeUtc', top)) {
      result.listed++;
      if (matchesCreated(incident.properties, query)) fresh.push(incident);
    }
    await Promise.all(
      fresh.map((incident) =>
        limit(async () => {
          const targets = destinationsFor(config.DESTINATIONS, incident.properties.status).map((d) => d.name);
          if (targets.length === 0) return;
          const n = await claimAndEnqueue(incident, 'created', targets);
          if (n > 0) {
            result.claimed++;
            result.enqueued += n;
          }
        }),
      ),
    );

    const previousStart = previous?.lastSuccessfulPollStartedAt ? new Date(previous.lastSuccessfulPollStartedAt) : undefined;
    const closedSince = closedWindow(startedAt, config.INCIDENT_LOOKBACK_HOURS, previousStart);
    const closed: ArmIncident[] = [];
    for await (const incident of listAll(sentinel, ws, closedFilter(closedSince), CLOSED_ORDER, 'lastModifiedTimeUtc', top)) {
      result.closedListed++;
      if (incident.properties.status === 'Closed') closed.push(incident);
    }
    await Promise.all(
      closed.map((incident) =>
        limit(async () => {
          const created = await readClaim(claims, ws, incident.name, 'created');
          if (created?.state !== 'enqueued') return; // never forwarded (or still being claimed: the next poll's overlap sees it)
          const targets = resolveTargets(config.DESTINATIONS, created.destinationList).map((d) => d.name);
          if (targets.length === 0) return;
          const n = await claimAndEnqueue(incident, 'closed', targets);
          if (n > 0) {
            result.closedClaimed++;
            result.enqueued += n;
          }
        }),
      ),
    );

    await writePollState(claims, ws, {
      workspace: workspaceLabel(ws),
      lastPollFinishedAt: now().toISOString(),
      lastSuccessfulPollStartedAt: startedAt.toISOString(),
      lastError: '',
      listed: result.listed,
      claimed: result.claimed,
      closed: result.closedClaimed,
    });
    const { workspace: _ws, ...counts } = result;
    log.info(counts, 'incident poll done');
  } catch (e) {
    result.error = (e as Error).message;
    const { workspace: _ws, ...failure } = result;
    log.error(failure, 'incident poll failed for this workspace');
    await writePollState(claims, ws, {
      workspace: workspaceLabel(ws),
      lastPollFinishedAt: now().toISOString(),
      lastError: result.error.slice(0, 2000),
    }).catch(() => undefined);
  }
  return result;
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
