// Schema drift: the fields of accepted records that no typed column took (they went to RawData) and the typed columns
// that got a value of another JSON type (converted, or left empty and listed in Unconverted). Counted per table in
// memory (DriftTally, bounded), and turned into the catalog change that would give them typed columns.
import type { Catalog } from './index.js';
import type { RowSeen } from './rows.js';
import { COLUMN_NAME, columnsOf, RESERVED_COLUMN_NAMES } from './tables.js';
import { type Column, type ColumnType, isObject, type JsonRecord, type TableDef } from './types.js';

/** JSON types as reported: `integer` is a number without a fraction, `number` any other. */
export type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';
export type DriftKind = 'undeclared' | 'mistyped';

export interface DriftField {
  path: string;
  kind: DriftKind;
  /** mistyped: the typed column and its type. */
  column?: string;
  columnType?: ColumnType;
  /** Values seen, by JSON type. */
  types: Partial<Record<JsonType, number>>;
  count: number;
  /** mistyped: values the column could not hold (left empty, path in Unconverted, value in RawData). */
  unconverted: number;
  firstSeen: string;
  lastSeen: string;
  /** The first value seen, redacted (shared/observability/redact.ts, given to DriftTally) and capped. */
  example: string;
}

/** Distinct paths counted per table (per instance, and per table in the report); values of further paths are only counted as `overflow`. */
export const MAX_PATHS_PER_TABLE = 200;
/** Deeper objects count as one field of type object at this depth. */
export const MAX_PATH_DEPTH = 6;
/** Longer paths are not tracked (counted as overflow). */
export const MAX_PATH_CHARS = 200;

export const jsonTypeOf = (v: unknown): JsonType =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'array'
      : typeof v === 'number'
        ? Number.isInteger(v)
          ? 'integer'
          : 'number'
        : typeof v === 'string'
          ? 'string'
          : typeof v === 'boolean'
            ? 'boolean'
            : 'object';

export const driftKey = (kind: DriftKind, path: string) => `${kind}:${path}`;

/** Adds `b`'s counts to `a` (same table and key): types and counts summed, the earliest first and latest last sighting kept. */
export function mergeField(a: DriftField, b: DriftField): DriftField {
  const types = { ...a.types };
  for (const [t, n] of Object.entries(b.types) as [JsonType, number][]) types[t] = (types[t] ?? 0) + n;
  const earlier = b.firstSeen < a.firstSeen;
  return {
    ...a,
    types,
    count: a.count + b.count,
    unconverted: a.unconverted + b.unconverted,
    firstSeen: earlier ? b.firstSeen : a.firstSeen,
    lastSeen: (b.lastSeen > a.lastSeen ? b : a).lastSeen,
    example: earlier ? b.example : a.example,
  };
}

/** Drift counted in memory: table → key → field, at most MAX_PATHS_PER_TABLE keys per table. */
export class DriftTally {
  readonly tables = new Map<string, Map<string, DriftField>>();
  /** Values not counted by path, per table (more distinct paths than the cap, or a path too long). */
  readonly overflow = new Map<string, number>();

  /** `example` of a value first seen at a path: redacted and capped by the caller's rule (nothing is shown by default). */
  constructor(private readonly example: (path: string, value: unknown) => string = () => '[redacted]') {}

  get empty(): boolean {
    return this.tables.size === 0 && this.overflow.size === 0;
  }

  /** Counts one field, or merges a counted one. */
  put(table: string, field: DriftField): void {
    const fields = this.tables.get(table) ?? new Map<string, DriftField>();
    const key = driftKey(field.kind, field.path);
    const known = fields.get(key);
    if (known) fields.set(key, mergeField(known, field));
    else if (fields.size < MAX_PATHS_PER_TABLE && field.path.length <= MAX_PATH_CHARS) fields.set(key, field);
    else this.overflow.set(table, (this.overflow.get(table) ?? 0) + field.count);
    if (fields.size) this.tables.set(table, fields);
  }

  private see(table: string, kind: DriftKind, path: string, value: unknown, at: string, extra: Partial<DriftField> = {}): void {
    const type = jsonTypeOf(value);
    const known = this.tables.get(table)?.get(driftKey(kind, path));
    if (known) {
      // The common case, in place: no copy per value.
      known.types[type] = (known.types[type] ?? 0) + 1;
      known.count += 1;
      known.unconverted += extra.unconverted ?? 0;
      if (at > known.lastSeen) known.lastSeen = at;
      return;
    }
    this.put(table, {
      path,
      kind,
      types: { [type]: 1 },
      count: 1,
      unconverted: 0,
      firstSeen: at,
      lastSeen: at,
      example: this.example(path, value),
      ...extra,
    });
  }

  /** Counts the drift of one accepted record: its fields no column took, and its mistyped columns. */
  observe(table: TableDef, record: JsonRecord, seen: RowSeen, at: string): void {
    // An unconverted value is in RawData too, but counted once: as its column's.
    const unconverted = new Set(seen.mistyped.filter((m) => !m.converted).map((m) => m.path));
    const walk = (obj: JsonRecord, prefix: string, depth: number) => {
      for (const [key, value] of Object.entries(obj)) {
        const path = prefix ? `${prefix}.${key}` : key;
        if (seen.consumed.has(path) || path === seen.timePath || unconverted.has(path)) continue;
        if (isObject(value) && depth < MAX_PATH_DEPTH) {
          walk(value, path, depth + 1);
          continue;
        }
        // An empty object is not kept in RawData (rows.ts extras), so it is no drift either.
        if (!(isObject(value) && Object.keys(value).length === 0)) this.see(table.table, 'undeclared', path, value, at);
      }
    };
    walk(record, '', 1);
    for (const m of seen.mistyped) {
      this.see(table.table, 'mistyped', m.path, m.value, at, {
        column: m.column,
        columnType: m.type,
        unconverted: m.converted ? 0 : 1,
      });
    }
  }

