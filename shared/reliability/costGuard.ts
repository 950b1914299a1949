// Cost guard: optional daily caps on the bytes delivered per table (INGEST_DAILY_CAP_MB, INGEST_TABLE_CAPS_MB).
// Past its cap a stream's new rows are parked like a disabled target's (ordered, never dropped) until the UTC day
// rolls over (INGEST_CAP_RESUME=auto replays them then) or an operator replays them (which lifts the cap for the rest
// of the day). Usage is counted in memory and merged into one row per stream and UTC day of the `circuit` table
// (partition `cap<YYYYMMDD>`, ETag-safe) at most every MERGE_EVERY_MS: a capped table costs one read per instance and
// day and a merge a minute, never an operation per batch; tables without a cap cost nothing.
import { isRestError } from '@azure/core-rest-pipeline';
import { odata, type TableClient } from '@azure/data-tables';
import pLimit from 'p-limit';
import type { Catalog } from '../catalog/index.js';
import { streamOf } from '../catalog/tables.js';
import type { JsonRecord } from '../catalog/types.js';
import { type Config, ConfigError } from '../config.js';
import { mergeEntity } from '../storage/merge.js';

/** Caps are in decimal megabytes, as Log Analytics bills ingestion (1 GB = 10^9 bytes). */
export const MB = 1_000_000;
/** How often an instance merges its delivered bytes and reads the others'; the cap's overshoot bound. */
export const MERGE_EVERY_MS = 60_000;

export type CapResume = 'auto' | 'manual';

export interface CapSettings {
  /** Cap in bytes per stream; a stream not in the map is not capped. */
  caps: ReadonlyMap<string, number>;
  resume: CapResume;
}

/** UTC day key, sortable: 20261201. */
export const dayKey = (ms: number) => new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
const PARTITION = 'cap';
const partitionOf = (day: string) => `${PARTITION}${day}`;

/** The bytes a row counts for: its JSON, as delivered. */
export const rowBytes = (row: JsonRecord) => Buffer.byteLength(JSON.stringify(row));

/**
 * The caps per stream from the settings: INGEST_DAILY_CAP_MB for every catalog table but the bridge's own health
 * table, INGEST_TABLE_CAPS_MB per table over it (0: not capped). A table the catalog does not have is a ConfigError.
 */
export function capSettings(
  config: Pick<Config, 'INGEST_DAILY_CAP_MB' | 'INGEST_TABLE_CAPS_MB' | 'INGEST_CAP_RESUME'>,
  catalog: Catalog,
  healthTable: string,
): CapSettings {
  const tables = catalog.tables.map((t) => t.table);
  const overrides = new Map(Object.entries(config.INGEST_TABLE_CAPS_MB));
  const unknown = [...overrides.keys()].filter((t) => !tables.includes(t));
  if (unknown.length)
    throw new ConfigError(
      `Invalid settings: INGEST_TABLE_CAPS_MB: no table ${unknown.join(', ')} in the catalog; its tables are ${[...tables].sort().join(', ')}`,
    );
  const caps = new Map<string, number>();
  for (const table of tables) {
    const mb = overrides.get(table) ?? (table === healthTable ? 0 : config.INGEST_DAILY_CAP_MB);
    if (mb > 0) caps.set(streamOf(table), mb * MB);
  }
  return { caps, resume: config.INGEST_CAP_RESUME };
}

/** Pure: how many of the rows (their sizes, in order) fit under the cap on top of what is used. */
export function rowsWithinCap(sizes: readonly number[], used: number, cap: number): number {
  let total = used;
  let n = 0;
  for (const size of sizes) {
    if (total + size > cap) break;
    total += size;
    n += 1;
  }
  return n;
}

interface CapEntity {
  partitionKey: string;
  rowKey: string;
  etag?: string;
  /** Bytes delivered that day, by every instance. */
  bytes: number;
  /** When the stream first reached its cap that day (its excess is parked from then on). */
  cappedAt?: string;
  /** When an operator's replay lifted the cap for the rest of that day. */
  liftedAt?: string;
}

/** What one instance knows of a stream's day. */
interface Local {
  day: string;
  /** Bytes in the table when last merged or read. */
  merged: number;
  /** Bytes delivered (reserved) here and not yet merged. */
  pending: number;
  /** The table's row was read this day: until then the other instances' bytes are unknown. */
  read: boolean;
  cappedAt?: string;
  liftedAt?: string;
}

/** Rows admitted (their bytes reserved; what fails to go out is given back with `release`) and rows parked. */
export interface Admission {
  send: JsonRecord[];
  park: JsonRecord[];
}

export interface CapState {
  stream: string;
  day: string;
  capBytes: number;
  usedBytes: number;
  capped: boolean;
  cappedAt?: string;
  liftedAt?: string;
}

