// Auto-disable per target: when failures reach CIRCUIT_FAILURE_RATIO of the calls in the rolling window (with at
// least CIRCUIT_MIN_SAMPLES calls), the target is disabled and its new work is parked, never dropped.
// Each instance writes its successes to the stats table only every STATS_FLUSH_SECONDS, so one instance's failures can
// look like the whole record while its peers' successes are still in their memory. A ratio over the limit therefore
// first marks the target suspect; it opens only when a failure at least one flush interval later still finds the ratio
// over the limit (by then every active instance has written the successes it had), and a failure that finds it under
// the limit clears the suspicion.
// State lives in the `circuit` table; an instance remembers a disabled target briefly, so parking costs no call to
// a target known to be down, while the happy path reads nothing.
import { isRestError } from '@azure/core-rest-pipeline';
import { odata, type TableClient } from '@azure/data-tables';
import type { Stats } from './stats.js';

export interface CircuitOptions {
  ratio: number;
  minSamples: number;
  windowHours: number;
  /** How long a suspicion must hold before the target opens: the stats flush interval (0: open at once). */
  confirmMs: number;
}

export interface CallCounts {
  okCalls: number;
  failedCalls: number;
}

/** Pure decision: does the window's record disable the target? */
export function shouldOpen(counts: CallCounts, options: CircuitOptions): boolean {
  const total = counts.okCalls + counts.failedCalls;
  return total >= options.minSamples && counts.failedCalls / total >= options.ratio;
}

export const failureRatio = (c: CallCounts) => (c.okCalls + c.failedCalls === 0 ? 0 : c.failedCalls / (c.okCalls + c.failedCalls));

export interface TargetState {
  target: string;
  enabled: boolean;
  /** Counting for the ratio starts here (set when re-enabled). */
  since?: string;
  /** Calls already counted in the hour bucket of `since` when re-enabled: not part of the new record. */
  baseOkCalls?: number;
  baseFailedCalls?: number;
  disabledAt?: string;
  reason?: string;
  /** Enabled, but a failure found the ratio over the limit then; see the header. */
  suspectSince?: string;
}

/** The table row of a target: its state, keyed by the target name. */
type StateEntity = Omit<TargetState, 'target'> & { partitionKey: string; rowKey: string; etag?: string };

const PARTITION = 'target';

function toState(e: StateEntity): TargetState {
  const { rowKey, enabled, since, baseOkCalls, baseFailedCalls, disabledAt, reason, suspectSince } = e;
  return {
    target: rowKey,
    enabled,
    ...(since ? { since } : {}),
    ...(baseOkCalls ? { baseOkCalls } : {}),
    ...(baseFailedCalls ? { baseFailedCalls } : {}),
    ...(disabledAt ? { disabledAt } : {}),
    ...(reason ? { reason } : {}),
    ...(suspectSince ? { suspectSince } : {}),
  };
}
const REMEMBER_DISABLED_MS = 60_000;

export class Circuit {
  private readonly disabledUntil = new Map<string, number>();

  constructor(
    private readonly table: TableClient,
    private readonly stats: Stats,
    private readonly options: CircuitOptions,
    private readonly now: () => number,
  ) {}

  /** True when this instance recently saw the target disabled. No I/O. */
  knownDisabled(target: string): boolean {
    return (this.disabledUntil.get(target) ?? 0) > this.now();
  }

  async state(target: string): Promise<TargetState> {
    return (await this.read(target)).state;
  }

  /** The state and the ETag of its row (none when the target has no row yet). */
  private async read(target: string): Promise<{ state: TargetState; etag?: string }> {
    try {
      const e = await this.table.getEntity<StateEntity>(PARTITION, target);
      const state = toState(e);
      if (!state.enabled) this.disabledUntil.set(target, this.now() + REMEMBER_DISABLED_MS);
      else this.disabledUntil.delete(target);
      return { state, ...(e.etag ? { etag: e.etag } : {}) };
    } catch (e) {
      if (isRestError(e) && e.statusCode === 404) return { state: { target, enabled: true } };
      throw e;
    }
  }

