// The catalog: every source, event type and table. The single source of truth for validation, normalization,
// the emulator's declared columns, the DCR stream declarations and the Bicep tables.
import { HEALTH_TABLE } from './bridge.js';
import { genericSource } from './generic.js';
import { mcasSource } from './mcas.js';
import { columnTypesOf, streamOf } from './tables.js';
import type { Column, ColumnType, EventType, JsonRecord, Source, TableDef } from './types.js';
import { wallarmSource } from './wallarm.js';

export interface CatalogOptions {
  /** Single-table mode for Wallarm (WALLARM_TABLE). */
  wallarmTable?: string | undefined;
}

export interface Catalog {
  readonly sources: readonly Source[];
  /** Every table records can land in, each once, including the bridge's own health table. */
  readonly tables: readonly TableDef[];
  source(name: string): Source | undefined;
  /** The event type of a record, or undefined when the source knows no such type and has no fallback. */
  resolve(source: Source, record: JsonRecord, hint: string | undefined): EventType | undefined;
  /** The table behind a stream name (`Custom-<table>`). */
  tableOfStream(stream: string): TableDef | undefined;
  /** A table's declared columns by name, with their types (the common ones included). */
  columnTypes(table: TableDef): ReadonlyMap<string, ColumnType>;
  /**
   * The event type a legacy `Log-Type` names, across sources (`new_hits` → Wallarm new_hits). A Log-Type naming a
   * table several types share (Wallarm's single table) gives the source only: each record is classified on its own.
   */
  typeForLogType(logType: string): { source: Source; type?: EventType } | undefined;
}

export function buildCatalog(options: CatalogOptions = {}): Catalog {
  return catalogOf([wallarmSource(options), mcasSource, genericSource]);
}

/**
 * The catalog with more typed columns on some tables (table name → columns appended): what a catalog change
 * suggested by the schema drift report (shared/catalog/drift.ts) gives once applied.
 */
export function extendCatalog(base: Catalog, add: ReadonlyMap<string, readonly Column[]>): Catalog {
  const extended = new Map<string, TableDef>();
  const ext = (t: TableDef): TableDef => {
    const more = add.get(t.table);
    if (!more?.length) return t;
    const e = extended.get(t.table) ?? { ...t, columns: [...t.columns, ...more] };
    extended.set(t.table, e);
    return e;
  };
  const extType = (t: EventType): EventType => ({ ...t, table: ext(t.table) });
  return catalogOf(
    base.sources.map((s) => {
      const fallback = s.fallback;
      return {
        ...s,
        types: s.types.map(extType),
        ...(fallback ? { fallback: (name: string | undefined) => extType(fallback(name)) } : {}),
      };
    }),
  );
}

function catalogOf(sources: readonly Source[]): Catalog {
  const tables = new Map<string, TableDef>();
  const add = (t: TableDef) => tables.set(t.table, tables.get(t.table) ?? t);
  for (const s of sources) {
    for (const t of s.types) add(t.table);
    if (s.fallback) add(s.fallback(undefined).table);
  }
  add(HEALTH_TABLE);
  const byStream = new Map([...tables.values()].map((t) => [streamOf(t.table), t]));
  const columnTypes = new Map([...tables.values()].map((t) => [t.table, columnTypesOf(t)]));

  return {
    sources,
    tables: [...tables.values()],
    source: (name) => sources.find((s) => s.name === name.toLowerCase()),
    resolve(source, record, hint) {
      const name = source.classify(record, hint);
      return source.types.find((t) => t.type === name) ?? source.fallback?.(name);
    },
    tableOfStream: (stream) => byStream.get(stream),
    columnTypes: (table) => columnTypes.get(table.table) ?? columnTypesOf(table),
    typeForLogType(logType) {
      const base = logType.replace(/_CL$/, '');
      for (const source of sources) {
        const named = source.types.find((x) => x.type === base);
        if (named) return { source, type: named };
        const byTable = source.types.filter((x) => x.table.table === `${base}_CL`);
        if (byTable.length === 1) return { source, type: byTable[0] };
        if (byTable.length > 1 || source.fallback?.(undefined).table.table === `${base}_CL`) return { source };
      }
      return undefined;
    },
  };
}