export class CostGuard {
  private readonly local = new Map<string, Local>();
  /** One merge at a time: two would both add the same pending bytes. */
  private readonly mergeLock = pLimit(1);
  private lastMerge: number;

  constructor(
    private readonly table: TableClient,
    readonly settings: CapSettings,
    private readonly now: () => number,
  ) {
    this.lastMerge = now();
  }

  capOf(stream: string): number | undefined {
    return this.settings.caps.get(stream);
  }

  private state(stream: string): Local {
    const day = dayKey(this.now());
    const s = this.local.get(stream);
    if (s?.day === day) return s;
    // A new day: the old day's unmerged bytes no longer count against anything.
    const fresh: Local = { day, merged: 0, pending: 0, read: false };
    this.local.set(stream, fresh);
    return fresh;
  }

  /**
   * Splits rows into what may be sent now and what is parked, in order: once a row does not fit, it and every row
   * after it wait. Reads the table once per stream and day, then only on the way to parking (whose writes cost more
   * anyway), to see the other instances' usage or an operator's lift.
   */
  async admit(stream: string, rows: readonly JsonRecord[]): Promise<Admission> {
    const cap = this.capOf(stream);
    if (cap === undefined) return { send: [...rows], park: [] };
    const s = this.state(stream);
    const sizes = rows.map(rowBytes);
    const fitting = () => (s.liftedAt ? rows.length : s.cappedAt ? 0 : rowsWithinCap(sizes, s.merged + s.pending, cap));
    // The first batch of a stream each day reads what the other instances delivered; later ones only on the way to parking.
    if (!s.read) await this.merge(stream, {});
    let n = fitting();
    if (n < rows.length) {
      await this.merge(stream, {});
      n = fitting();
    }
    s.pending += sizes.slice(0, n).reduce((a, b) => a + b, 0);
    return { send: rows.slice(0, n), park: rows.slice(n) };
  }

  /**
   * Gives back what was reserved for admitted rows that were not delivered (they are retried, and counted when they
   * go out). The sender reports failed rows as it shaped them: each is matched to the admitted row by EventId.
   */
  release(stream: string, admitted: readonly JsonRecord[], failed: readonly JsonRecord[]): void {
    if (this.capOf(stream) === undefined || failed.length === 0) return;
    const sizeById = new Map(admitted.map((r) => [String(r.EventId), rowBytes(r)]));
    const s = this.state(stream);
    s.pending = Math.max(0, s.pending - failed.reduce((n, r) => n + (sizeById.get(String(r.EventId)) ?? rowBytes(r)), 0));
  }

  /** Records that the stream reached its cap today; true for the one caller (across instances) that set it first. */
  async markCapped(stream: string): Promise<boolean> {
    if (this.state(stream).cappedAt) return false;
    return this.merge(stream, { cappedAt: new Date(this.now()).toISOString() });
  }

  /**
   * An operator's replay of parked work: each stream whose cap parked rows (today, or on a past day no replay has
   * lifted) gets its cap lifted for the rest of today, or the replayed rows would be parked again; the rows of past
   * days are done with.
   */
  async lift(stream?: string): Promise<string[]> {
    const today = partitionOf(dayKey(this.now()));
    const lifting = new Set<string>();
    for (const e of await this.list()) {
      if ((stream && e.rowKey !== stream) || e.partitionKey > today) continue;
      if (e.cappedAt && !e.liftedAt) lifting.add(e.rowKey);
      if (e.partitionKey < today) await this.remove(e.partitionKey, e.rowKey);
    }
    for (const s of lifting) await this.merge(s, { liftedAt: new Date(this.now()).toISOString() });
    return [...lifting].sort();
  }

  /** Streams capped on a day before today whose parked rows still wait (no replay lifted it), oldest day first. */
  async waiting(): Promise<{ stream: string; day: string }[]> {
    const today = partitionOf(dayKey(this.now()));
    return (await this.list())
      .filter((e) => e.partitionKey < today && e.cappedAt && !e.liftedAt)
      .map((e) => ({ stream: e.rowKey, day: e.partitionKey.slice(PARTITION.length) }))
      .sort((a, b) => a.day.localeCompare(b.day) || a.stream.localeCompare(b.stream));
  }

  /** Removes the rows of past days that hold nothing waiting (the hourly timer), so the `cap` rows stay few. */
  async prune(): Promise<void> {
    const today = partitionOf(dayKey(this.now()));
    for (const e of await this.list())
      if (e.partitionKey < today && !(e.cappedAt && !e.liftedAt)) await this.remove(e.partitionKey, e.rowKey);
  }

  /** A past day's cap is done with (its parked rows were replayed). */
  resolved(stream: string, day: string): Promise<void> {
    return this.remove(partitionOf(day), stream);
  }

