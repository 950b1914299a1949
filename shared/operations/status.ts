// GET /api/status: per target (stream) whether it is enabled, its failure ratio over the window, what waits for it,
// what it cost (bytes delivered) and its schema drift. GET /api/schema/drift?table=…: the drift of one table (or all)
// and the catalog change that would give the drifting fields typed columns (`npm run catalog:suggest` prints the same
// change with the table/DCR diff it makes).

import { suggestColumns } from '../catalog/drift.js';
import { type BridgeRequest, type BridgeResponse, json } from '../http.js';
import { lastPolls } from '../incidents/handlers.js';
import { failureRatio, type TargetState } from '../reliability/circuit.js';
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
  /** Records and bytes delivered in the last 24 hour buckets (bytes: the JSON size of the rows, what Log Analytics bills). */
  last24h: { records: number; bytes: number };
  disabledAt?: string;
  reason?: string;
  /** Enabled, but the failure ratio was over the limit then: it opens if a failure a flush interval later confirms it. */
  suspectSince?: string;
}

/** Drift fields per table in the status; `GET /api/schema/drift?table=` has them all. */
export const STATUS_DRIFT_FIELDS = 10;

const sumBy = <T>(items: T[], key: (t: T) => string, value: (t: T) => number) => {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + value(i));
  return m;
};

/** Status reads many storage rows; past this the operator gets a 503 naming storage rather than a wait. */
const STATUS_DEADLINE_MS = 8_000;

/**
 * The answer of `read`, or 503 naming the failing check (`storage`) when storage does not answer within
 * STATUS_DEADLINE_MS or refuses (the same shape as /api/health's answer). Anything else is a bug and is thrown.
 */
export async function withStorage(what: string, read: (signal: AbortSignal) => Promise<BridgeResponse>): Promise<BridgeResponse> {
  try {
    return await withinDeadline(STATUS_DEADLINE_MS, what, read);
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

export const handleStatus = (deps: OperationsDeps): Promise<BridgeResponse> =>
  withStorage('reading the status', (signal) => readStatus(deps, signal));

/** One row per target: every stream a rule takes, and every target with a state, parked work or dead letters. */
async function targetStatuses(
  deps: OperationsDeps['delivery'],
  seen: {
    states: TargetState[];
    parked: { stream: string; count: number }[];
    dead: { stream: string; count: number }[];
    delivered: Map<string, { records: number; bytes: number }>;
    queueDepth: number;
  },
): Promise<TargetStatus[]> {
  const parkedBy = sumBy(
    seen.parked,
    (i) => i.stream,
    (i) => i.count,
  );
  const deadBy = sumBy(
    seen.dead,
    (i) => i.stream,
    (i) => i.count,
  );
  const stateBy = new Map(seen.states.map((t) => [t.target, t]));
  const names = new Set([
    ...deps.config.LOGS_INGESTION_RULES.flatMap((r) => r.streams),
    ...stateBy.keys(),
    ...parkedBy.keys(),
    ...deadBy.keys(),
  ]);
  return Promise.all(
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
        queueDepth: seen.queueDepth,
        parked: parkedBy.get(name) ?? 0,
        deadLetters: deadBy.get(name) ?? 0,
        lastSuccess: window.lastSuccess ?? null,
        lastFailure: window.lastFailure ?? null,
        last24h: seen.delivered.get(name) ?? { records: 0, bytes: 0 },
        ...(state && !state.enabled ? { disabledAt: state.disabledAt, reason: state.reason } : {}),
        ...(state?.enabled && state.suspectSince ? { suspectSince: state.suspectSince } : {}),
      } as TargetStatus;
    }),
  );
}

async function readStatus({ delivery: deps, incidents }: OperationsDeps, abortSignal: AbortSignal): Promise<BridgeResponse> {
  const s = incidents.storage;
  const [states, parked, dead, queue, poison, poll, truncated, drift, delivered] = await Promise.all([
    deps.circuit.list(),
    deps.parked.list(),
    deps.deadLetters.list(),
    s.queue(QUEUES.events).getProperties({ abortSignal }),
    s.queue(QUEUES.eventsPoison).getProperties({ abortSignal }),
    lastPolls(incidents),
    deps.originals.summary(abortSignal),
    deps.usage.drift(undefined, abortSignal),
    deps.usage.delivered(24),
  ]);
  const queueDepth = queue.approximateMessagesCount ?? 0;
  const targets = await targetStatuses(deps, { states, parked, dead, delivered, queueDepth });
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
      // Fields that went to RawData or came as another type, per table, most frequent first (see GET /api/schema/drift).
      schemaDrift: drift.map((d) => ({
        table: d.table,
        fields: d.fields.slice(0, STATUS_DRIFT_FIELDS),
        more: Math.max(0, d.fields.length - STATUS_DRIFT_FIELDS),
        overflow: d.overflow,
      })),
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

export function handleSchemaDrift(request: BridgeRequest, { delivery: deps }: OperationsDeps): Promise<BridgeResponse> {
  const table = request.query.get('table') ?? undefined;
  const known = deps.catalog.tables.map((t) => t.table);
  if (table !== undefined && !known.includes(table)) {
    return Promise.resolve(
      json(404, { error: `unknown table "${table.slice(0, 100)}"; known tables: ${known.join(', ')}`, knownTables: known }),
    );
  }
  return withStorage('reading the schema drift', async (signal) => {
    const drift = await deps.usage.drift(table, signal);
    const suggestions = suggestColumns(deps.catalog, drift);
    return json(200, {
      tables: drift,
      suggestion: {
        columns: suggestions.map((s) => ({ table: s.table, ...s.column, reason: s.reason })),
        apply:
          'add these columns to the table in shared/catalog/ (npm run catalog:suggest prints them with the table/DCR diff), then npm run infra:generate and azd provision',
      },
    });
  });
}
