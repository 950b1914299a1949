// GET /api/status: per target (stream) whether it is enabled, its failure ratio over the window, what waits for it.

import type { BridgeResponse } from '../http.js';
import { lastPolls } from '../incidents/handlers.js';
import { failureRatio } from '../reliability/circuit.js';
import { MB } from '../reliability/costGuard.js';
import { isStorageUnavailable, withinDeadline } from '../storage/clients.js';
import { QUEUES } from '../storage/names.js';
import type { OperationsDeps } from './deps.js';

export interface TargetStatus {
  name: string;
  enabled: boolean;
  /** Failure ratio over the circuit's window: the contract's name, from the default CIRCUIT_WINDOW_HOURS of 12. */
  failureRatio12h: number;
  /** The window that ratio covers (CIRCUIT_WINDOW_HOURS). */
  windowHours: number;
  queueDepth: number;
  parked: number;
  deadLetters: number;
  lastSuccess: string | null;
  lastFailure: string | null;
  disabledAt?: string;
  reason?: string;
  /** Enabled, but the failure ratio was over the limit then: it opens if a failure a flush interval later confirms it. */
  suspectSince?: string;
}

const sumBy = <T>(items: T[], key: (t: T) => string, value: (t: T) => number) => {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + value(i));
  return m;
};

/** Status reads many storage rows; past this the operator gets a 503 naming storage rather than a wait. */
const STATUS_DEADLINE_MS = 8_000;

/**
 * The status, or 503 naming the failing check (`storage`) when storage does not answer within STATUS_DEADLINE_MS
 * or refuses (the same shape as /api/health's answer). Anything else is a bug and is thrown.
 */
export async function handleStatus(deps: OperationsDeps): Promise<BridgeResponse> {
  try {
    return await withinDeadline(STATUS_DEADLINE_MS, 'reading the status', (signal) => readStatus(deps, signal));
  } catch (e) {
    if (!isStorageUnavailable(e)) throw e;
    const detail = (e as Error).message.split('\n')[0]?.slice(0, 300) ?? 'unavailable';
    return {
      status: 503,
      headers: { 'retry-after': '30' },
      jsonBody: { error: `storage is unavailable: ${detail}`, failing: ['storage'], checks: { storage: { ok: false, detail } } },
    };
  }
}

async function readStatus({ delivery: deps, incidents }: OperationsDeps, abortSignal: AbortSignal): Promise<BridgeResponse> {
  const s = incidents.storage;
  const [states, parked, dead, queue, poison, poll, truncated] = await Promise.all([
    deps.circuit.list(),
    deps.parked.list(),
    deps.deadLetters.list(),
    s.queue(QUEUES.events).getProperties({ abortSignal }),
    s.queue(QUEUES.eventsPoison).getProperties({ abortSignal }),
    lastPolls(incidents),
    deps.originals.summary(abortSignal),
  ]);
  const parkedBy = sumBy(
    parked,
    (i) => i.stream,
    (i) => i.count,
  );
  const deadBy = sumBy(
    dead,
    (i) => i.stream,
    (i) => i.count,
  );
  const stateBy = new Map(states.map((t) => [t.target, t]));
  const names = new Set([
    ...deps.config.LOGS_INGESTION_RULES.flatMap((r) => r.streams),
    ...stateBy.keys(),
    ...parkedBy.keys(),
    ...deadBy.keys(),
  ]);
  const queueDepth = queue.approximateMessagesCount ?? 0;
  const targets: TargetStatus[] = await Promise.all(
    [...names].sort().map(async (name) => {
      const state = stateBy.get(name);
      const window = await deps.stats.window(name, deps.config.CIRCUIT_WINDOW_HOURS);
      const calls = await deps.circuit.window(name, state ?? { target: name, enabled: true });
      return {
        name,
        enabled: state?.enabled ?? true,
        failureRatio12h: Math.round(failureRatio(calls) * 1000) / 1000,
        windowHours: deps.config.CIRCUIT_WINDOW_HOURS,
        // One queue serves every stream: its depth is shown on each target.
        queueDepth,
        parked: parkedBy.get(name) ?? 0,
        deadLetters: deadBy.get(name) ?? 0,
        lastSuccess: window.lastSuccess ?? null,
        lastFailure: window.lastFailure ?? null,
        ...(state && !state.enabled ? { disabledAt: state.disabledAt, reason: state.reason } : {}),
        ...(state?.enabled && state.suspectSince ? { suspectSince: state.suspectSince } : {}),
      } as TargetStatus;
    }),
  );
  return {
    status: 200,
    jsonBody: {
      targets,
      deadLetters: dead.reduce((n, i) => n + i.count, 0),
      parked: parked.reduce((n, i) => n + i.count, 0),
      queueDepth,
      poisonMessages: poison.approximateMessagesCount ?? 0,
      deadLetterItems: dead
        .slice(0, 50)
        .map((i) => ({ stream: i.stream, events: i.count, reason: i.reason, status: i.status ?? null, heldAt: i.heldAt })),
      lastPoll: poll ?? null,
      // Records whose fields were cut to the 64 KB limit, kept whole in the originals container.
      truncated,
      costGuard: await costGuardStatus(deps),
    },
  };
}

/** Cost guard (README "Cost guard"): today's usage of each capped table, and past days' parked excess still waiting. */
async function costGuardStatus({ costGuard }: OperationsDeps['delivery']) {
  const mb = (bytes: number) => Math.round((bytes / MB) * 1000) / 1000;
  return {
    resume: costGuard.settings.resume,
    tables: (await costGuard.usage()).map((c) => ({
      stream: c.stream,
      capMb: mb(c.capBytes),
      deliveredTodayMb: mb(c.usedBytes),
      capped: c.capped,
      ...(c.cappedAt ? { cappedAt: c.cappedAt } : {}),
      ...(c.liftedAt ? { liftedAt: c.liftedAt } : {}),
    })),
    waiting: await costGuard.waiting(),
  };
}
