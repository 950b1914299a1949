// Per-stream counters in hour buckets. Counted in memory and merged into the `stats` table (ETag-safe) only when
// something else is written anyway (a failure), by the hourly timer, or at most every few minutes — so the happy
// path of delivery makes no table operation per message (STATS_FLUSH_SECONDS). The circuit reads its rolling window
// from here, and waits one flush interval before it trusts a ratio (circuit.ts).
import { odata, type TableClient } from '@azure/data-tables';
import { mergeEntity } from '../storage/merge.js';

/** `deliveredBytes`: JSON size of the rows delivered (what Log Analytics bills, see shared/reliability/usage.ts). */
export const COUNTERS = ['accepted', 'delivered', 'failed', 'deadLettered', 'parked', 'okCalls', 'failedCalls', 'deliveredBytes'] as const;
export type Counter = (typeof COUNTERS)[number];
export type Counts = Record<Counter, number>;

export const zeroCounts = (): Counts => Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Counts;

/** Hour bucket key, sortable: 2026112517. */
export const hourKey = (ms: number) => new Date(ms).toISOString().slice(0, 13).replace(/[-T]/g, '');

interface StatsEntity extends Partial<Counts> {
  partitionKey: string;
  rowKey: string;
  etag?: string;
  lastSuccess?: string;
  lastFailure?: string;
}

export class Stats {
  /** hour → stream → pending counts */
  private pending = new Map<string, Map<string, Counts>>();
  private lastSuccess = new Map<string, string>();
  private lastFailure = new Map<string, string>();
  private lastFlush: number;
  /** Other in-memory counters written on the same cadence (shared/reliability/usage.ts): each runs after every flush. */
  readonly flushWith: (() => Promise<void>)[] = [];

  constructor(
    readonly table: TableClient,
    private readonly now: () => number,
    /** STATS_FLUSH_SECONDS: how long counts may wait in memory (0: written on every call to maybeFlush). */
    readonly flushEveryMs: number,
    /** Sees every count as it is added (the app's metrics, shared/reliability/metrics.ts). */
    private readonly observe: (stream: string, counts: Partial<Counts>) => void = () => {},
  ) {
    this.lastFlush = now();
  }

  add(stream: string, counts: Partial<Counts>): void {
    const hour = hourKey(this.now());
    const byStream = this.pending.get(hour) ?? this.pending.set(hour, new Map()).get(hour);
    const c = byStream?.get(stream) ?? zeroCounts();
    for (const [k, v] of Object.entries(counts)) c[k as Counter] += v ?? 0;
    byStream?.set(stream, c);
    this.observe(stream, counts);
    const at = new Date(this.now()).toISOString();
    if (counts.okCalls) this.lastSuccess.set(stream, at);
    if (counts.failedCalls) this.lastFailure.set(stream, at);
  }

  /** Flushes when the interval has passed; cheap to call on every message. */
  async maybeFlush(): Promise<void> {
    if (this.now() - this.lastFlush >= this.flushEveryMs) await this.flush();
  }

  /**
   * Writes the pending counters. Counts whose write fails are kept (merged back into what arrived meanwhile) for the
   * next flush, and the first failure is thrown: a flush runs exactly when storage is in trouble, and must lose nothing.
   */
  async flush(): Promise<void> {
    const pending = this.pending;
    const successes = this.lastSuccess;
    const failures = this.lastFailure;
    this.pending = new Map();
    this.lastSuccess = new Map();
    this.lastFailure = new Map();
    this.lastFlush = this.now();
    let firstError: unknown;
    for (const [hour, byStream] of pending) {
      for (const [stream, counts] of byStream) {
        try {
          await this.merge(hour, stream, counts, successes.get(stream), failures.get(stream));
        } catch (e) {
          firstError ??= e;
          this.keep(hour, stream, counts, successes.get(stream), failures.get(stream));
        }
      }
    }
    for (const flush of this.flushWith) {
      try {
        await flush();
      } catch (e) {
        firstError ??= e;
      }
    }
    if (firstError !== undefined) throw firstError;
  }