  private async remove(partitionKey: string, rowKey: string): Promise<void> {
    await this.table.deleteEntity(partitionKey, rowKey).catch((e: unknown) => {
      if (!(isRestError(e) && e.statusCode === 404)) throw e;
    });
  }

  /** A day's usage of every capped stream (this instance's unmerged bytes included), for /api/status and the health record. */
  async usage(day = dayKey(this.now())): Promise<CapState[]> {
    if (this.settings.caps.size === 0) return [];
    const stored = new Map<string, CapEntity>();
    for await (const e of this.table.listEntities<CapEntity>({ queryOptions: { filter: odata`PartitionKey eq ${partitionOf(day)}` } }))
      stored.set(e.rowKey, e);
    return [...this.settings.caps]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([stream, capBytes]) => {
        const e = stored.get(stream);
        const s = this.local.get(stream);
        const pending = s?.day === day ? s.pending : 0;
        const cappedAt = e?.cappedAt ?? (s?.day === day ? s.cappedAt : undefined);
        const liftedAt = e?.liftedAt;
        return {
          stream,
          day,
          capBytes,
          usedBytes: (e?.bytes ?? 0) + pending,
          capped: Boolean(cappedAt) && !liftedAt,
          ...(cappedAt ? { cappedAt } : {}),
          ...(liftedAt ? { liftedAt } : {}),
        };
      });
  }

  /** Merges when the interval has passed; cheap to call on every message. */
  async maybeMerge(): Promise<void> {
    if (this.now() - this.lastMerge >= MERGE_EVERY_MS) await this.mergeAll();
  }

  /** Writes every stream's unmerged bytes (and reads what the other instances wrote). */
  async mergeAll(): Promise<void> {
    this.lastMerge = this.now();
    for (const [stream, s] of this.local) if (s.pending > 0) await this.merge(stream, {});
  }

  private async list(): Promise<CapEntity[]> {
    const out: CapEntity[] = [];
    const filter = odata`PartitionKey ge ${PARTITION} and PartitionKey lt ${`${PARTITION}~`}`;
    for await (const e of this.table.listEntities<CapEntity>({ queryOptions: { filter } })) out.push(e);
    return out;
  }

  /**
   * Adds this instance's pending bytes of today to the stream's row and sets the given marks (a mark already set is
   * kept), conditional on the ETag read; the local state then holds the row as written. True when `marks.cappedAt`
   * was set by this write.
   */
  private merge(stream: string, marks: Pick<CapEntity, 'cappedAt' | 'liftedAt'>): Promise<boolean> {
    return this.mergeLock(async () => {
      const s = this.state(stream);
      const pending = s.pending;
      let current: CapEntity | undefined;
      let written: CapEntity | undefined;
      await mergeEntity<CapEntity>(this.table, partitionOf(s.day), stream, (row) => {
        current = row;
        const next: CapEntity = { partitionKey: partitionOf(s.day), rowKey: stream, bytes: (row?.bytes ?? 0) + pending };
        const cappedAt = row?.cappedAt ?? marks.cappedAt;
        const liftedAt = row?.liftedAt ?? marks.liftedAt;
        if (cappedAt) next.cappedAt = cappedAt;
        if (liftedAt) next.liftedAt = liftedAt;
        written = next;
        // A plain refresh (nothing pending, no new mark) writes nothing.
        return pending > 0 || cappedAt !== row?.cappedAt || liftedAt !== row?.liftedAt ? next : undefined;
      });
      const row = written as CapEntity;
      // Bytes reserved while the write was under way stay pending.
      s.pending -= pending;
      s.merged = row.bytes;
      s.read = true;
      if (row.cappedAt) s.cappedAt = row.cappedAt;
      if (row.liftedAt) s.liftedAt = row.liftedAt;
      return Boolean(marks.cappedAt) && !(current as CapEntity | undefined)?.cappedAt;
    });
  }
}

/** The operators' notification when a stream reaches its cap (sent once per stream and day). */
export function capNotice(stream: string, capBytes: number, resume: CapResume, now: number): Record<string, unknown> {
  const table = stream.replace(/^Custom-/, '');
  const day = new Date(now).toISOString().slice(0, 10);
  const then =
    resume === 'auto'
      ? 'they are replayed in order after 00:00 UTC, or now by POST /api/replay'
      : 'POST /api/replay sends them in order (and lifts the cap for the rest of the day)';
  return {
    type: 'sentinelbridge.target.capped',
    target: stream,
    table,
    capMb: capBytes / MB,
    day,
    resume,
    at: new Date(now).toISOString(),
    message: `Daily cap of ${capBytes / MB} MB reached for ${table} on ${day}: new events are parked, not dropped; ${then}.`,
  };
}
