// What the infrastructure needs from the event catalog: every table once, with its declared columns, the source it
// belongs to, and whether it is the Wallarm single table (whose name is a deployment parameter).
import { buildCatalog } from '../../shared/catalog/index.js';
import { COLUMN_NAME, columnsOf, RESERVED_COLUMN_NAMES, streamOf } from '../../shared/catalog/tables.js';
import type { ColumnType, TableDef } from '../../shared/catalog/types.js';

export interface ViewColumn {
  readonly name: string;
  readonly type: ColumnType;
  readonly description: string;
}

export interface ViewTable {
  readonly table: string;
  readonly stream: string;
  readonly description: string;
  /** Source that owns the table (wallarm, mcas, generic), or `bridge` for the bridge's own health table. */
  readonly source: string;
  /** The Wallarm single table: the Bicep names it after the `wallarmTable` parameter in single-table mode. */
  readonly wallarmSingle: boolean;
  readonly columns: readonly ViewColumn[];
  /** Event types that land in this table (by the catalog's default, per-type mode). */
  readonly types: readonly string[];
}

export interface CatalogView {
  readonly tables: readonly ViewTable[];
  /** Wallarm type name → table, in the default (per-type) mode. */
  readonly wallarmTypes: ReadonlyMap<string, string>;
}

/** Log Analytics keeps at most 500 columns per table. */
export const MAX_COLUMNS_PER_TABLE = 500;

/** The catalog as the infrastructure sees it, in catalog order (sources in order, then the bridge's own table). */
export function catalogView(build: typeof buildCatalog = buildCatalog): CatalogView {
  const catalog = build();
  const owner = new Map<string, { def: TableDef; source: string; types: string[] }>();
  const claim = (def: TableDef, source: string, type?: string) => {
    const entry = owner.get(def.table) ?? { def, source, types: [] };
    if (type !== undefined && !entry.types.includes(type)) entry.types.push(type);
    owner.set(def.table, entry);
  };
  for (const source of catalog.sources) {
    for (const t of source.types) claim(t.table, source.name, t.type);
    if (source.fallback) claim(source.fallback(undefined).table, source.name);
  }
  for (const def of catalog.tables) claim(def, 'bridge');

  const wallarm = catalog.source('wallarm');
  const single = wallarm?.fallback?.(undefined).table.table;
  const wallarmTypes = new Map((wallarm?.types ?? []).map((t) => [t.type, t.table.table]));

  const tables = catalog.tables.map((def): ViewTable => {
    const entry = owner.get(def.table);
    return {
      table: def.table,
      stream: streamOf(def.table),
      description: def.description,
      source: entry?.source ?? 'bridge',
      wallarmSingle: def.table === single,
      columns: columnsOf(def).map((c) => ({ name: c.name, type: c.type, description: c.description })),
      types: entry?.types ?? [],
    };
  });
  return { tables, wallarmTypes };
}

/** Problems that would make Azure reject a table or its stream declaration. Empty when the view is deployable. */
export function tableProblems(view: CatalogView): string[] {
  const problems: string[] = [];
  const reserved = new Set<string>(RESERVED_COLUMN_NAMES);
  const names = new Set<string>();
  for (const t of view.tables) {
    if (!/^[A-Za-z][A-Za-z0-9_]{0,59}_CL$/.test(t.table))
      problems.push(`${t.table}: a custom table name is letters, digits and _, ending in _CL (≤ 63 characters)`);
    if (names.has(t.table)) problems.push(`${t.table}: declared twice`);
    names.add(t.table);
    if (t.columns.length > MAX_COLUMNS_PER_TABLE)
      problems.push(`${t.table}: ${t.columns.length} columns, Log Analytics allows ${MAX_COLUMNS_PER_TABLE}`);
    const time = t.columns.find((c) => c.name === 'TimeGenerated');
    if (time?.type !== 'datetime') problems.push(`${t.table}: needs a TimeGenerated column of type datetime`);
    const seen = new Set<string>();
    for (const c of t.columns) {
      if (!COLUMN_NAME.test(c.name)) problems.push(`${t.table}.${c.name}: column names are ^[A-Za-z][A-Za-z0-9_]*$, ≤ 45 characters`);
      if (reserved.has(c.name)) problems.push(`${t.table}.${c.name}: reserved column name`);
      if (seen.has(c.name.toLowerCase())) problems.push(`${t.table}.${c.name}: declared twice`);
      seen.add(c.name.toLowerCase());
    }
  }
  if (view.tables.filter((t) => t.wallarmSingle).length > 1) problems.push('more than one table is marked as the Wallarm single table');
  return problems;
}
