// Turns a validated record into a Log Analytics row for its table: typed columns, the common columns, and
// RawData so that no field is ever lost.
import { createHash } from 'node:crypto';
import { COMMON_COLUMNS } from './tables.js';
import { type Column, type ColumnType, type EventType, isObject, type JsonRecord, type TableDef } from './types.js';

export interface FieldError {
  path: string;
  message: string;
}

/** A typed column whose value came as another JSON type: converted (e.g. "42" into an int) or not (Unconverted). */
export interface Mistyped {
  column: string;
  type: ColumnType;
  path: string;
  value: unknown;
  converted: boolean;
}

/** What the row builder saw, for the schema drift report (shared/catalog/drift.ts). */
export interface RowSeen {
  /** Record paths a typed column took; every other field went to RawData. */
  consumed: ReadonlySet<string>;
  mistyped: readonly Mistyped[];
  /** The path EventTime came from (kept in RawData as sent, but not drift). */
  timePath?: string;
}

export type RowResult = { ok: true; row: JsonRecord; seen: RowSeen } | { ok: false; errors: FieldError[] };

export function getPath(record: JsonRecord, path: string): unknown {
  let cur: unknown = record;
  for (const key of path.split('.')) {
    // Own fields only: a path segment a request names (time-generated-field) must not reach Object.prototype.
    if (!isObject(cur) || !Object.hasOwn(cur, key)) return undefined;
    cur = cur[key];
  }
  return cur;
}

function firstPresent(record: JsonRecord, paths: readonly string[]): { path: string; value: unknown } | undefined {
  for (const path of paths) {
    const value = getPath(record, path);
    if (value !== undefined && value !== null && value !== '') return { path, value };
  }
  return undefined;
}

/** Unix seconds below this are read as seconds, above as milliseconds (year 5138 vs 1973). */
const SECONDS_LIMIT = 1e11;

export function toIsoTime(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const date = new Date(value < SECONDS_LIMIT ? value * 1000 : value);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  if (typeof value === 'string') {
    if (/^\d+(\.\d+)?$/.test(value)) return toIsoTime(Number(value));
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
  }
  return undefined;
}

/**
 * `outOfRange`: an integer the column type cannot hold (int is 32-bit, long 64-bit). The record is kept, the column
 * left empty and the value stays in RawData, listed in Unconverted: the service would store null.
 */
type Coerced = { ok: true; value: unknown } | { ok: false; message: string; outOfRange?: true };

const describeValue = (v: unknown) =>
  typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : Array.isArray(v) ? 'an array' : typeof v;

function coerceNumber(value: unknown, integer: boolean, column: Column): Coerced {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) return { ok: false, message: `expected a number, got ${describeValue(value)}` };
  if (integer && !Number.isInteger(n)) return { ok: false, message: `expected an integer, got ${describeValue(value)}` };
  if (column.min !== undefined && n < column.min) return { ok: false, message: `must be ≥ ${column.min}, got ${n}` };
  if (column.max !== undefined && n > column.max) return { ok: false, message: `must be ≤ ${column.max}, got ${n}` };
  return { ok: true, value: n };
}

const INTEGER_TEXT = /^[+-]?\d+$/;

/** Log Analytics int and long: signed 32- and 64-bit (learn.microsoft.com/kusto/query/scalar-data-types). */
const INT_RANGE = [-(2n ** 31n), 2n ** 31n - 1n] as const;
const LONG_RANGE = [-(2n ** 63n), 2n ** 63n - 1n] as const;

/**
 * An integer column's value, exact: digits beyond 2^53 (a string from the body parser) are compared as BigInt and
 * sent as a string of digits, which the service converts to its 64-bit long without going through a double.
 */
function coerceInteger(value: unknown, column: Column, [low, high]: readonly [bigint, bigint]): Coerced {
  const text = typeof value === 'string' ? value.trim() : undefined;
  const exact =
    text !== undefined && INTEGER_TEXT.test(text)
      ? BigInt(text)
      : typeof value === 'number' && Number.isInteger(value)
        ? BigInt(value)
        : undefined;
  if (exact === undefined) return coerceNumber(value, true, column);
  if (column.min !== undefined && exact < BigInt(column.min)) return { ok: false, message: `must be ≥ ${column.min}, got ${exact}` };
  if (column.max !== undefined && exact > BigInt(column.max)) return { ok: false, message: `must be ≤ ${column.max}, got ${exact}` };
  if (exact < low || exact > high) return { ok: false, outOfRange: true, message: `${exact} does not fit a ${column.type} column` };
  const n = Number(exact);
  return { ok: true, value: Number.isSafeInteger(n) ? n : exact.toString() };
}

/** Whether a value is of the JSON type a column of this type expects (digits beyond 2^53 arrive as a string). */
function nativeFor(type: ColumnType, v: unknown): boolean {
  switch (type) {
    case 'string':
    case 'guid':
      return typeof v === 'string';
    case 'int':
    case 'long':
      return typeof v === 'number' || (typeof v === 'string' && INTEGER_TEXT.test(v) && !Number.isSafeInteger(Number(v)));
    case 'real':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'datetime':
      return typeof v === 'string' || typeof v === 'number';
    case 'dynamic':
      return true;
  }
}