  /** Moves everything counted into `into`; this tally is empty afterwards. */
  drainInto(into: DriftTally): void {
    for (const [table, fields] of this.tables) for (const f of fields.values()) into.put(table, f);
    for (const [table, n] of this.overflow) into.overflow.set(table, (into.overflow.get(table) ?? 0) + n);
    this.tables.clear();
    this.overflow.clear();
  }
}

export interface TableDrift {
  table: string;
  /** Most frequent first. */
  fields: DriftField[];
  /** Values of paths beyond the per-table cap (not in `fields`). */
  overflow: number;
}

// --- The fix: typed columns to add --------------------------------------------------------------------------------

export interface ColumnSuggestion {
  table: string;
  column: Column & { from: readonly string[] };
  /** Why, in words: what the drift report counted. */
  reason: string;
}

const typesText = (types: DriftField['types']) =>
  Object.entries(types)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');

/** The column type that holds every value seen, or undefined when only nulls were seen. */
export function typeForValues(types: DriftField['types']): ColumnType | undefined {
  const seen = (Object.keys(types) as JsonType[]).filter((t) => t !== 'null' && (types[t] ?? 0) > 0);
  if (seen.length === 0) return undefined;
  if (seen.every((t) => t === 'integer')) return 'long';
  if (seen.every((t) => t === 'integer' || t === 'number')) return 'real';
  if (seen.length === 1)
    return ({ string: 'string', boolean: 'boolean', object: 'dynamic', array: 'dynamic' } as const)[seen[0] as 'string'];
  return 'dynamic';
}

/** A wider column for values a typed column could not hold: int → long; long (beyond 64 bits) → string. */
const WIDER: Partial<Record<ColumnType, { type: ColumnType; suffix: string }>> = {
  int: { type: 'long', suffix: 'Long' },
  long: { type: 'string', suffix: 'Text' },
};

/** `src_ip.v4` → SrcIpV4: a valid column name (COLUMN_NAME), not reserved and not taken in the table (case-insensitive). */
export function columnNameFor(path: string, taken: Set<string>, suffix = ''): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  let base = words.map((w) => w[0]?.toUpperCase() + w.slice(1)).join('') || 'Field';
  if (!/^[A-Za-z]/.test(base)) base = `Field${base}`;
  base = `${base.slice(0, 45 - suffix.length - 6)}${suffix}`;
  const reserved = new Set(RESERVED_COLUMN_NAMES.map((n) => n.toLowerCase()));
  const free = (n: string) => COLUMN_NAME.test(n) && !reserved.has(n.toLowerCase()) && !taken.has(n.toLowerCase());
  let name = free(base) ? base : `${base}Value`;
  for (let i = 2; !free(name); i++) name = `${base}Value${i}`;
  taken.add(name.toLowerCase());
  return name;
}

/**
 * Typed columns that would take the drift of each table, most frequent first. Paths the table's columns already take
 * (drift counted before the catalog was fixed) and values that already landed in their column (converted) are skipped.
 */
export function suggestColumns(catalog: Catalog, drift: readonly TableDrift[]): ColumnSuggestion[] {
  const out: ColumnSuggestion[] = [];
  for (const { table: name, fields } of drift) {
    const table = catalog.tables.find((t) => t.table === name);
    if (!table) continue;
    const taken = new Set(columnsOf(table).map((c) => c.name.toLowerCase()));
    const columnPaths = new Map(table.columns.flatMap((c) => (c.from ?? []).map((p) => [p, c] as const)));
    for (const f of [...fields].sort((a, b) => b.count - a.count)) {
      if (f.kind === 'undeclared') {
        const type = typeForValues(f.types);
        if (!type || columnPaths.has(f.path)) continue;
        out.push({
          table: name,
          column: {
            name: columnNameFor(f.path, taken),
            type,
            description: `From ${f.path} (added from the schema drift report).`,
            from: [f.path],
          },
          reason: `${f.count} values went to RawData (${typesText(f.types)})`,
        });
      } else if (f.unconverted > 0 && f.columnType) {
        const wider = WIDER[f.columnType];
        // A column of the wider type on the same path already takes these values.
        const covered = table.columns.some((c) => c.type === wider?.type && c.from?.includes(f.path));
        if (!wider || covered) continue;
        out.push({
          table: name,
          column: {
            name: columnNameFor(f.column ?? f.path, taken, wider.suffix),
            type: wider.type,
            description: `From ${f.path}: values beyond the ${f.columnType} column ${f.column} (added from the schema drift report).`,
            from: [f.path],
          },
          reason: `${f.unconverted} values did not fit ${f.column} (${f.columnType}) and were left in RawData, listed in Unconverted`,
        });
      }
    }
  }
  return out;
}

/** Suggestions grouped by table, as `extendCatalog` takes them. */
export const columnsByTable = (suggestions: readonly ColumnSuggestion[]): Map<string, Column[]> => {
  const m = new Map<string, Column[]>();
  for (const s of suggestions) m.set(s.table, [...(m.get(s.table) ?? []), s.column]);
  return m;
};