  async list(): Promise<TargetState[]> {
    const out: TargetState[] = [];
    for await (const e of this.table.listEntities<StateEntity>({ queryOptions: { filter: odata`PartitionKey eq ${PARTITION}` } })) {
      out.push(toState(e));
    }
    return out;
  }

  /** Calls in the window, counting only those made since the last re-enable. */
  async window(target: string, state?: TargetState): Promise<CallCounts> {
    const s = state ?? (await this.state(target));
    const counts = await this.stats.window(target, this.options.windowHours, s.since ? Date.parse(s.since) : 0);
    return {
      okCalls: Math.max(0, counts.okCalls - (s.baseOkCalls ?? 0)),
      failedCalls: Math.max(0, counts.failedCalls - (s.baseFailedCalls ?? 0)),
    };
  }

  /**
   * After a failed call (already added to stats): is the target disabled now, and did this call disable it?
   * Opening is idempotent across instances: only the instance whose write wins reports `opened`.
   */
  async afterFailure(target: string, reason: string): Promise<{ disabled: boolean; opened: boolean; suspect: boolean; ratio: number }> {
    const { state, etag } = await this.read(target);
    if (!state.enabled) return { disabled: true, opened: false, suspect: false, ratio: 1 };
    const counts = await this.window(target, state);
    const ratio = failureRatio(counts);
    const over = shouldOpen(counts, this.options);
    const suspectFor = state.suspectSince ? this.now() - Date.parse(state.suspectSince) : -1;
    const confirmed = over && (this.options.confirmMs === 0 || suspectFor >= this.options.confirmMs);
    // Every write is conditional on what was read: another instance's opening, suspicion or a re-enable in between
    // wins, and this call then reports the state as it is now.
    const settle = async (next: TargetState) => {
      try {
        await this.write(next, etag);
        return true;
      } catch (e) {
        if (!(isRestError(e) && (e.statusCode === 412 || e.statusCode === 409))) throw e;
        return false;
      }
    };
    const { suspectSince: _, ...unsuspected } = state;
    if (!confirmed) {
      const next: TargetState = over ? { ...state, suspectSince: state.suspectSince ?? new Date(this.now()).toISOString() } : unsuspected;
      if (next.suspectSince !== state.suspectSince && !(await settle(next))) {
        const now = await this.state(target);
        return { disabled: !now.enabled, opened: false, suspect: now.suspectSince !== undefined, ratio };
      }
      return { disabled: false, opened: false, suspect: over, ratio };
    }
    if (
      !(await settle({ ...unsuspected, enabled: false, disabledAt: new Date(this.now()).toISOString(), reason: reason.slice(0, 1000) }))
    ) {
      return { disabled: !(await this.state(target)).enabled, opened: false, suspect: false, ratio };
    }
    this.disabledUntil.set(target, this.now() + REMEMBER_DISABLED_MS);
    return { disabled: true, opened: true, suspect: false, ratio };
  }

  /** Creates the target's row when it had none, else replaces it if it still has the ETag read. */
  private async write(state: TargetState, etag: string | undefined): Promise<void> {
    const { target, ...fields } = state;
    const entity: StateEntity = { partitionKey: PARTITION, rowKey: target, ...fields };
    if (etag) await this.table.updateEntity(entity, 'Replace', { etag });
    else await this.table.createEntity(entity);
  }

  /** Enables the target; the ratio counts afresh from now (calls already in this hour's bucket are set aside). */
  async enable(target: string): Promise<void> {
    const hour = await this.stats.window(target, 1);
    await this.table.upsertEntity<StateEntity>(
      {
        partitionKey: PARTITION,
        rowKey: target,
        enabled: true,
        since: new Date(this.now()).toISOString(),
        baseOkCalls: hour.okCalls,
        baseFailedCalls: hour.failedCalls,
      },
      'Replace',
    );
    this.disabledUntil.delete(target);
  }
}