const COERCE: Record<ColumnType, (value: unknown, column: Column) => Coerced> = {
  string: (v) => ({ ok: true, value: typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v) }),
  int: (v, c) => coerceInteger(v, c, INT_RANGE),
  long: (v, c) => coerceInteger(v, c, LONG_RANGE),
  real: (v, c) => coerceNumber(v, false, c),
  boolean: (v) => {
    if (typeof v === 'boolean') return { ok: true, value: v };
    if (v === 'true' || v === 1 || v === '1') return { ok: true, value: true };
    if (v === 'false' || v === 0 || v === '0') return { ok: true, value: false };
    return { ok: false, message: `expected true or false, got ${describeValue(v)}` };
  },
  datetime: (v) => {
    const iso = toIsoTime(v);
    return iso ? { ok: true, value: iso } : { ok: false, message: `expected a date-time (ISO 8601 or unix time), got ${describeValue(v)}` };
  },
  dynamic: (v) => ({ ok: true, value: v }),
  guid: (v) =>
    typeof v === 'string' && /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v)
      ? { ok: true, value: v }
      : { ok: false, message: `expected a GUID, got ${describeValue(v)}` },
};

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Content-derived id: the same event posted twice (a sender's retry) gets the same EventId, so duplicates are
 * visible with `summarize count() by EventId`; any change in the event gives a new id.
 */
export function eventIdOf(source: string, type: string, record: JsonRecord): string {
  const h = createHash('sha256')
    .update(`${source}\n${type}\n${stableStringify(record)}`)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A deep copy of the record without the consumed paths, with objects left empty removed; undefined if nothing is left. */
function extras(record: JsonRecord, consumed: ReadonlySet<string>, prefix = ''): JsonRecord | undefined {
  const out: JsonRecord = {};
  for (const [key, value] of Object.entries(record)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (consumed.has(path)) continue;
    const kept = isObject(value) ? extras(value, consumed, path) : value;
    // defineProperty, not assignment: a "__proto__" key from JSON is data and must be kept as such.
    if (kept !== undefined) Object.defineProperty(out, key, { value: kept, enumerable: true, writable: true, configurable: true });
  }
  return Object.keys(out).length ? out : undefined;
}

export interface RowContext {
  receivedAt: string;
  /** Time field named by the request (legacy `time-generated-field`), tried before the type's own. */
  timeField?: string;
}

/** Validates a record against its event type and table, and builds the row. Errors name the field path. */
export function toRow(eventType: EventType, table: TableDef, record: JsonRecord, ctx: RowContext): RowResult {
  const errors: FieldError[] = [];
  const row: JsonRecord = {};
  const consumed = new Set<string>();
  const unconverted: string[] = [];
  const mistyped: Mistyped[] = [];

  for (const column of table.columns) {
    let found: { path: string; value: unknown } | undefined;
    if (column.compute) {
      const value = column.compute(record);
      if (value !== undefined && value !== null) found = { path: column.name, value };
    }
    let fromRecord = false;
    if (!found && column.from) {
      found = firstPresent(record, column.from);
      fromRecord = found !== undefined;
    }
    if (!found) {
      if (column.required) errors.push({ path: column.from?.[0] ?? column.name, message: 'is required' });
      continue;
    }
    const coerced = COERCE[column.type](found.value, column);
    if (fromRecord && (!coerced.ok || !nativeFor(column.type, found.value)) && (coerced.ok || coerced.outOfRange))
      mistyped.push({ column: column.name, type: column.type, path: found.path, value: found.value, converted: coerced.ok });
    if (coerced.ok) {
      row[column.name] = coerced.value;
      if (fromRecord) consumed.add(found.path);
    } else if (coerced.outOfRange) unconverted.push(found.path);
    else errors.push({ path: found.path, message: coerced.message });
  }

  const timePaths = [...(ctx.timeField ? [ctx.timeField] : []), ...(eventType.time ?? [])];
  const time = firstPresent(record, timePaths);
  let eventTime: string | undefined;
  if (time) {
    // Not consumed: EventTime holds it normalized, RawData keeps it exactly as sent.
    eventTime = toIsoTime(time.value);
    if (!eventTime)
      errors.push({ path: time.path, message: `expected a date-time (ISO 8601 or unix time), got ${describeValue(time.value)}` });
  }
  if (errors.length) return { ok: false, errors };

  row.TimeGenerated = eventTime ?? ctx.receivedAt;
  if (eventTime) row.EventTime = eventTime;
  row.EventId = eventIdOf(eventType.source, eventType.type, record);
  row.ReceivedAt = ctx.receivedAt;
  row.Source = eventType.source;
  row.EventType = eventType.type;
  // A path another column took (a wider column added for it) is not unconverted.
  const lost = unconverted.filter((p) => !consumed.has(p));
  if (lost.length) row.Unconverted = lost;
  if (table.rawData === 'json') row.RawData = JSON.stringify(record);
  else {
    const rest = extras(record, consumed);
    if (rest) row.RawData = rest;
  }
  const seen = { consumed, mistyped: mistyped.filter((m) => m.converted || !consumed.has(m.path)) };
  return { ok: true, row, seen: time ? { ...seen, timePath: time.path } : seen };
}

/**
 * Keeps only the table's declared columns (the service drops others silently) and folds the rest into RawData.
 * `declared` is the table's columns by name (Catalog.columnTypes), built once per table.
 */
export function shapeToTable(table: TableDef, declared: ReadonlyMap<string, unknown>, row: JsonRecord): JsonRecord {
  const shaped: JsonRecord = {};
  const leftover: JsonRecord = {};
  for (const [k, v] of Object.entries(row)) (declared.has(k) ? shaped : leftover)[k] = v;
  if (Object.keys(leftover).length) {
    if (table.rawData === 'json') shaped.RawData = JSON.stringify({ ...JSON.parse(String(shaped.RawData ?? '{}')), ...leftover });
    else shaped.RawData = { ...(isObject(shaped.RawData) ? shaped.RawData : {}), ...leftover };
  }
  return shaped;
}

export { COMMON_COLUMNS };
