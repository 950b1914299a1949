// Auto-disable per target: when failures reach CIRCUIT_FAILURE_RATIO of the calls in the rolling window (with at
// least CIRCUIT_MIN_SAMPLES calls), the target is disabled and its new work is parked, never dropped.
// State lives in the `circuit` table; an instance remembers a disabled target briefly, so parking costs no call to
// a target known to be down, while the happy path reads nothing.
import { isRestError } from '@azure/core-rest-pipeline';
import { odata, type TableClient } from '@azure/data-tables';
import type { Stats } from './stats.js';

export interface CircuitOptions {
  ratio: number;
  minSamples: number;
  windowHours: number;
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
}

/** The table row of a target: its state, keyed by the target name. */
type StateEntity = Omit<TargetState, 'target'> & { partitionKey: string; rowKey: string; etag?: string };

const PARTITION = 'target';

function toState(e: StateEntity): TargetState {
  const { rowKey, enabled, since, baseOkCalls, baseFailedCalls, disabledAt, reason } = e;
  return {
    target: rowKey,
    enabled,
    ...(since ? { since } : {}),
    ...(baseOkCalls ? { baseOkCalls } : {}),
    ...(baseFailedCalls ? { baseFailedCalls } : {}),
    ...(disabledAt ? { disabledAt } : {}),
    ...(reason ? { reason } : {}),
  };
}
const REMEMBER_DISABLED_MS = 60_000;

/** Another instance disabled the target between our read and our write. */
class AlreadyDisabled extends Error {}

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
    try {
      const e = await this.table.getEntity<StateEntity>(PARTITION, target);
      const s = toState(e);
      if (!s.enabled) this.disabledUntil.set(target, this.now() + REMEMBER_DISABLED_MS);
      else this.disabledUntil.delete(target);
      return s;
    } catch (e) {
      if (isRestError(e) && e.statusCode === 404) return { target, enabled: true };
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
  async afterFailure(target: string, reason: string): Promise<{ disabled: boolean; opened: boolean; ratio: number }> {
    const state = await this.state(target);
    if (!state.enabled) return { disabled: true, opened: false, ratio: 1 };
    const counts = await this.window(target, state);
    const ratio = failureRatio(counts);
    if (!shouldOpen(counts, this.options)) return { disabled: false, opened: false, ratio };
    const entity: StateEntity = {
      partitionKey: PARTITION,
      rowKey: target,
      enabled: false,
      disabledAt: new Date(this.now()).toISOString(),
      reason: reason.slice(0, 1000),
    };
    if (state.since) entity.since = state.since;
    if (state.baseOkCalls) entity.baseOkCalls = state.baseOkCalls;
    if (state.baseFailedCalls) entity.baseFailedCalls = state.baseFailedCalls;
    try {
      await this.table.createEntity(entity).catch(async (e: unknown) => {
        if (!(isRestError(e) && e.statusCode === 409)) throw e;
        const current = await this.table.getEntity<StateEntity>(PARTITION, target);
        if (!current.enabled) throw new AlreadyDisabled();
        // Conditional on the ETag just read, never '*': a re-enable or another opening in between wins.
        await this.table.updateEntity(entity, 'Replace', { etag: current.etag });
      });
    } catch (e) {
      if (e instanceof AlreadyDisabled || (isRestError(e) && e.statusCode === 412)) return { disabled: true, opened: false, ratio };
      throw e;
    }
    this.disabledUntil.set(target, this.now() + REMEMBER_DISABLED_MS);
    return { disabled: true, opened: true, ratio };
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
