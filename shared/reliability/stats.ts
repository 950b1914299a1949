// Per-stream counters in hour buckets. Counted in memory and merged into the `stats` table (ETag-safe) only when
// something else is written anyway (a failure), by the hourly timer, or at most every few minutes — so the happy
// path of delivery makes no table operation per message. The circuit reads its rolling window from here.
import type { TableClient } from '@azure/data-tables';

export const COUNTERS = ['accepted', 'delivered', 'failed', 'deadLettered', 'parked', 'okCalls', 'failedCalls'] as const;
export type Counter = (typeof COUNTERS)[number];
export type Counts = Record<Counter, number>;

export const zeroCounts = (): Counts => Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Counts;

/** Hour bucket key, sortable: 2026112517. */
export const hourKey = (ms: number) => new Date(ms).toISOString().slice(0, 13).replace(/[-T]/g, '');

const FLUSH_EVERY_MS = 5 * 60_000;

interface StatsEntity extends Partial<Counts> {
  partitionKey: string;
  rowKey: string;
  lastSuccess?: string;
  lastFailure?: string;
}

export class Stats {
  /** hour → stream → pending counts */
  private pending = new Map<string, Map<string, Counts>>();
  private lastSuccess = new Map<string, string>();
  private lastFailure = new Map<string, string>();
  private lastFlush: number;

  constructor(
    readonly table: TableClient,
    private readonly now: () => number,
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
    if (this.now() - this.lastFlush >= FLUSH_EVERY_MS) await this.flush();
  }

  async flush(): Promise<void> {
    const pending = this.pending;
    const successes = this.lastSuccess;
    const failures = this.lastFailure;
    this.pending = new Map();
    this.lastSuccess = new Map();
    this.lastFailure = new Map();
    this.lastFlush = this.now();
    for (const [hour, byStream] of pending) {
      for (const [stream, counts] of byStream) {
        await this.merge(hour, stream, counts, successes.get(stream), failures.get(stream));
      }
    }
  }

  private async merge(hour: string, stream: string, counts: Counts, lastSuccess?: string, lastFailure?: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        let current: StatsEntity | undefined;
        try {
          current = await this.table.getEntity<StatsEntity>(hour, stream);
        } catch (e) {
          if ((e as { statusCode?: number }).statusCode !== 404) throw e;
        }
        const next: StatsEntity = { partitionKey: hour, rowKey: stream };
        for (const c of COUNTERS) next[c] = (current?.[c] ?? 0) + counts[c];
        const ls = lastSuccess ?? current?.lastSuccess;
        const lf = lastFailure ?? current?.lastFailure;
        if (ls) next.lastSuccess = ls;
        if (lf) next.lastFailure = lf;
        if (current) await this.table.updateEntity(next, 'Replace', { etag: (current as { etag?: string }).etag ?? '*' });
        else await this.table.createEntity(next);
        return;
      } catch (e) {
        const status = (e as { statusCode?: number }).statusCode;
        // Another instance wrote in between: read again and re-apply.
        if ((status === 412 || status === 409) && attempt < 10) continue;
        throw e;
      }
    }
  }

  /** Sums of the last `hours` buckets (this one included) for a stream, flushed or not. */
  async window(stream: string, hours: number, sinceMs = 0): Promise<Counts & { lastSuccess?: string; lastFailure?: string }> {
    const now = this.now();
    const from = hourKey(Math.max(now - (hours - 1) * 3600_000, sinceMs));
    const total: Counts & { lastSuccess?: string; lastFailure?: string } = zeroCounts();
    const entities = this.table.listEntities<StatsEntity>({
      queryOptions: { filter: `PartitionKey ge '${from}' and RowKey eq '${stream.replace(/'/g, "''")}'` },
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

  /** Every stream with counters in the bucket of `hour`. */
  async hour(hour: string): Promise<Map<string, Counts>> {
    const out = new Map<string, Counts>();
    for await (const e of this.table.listEntities<StatsEntity>({ queryOptions: { filter: `PartitionKey eq '${hour}'` } })) {
      const c = zeroCounts();
      for (const k of COUNTERS) c[k] = e[k] ?? 0;
      out.set(e.rowKey, c);
    }
    return out;
  }
}
