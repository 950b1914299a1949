// Per-table usage: the bytes delivered to each table (what Log Analytics bills) and the schema drift counted at
// ingest. Both are counted in memory and written on the stats cadence (on a failure, every 5 minutes, hourly;
// shared/reliability/stats.ts), never per request or message: bytes as a counter of the stream's hour bucket in the
// `stats` table, drift as one row per table and field path in the `drift` table, merged ETag-safe across instances.
//
// Bytes are the UTF-8 length of each delivered row's JSON, as sent (after shaping to the declared columns): Log
// Analytics bills the size of the stored columns of each record, and none of the columns it leaves out of the bill
// (_ResourceId, _SubscriptionId, _ItemId, _IsBillable, _BilledSize, Type) is ever sent. An estimate, not the bill:
// `_BilledSize` in the workspace is the authority.
import { odata, type TableClient } from '@azure/data-tables';
import pLimit from 'p-limit';
import { type DriftField, type DriftKind, DriftTally, driftKey, type JsonType, mergeField, type TableDrift } from '../catalog/drift.js';
import type { ColumnType } from '../catalog/types.js';
import { mergeEntity } from '../storage/merge.js';
import type { Stats } from './stats.js';

interface DriftEntity {
  path: string;
  kind: DriftKind;
  column?: string;
  columnType?: ColumnType;
  /** JSON object: JSON type → count. */
  types: string;
  count: number;
  unconverted: number;
  firstSeen: string;
  lastSeen: string;
  example: string;
}

/** The row of a table's values beyond the path cap. */
const OVERFLOW_ROW = 'overflow';
const rowKeyOf = (f: DriftField) => Buffer.from(driftKey(f.kind, f.path)).toString('base64url');

const fieldOf = (e: DriftEntity): DriftField => ({
  path: e.path,
  kind: e.kind,
  ...(e.column ? { column: e.column } : {}),
  ...(e.columnType ? { columnType: e.columnType } : {}),
  types: JSON.parse(e.types) as Partial<Record<JsonType, number>>,
  count: e.count,
  unconverted: e.unconverted,
  firstSeen: e.firstSeen,
  lastSeen: e.lastSeen,
  example: e.example,
});

/** Rows merged at once: different rows never conflict, and a flush on a request's path must be short. */
const MERGE_CONCURRENCY = 8;

const entityOf = (f: DriftField): DriftEntity => ({ ...f, types: JSON.stringify(f.types) });

export class Usage {
  private pending = new DriftTally();
  private lastFlush: number;

  constructor(
    private readonly stats: Stats,
    readonly driftTable: TableClient,
    private readonly now: () => number,
  ) {
    this.lastFlush = now();
    stats.flushWith.push(() => this.flushDrift());
  }

  /** Counts bytes delivered to a stream (`Custom-<table>`): the JSON size of the rows the service accepted. */
  record(stream: string, bytes: number): void {
    if (bytes > 0) this.stats.add(stream, { deliveredBytes: bytes });
  }

  /** Records and bytes delivered per stream over the last `hours` hour buckets (this one included), flushed or not. */
  async delivered(hours: number): Promise<Map<string, { records: number; bytes: number }>> {
    const all = await this.stats.windowAll(hours);
    return new Map([...all].map(([stream, c]) => [stream, { records: c.delivered, bytes: c.deliveredBytes }]));
  }

  /** Takes the drift a request counted (after its events were stored). */
  addDrift(tally: DriftTally): void {
    tally.drainInto(this.pending);
  }

  /** The stats interval has passed since the drift was last written (ingest then writes it: an instance may only ingest). */
  flushDue(): boolean {
    return this.now() - this.lastFlush >= this.stats.flushEveryMs;
  }

  /** Merges the pending drift into the `drift` table; what fails to write is kept for the next flush and the first error thrown. */
  async flushDrift(abortSignal?: AbortSignal): Promise<void> {
    const pending = this.pending;
    this.pending = new DriftTally();
    this.lastFlush = this.now();
    const limit = pLimit(MERGE_CONCURRENCY);
    const results = await Promise.allSettled([
      ...[...pending.tables].flatMap(([table, fields]) =>
        [...fields.values()].map((f) =>
          limit(() =>
            mergeEntity<DriftEntity>(
              this.driftTable,
              table,
              rowKeyOf(f),
              (cur) => entityOf(cur ? mergeField(fieldOf(cur), f) : f),
              abortSignal,
            ).catch((e: unknown) => {
              this.pending.put(table, f);
              throw e;
            }),
          ),
        ),
      ),
      ...[...pending.overflow].map(([table, n]) =>
        limit(() =>
          mergeEntity<{ count: number }>(
            this.driftTable,
            table,
            OVERFLOW_ROW,
            (cur) => ({ count: (cur?.count ?? 0) + n }),
            abortSignal,
          ).catch((e: unknown) => {
            this.pending.overflow.set(table, (this.pending.overflow.get(table) ?? 0) + n);
            throw e;
          }),
        ),
      ),
    ]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** The drift of every table (or one), stored and pending, most frequent first; at most MAX_PATHS_PER_TABLE fields a table. */
  async drift(table?: string, abortSignal?: AbortSignal): Promise<TableDrift[]> {
    const all = new DriftTally();
    const rows = this.driftTable.listEntities<DriftEntity & { partitionKey: string; rowKey: string }>({
      ...(table ? { queryOptions: { filter: odata`PartitionKey eq ${table}` } } : {}),
      ...(abortSignal ? { abortSignal } : {}),
    });
    for await (const e of rows) {
      if (e.rowKey === OVERFLOW_ROW) all.overflow.set(e.partitionKey, (all.overflow.get(e.partitionKey) ?? 0) + e.count);
      else all.put(e.partitionKey, fieldOf(e));
    }
    for (const [t, fields] of this.pending.tables) {
      if (!table || t === table) for (const f of fields.values()) all.put(t, { ...f, types: { ...f.types } });
    }
    for (const [t, n] of this.pending.overflow) if (!table || t === table) all.overflow.set(t, (all.overflow.get(t) ?? 0) + n);
    const names = new Set([...all.tables.keys(), ...all.overflow.keys()]);
    return [...names].sort().map((t) => ({
      table: t,
      fields: [...(all.tables.get(t)?.values() ?? [])].sort((a, b) => b.count - a.count || a.path.localeCompare(b.path)),
      overflow: all.overflow.get(t) ?? 0,
    }));
  }
}
