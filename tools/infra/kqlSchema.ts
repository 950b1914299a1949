// The Log Analytics schema our KQL runs against, as plain data: the catalog's tables in a Wallarm table mode, each with
// Log Analytics' standard columns, plus Microsoft Sentinel's SecurityIncident and SecurityAlert (kqlTables.json, copied
// from Microsoft's reference; see kqlTables.json.source). tools/infra/kql.ts checks a query against it.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { buildCatalog, type CatalogOptions } from '../../shared/catalog/index.js';
import { columnsOf } from '../../shared/catalog/tables.js';
import type { ColumnType } from '../../shared/catalog/types.js';
import { WALLARM_DEFAULT_TABLE } from '../../shared/catalog/wallarm.js';

export interface KqlColumn {
  readonly name: string;
  readonly type: ColumnType;
}

export interface KqlTable {
  readonly name: string;
  readonly columns: readonly KqlColumn[];
}

export interface KqlSchema {
  readonly tables: readonly KqlTable[];
}

/** A Wallarm table mode: per-type tables (the default), or one table (`WALLARM_TABLE`). */
export interface WallarmMode {
  readonly name: 'perType' | 'single';
  /** The single table's name (the deployment's wallarmTable / WALLARM_TABLE). */
  readonly wallarmTable: string;
  readonly catalog: CatalogOptions;
}

export const PER_TYPE_MODE: WallarmMode = { name: 'perType', wallarmTable: WALLARM_DEFAULT_TABLE, catalog: {} };
export const SINGLE_MODE: WallarmMode = {
  name: 'single',
  wallarmTable: WALLARM_DEFAULT_TABLE,
  catalog: { wallarmTable: WALLARM_DEFAULT_TABLE },
};
export const WALLARM_MODES: readonly WallarmMode[] = [PER_TYPE_MODE, SINGLE_MODE];

// Microsoft's reference writes `bool`; the catalog's name for it is `boolean`.
const columnType = z
  .enum(['string', 'int', 'long', 'real', 'bool', 'boolean', 'datetime', 'dynamic', 'guid'])
  .transform((t): ColumnType => (t === 'bool' ? 'boolean' : t));
const column = z.object({ name: z.string().min(1), type: columnType });
const logAnalyticsTables = z.object({
  standardColumns: z.array(column),
  tables: z.array(z.object({ name: z.string().min(1), columns: z.array(column) })),
});

export type LogAnalyticsTables = z.output<typeof logAnalyticsTables>;

export const LOG_ANALYTICS_TABLES_FILE = new URL('./kqlTables.json', import.meta.url);

export function readLogAnalyticsTables(file: URL = LOG_ANALYTICS_TABLES_FILE): LogAnalyticsTables {
  return logAnalyticsTables.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/** The columns of a table plus the standard columns it does not declare itself. */
export function withStandardColumns(columns: readonly KqlColumn[], standard: readonly KqlColumn[]): KqlColumn[] {
  const own = new Set(columns.map((c) => c.name.toLowerCase()));
  return [...columns, ...standard.filter((c) => !own.has(c.name.toLowerCase()))];
}

/**
 * The tables the bridge writes in one Wallarm table mode (per-type: every legacy table and the single table for the
 * types without one; single: the single table only), with their declared columns and the standard ones, and the
 * Sentinel tables.
 */
export function workspaceSchema(mode: WallarmMode, la: LogAnalyticsTables = readLogAnalyticsTables()): KqlSchema {
  const catalogTables = buildCatalog(mode.catalog).tables.map((t) => ({
    name: t.table,
    columns: withStandardColumns(
      columnsOf(t).map((c) => ({ name: c.name, type: c.type })),
      la.standardColumns,
    ),
  }));
  const sentinel = la.tables.map((t) => ({ name: t.name, columns: withStandardColumns(t.columns, la.standardColumns) }));
  return { tables: [...catalogTables, ...sentinel] };
}