  /** Puts counts back as pending after a failed write; times recorded since are newer and win. */
  private keep(hour: string, stream: string, counts: Counts, lastSuccess?: string, lastFailure?: string): void {
    const byStream = this.pending.get(hour) ?? this.pending.set(hour, new Map()).get(hour);
    const c = byStream?.get(stream) ?? zeroCounts();
    for (const k of COUNTERS) c[k] += counts[k];
    byStream?.set(stream, c);
    if (lastSuccess && !this.lastSuccess.has(stream)) this.lastSuccess.set(stream, lastSuccess);
    if (lastFailure && !this.lastFailure.has(stream)) this.lastFailure.set(stream, lastFailure);
  }

  private merge(hour: string, stream: string, counts: Counts, lastSuccess?: string, lastFailure?: string): Promise<void> {
    return mergeEntity<Omit<StatsEntity, 'partitionKey' | 'rowKey'>>(this.table, hour, stream, (current) => {
      const next: Omit<StatsEntity, 'partitionKey' | 'rowKey'> = {};
      for (const c of COUNTERS) next[c] = (current?.[c] ?? 0) + counts[c];
      const ls = lastSuccess ?? current?.lastSuccess;
      const lf = lastFailure ?? current?.lastFailure;
      if (ls) next.lastSuccess = ls;
      if (lf) next.lastFailure = lf;
      return next;
    });
  }

  /** Sums of the last `hours` buckets (this one included) for a stream, flushed or not. */
  async window(stream: string, hours: number, sinceMs = 0): Promise<Counts & { lastSuccess?: string; lastFailure?: string }> {
    const now = this.now();
    const from = hourKey(Math.max(now - (hours - 1) * 3600_000, sinceMs));
    const total: Counts & { lastSuccess?: string; lastFailure?: string } = zeroCounts();
    const entities = this.table.listEntities<StatsEntity>({
      queryOptions: { filter: odata`PartitionKey ge ${from} and RowKey eq ${stream}` },
    });
    for await (const e of entities) {
      for (const c of COUNTERS) total[c] += e[c] ?? 0;
      if (e.lastSuccess && (!total.lastSuccess || e.lastSuccess > total.lastSuccess)) total.lastSuccess = e.lastSuccess;
      if (e.lastFailure && (!total.lastFailure || e.lastFailure > total.lastFailure)) total.lastFailure = e.lastFailure;
    }
    for (const [hour, byStream] of this.pending) {
      const c = hour >= from ? byStream.get(stream) : undefined;
      if (c) for (const k of COUNTERS) total[k] += c[k];
    }
    // Not yet flushed times are newer than anything in the table.
    const success = this.lastSuccess.get(stream);
    const failure = this.lastFailure.get(stream);
    if (success) total.lastSuccess = success;
    if (failure) total.lastFailure = failure;
    return total;
  }

  /** Sums of the last `hours` buckets (this one included) of every stream, flushed or not: one query for all. */
  async windowAll(hours: number): Promise<Map<string, Counts>> {
    const from = hourKey(this.now() - (hours - 1) * 3600_000);
    const out = new Map<string, Counts>();
    const addTo = (stream: string, counts: Partial<Counts>) => {
      const c = out.get(stream) ?? zeroCounts();
      for (const k of COUNTERS) c[k] += counts[k] ?? 0;
      out.set(stream, c);
    };
    // Hour keys are digits: the upper bound leaves out the other partitions of the table (health-record markers).
    const filter = odata`PartitionKey ge ${from} and PartitionKey lt ${'a'}`;
    for await (const e of this.table.listEntities<StatsEntity>({ queryOptions: { filter } })) addTo(e.rowKey, e);
    for (const [hour, byStream] of this.pending) if (hour >= from) for (const [stream, c] of byStream) addTo(stream, c);
    return out;
  }

  /** Every stream with counters in the bucket of `hour`. */
  async hour(hour: string): Promise<Map<string, Counts>> {
    const out = new Map<string, Counts>();
    for await (const e of this.table.listEntities<StatsEntity>({ queryOptions: { filter: odata`PartitionKey eq ${hour}` } })) {
      const c = zeroCounts();
      for (const k of COUNTERS) c[k] = e[k] ?? 0;
      out.set(e.rowKey, c);
    }
    return out;
  }
}
