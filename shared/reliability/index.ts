// The reliability core shared by events and incidents: per-target call counts (stats), the auto-disable circuit,
// the retry ledger, where work waits (dead letters, parked), the originals of cut records and the operator notification. Built once by the
// composition root (shared/app.ts) over the app's storage; neither side builds the other's machinery.
import { type Metrics, noMetrics } from '../observability/metrics.js';
import type { Storage } from '../storage/clients.js';
import { CONTAINERS, TABLES } from '../storage/names.js';
import { Circuit, type CircuitOptions } from './circuit.js';
import { Holding } from './holding.js';
import { Ledger } from './ledger.js';
import { countMetrics } from './metrics.js';
import { OriginalStore } from './originals.js';
import { Stats } from './stats.js';
import { type Target, targetKey } from './targets.js';
import { Usage } from './usage.js';

/** A system notification (target disabled / re-enabled): always logged, optionally POSTed to NOTIFY_WEBHOOK_URL. */
export type Notify = (event: Record<string, unknown>) => Promise<void>;

export interface Reliability {
  stats: Stats;
  /** Bytes delivered per table and the schema drift, on the stats cadence. */
  usage: Usage;
  circuit: Circuit;
  ledger: Ledger;
  deadLetters: Holding;
  parked: Holding;
  /** Complete originals of records with a value cut to the 64 KB field limit. */
  originals: OriginalStore;
  circuitOptions: CircuitOptions;
  notify: Notify;
  /** The app's custom metrics; Stats feeds them every count. */
  metrics: Metrics;
  now(): number;
}

export function createReliability(
  storage: Storage,
  circuitOptions: CircuitOptions,
  notify: Notify,
  now: () => number,
  metrics: Metrics = noMetrics,
): Reliability {
  const stats = new Stats(storage.table(TABLES.stats), now, circuitOptions.confirmMs, countMetrics(metrics));
  const held = storage.container(CONTAINERS.claimChecks);
  return {
    stats,
    usage: new Usage(stats, storage.table(TABLES.drift), now),
    circuit: new Circuit(storage.table(TABLES.circuit), stats, circuitOptions, now),
    ledger: new Ledger(storage.table(TABLES.ledger)),
    deadLetters: new Holding('deadletters', storage.table(TABLES.deadletters), held, now),
    parked: new Holding('parked', storage.table(TABLES.parked), held, now),
    originals: new OriginalStore(storage.container(CONTAINERS.originals)),
    circuitOptions,
    notify,
    metrics,
    now,
  };
}

export type CallOutcome = { ok: true; delivered: number } | { ok: false; delivered?: number; failed: number; reason: string };

/**
 * Counts one call to a target. After a failure the counts are written at once (every instance then reads the same
 * ratio) and the circuit decides; the instance that disables the target notifies the operators, once.
 */
export async function recordCall(
  rel: Reliability,
  target: Target,
  outcome: CallOutcome,
  parkedWhat: 'events' | 'incidents',
): Promise<{ disabled: boolean }> {
  const key = targetKey(target);
  if (outcome.ok) {
    rel.stats.add(key, { delivered: outcome.delivered, okCalls: 1 });
    await rel.stats.maybeFlush();
    return { disabled: false };
  }
  rel.stats.add(key, { delivered: outcome.delivered ?? 0, failed: outcome.failed, failedCalls: 1 });
  await rel.stats.flush();
  const circuit = await rel.circuit.afterFailure(key, outcome.reason);
  if (circuit.opened) {
    await rel.notify({
      type: 'sentinelbridge.target.disabled',
      target: key,
      failureRatio: circuit.ratio,
      windowHours: rel.circuitOptions.windowHours,
      reason: outcome.reason,
      at: new Date(rel.now()).toISOString(),
      message: `Target ${key} disabled after ${Math.round(circuit.ratio * 100)}% failures; new ${parkedWhat} are parked. Fix the cause, then POST /api/replay.`,
    });
  }
  return { disabled: circuit.disabled };
}
