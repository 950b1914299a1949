// `npm run catalog:suggest [-- --table <name>] [--from <file>] [--json]` — the catalog change that gives the fields of
// the schema drift report typed columns, and what `npm run infra:generate` would then change in the tables and DCRs.
// The drift is read from Table Storage with the settings `npm start` uses (local.settings.json, the shell wins), or
// from a file holding the answer of GET /api/schema/drift (`--from`). Nothing is written: apply the change by hand.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ColumnSuggestion, columnsByTable, suggestColumns, type TableDrift } from '../../shared/catalog/drift.js';
import { buildCatalog, type Catalog, extendCatalog } from '../../shared/catalog/index.js';
import { catalogView } from '../infra/catalogView.js';
import { buildGenerated, type GeneratedContent, readRuleTemplates, STORAGE_NAMES } from '../infra/generate.js';

interface GeneratedColumn {
  name: string;
  type: string;
}
interface GeneratedTables {
  tables: { table: string; columns: GeneratedColumn[] }[];
}
interface GeneratedDcrs {
  rules: { name: string; streams: { table: string; columns: GeneratedColumn[]; transformKql: string }[] }[];
}

/** Column changes between two column lists: `+ Name (type)`, `- Name (type)`, `~ Name (old → new)`. */
function columnChanges(before: readonly GeneratedColumn[], after: readonly GeneratedColumn[]): string[] {
  const old = new Map(before.map((c) => [c.name, c.type]));
  const now = new Map(after.map((c) => [c.name, c.type]));
  return [
    ...after.filter((c) => !old.has(c.name)).map((c) => `+ ${c.name} (${c.type})`),
    ...before.filter((c) => !now.has(c.name)).map((c) => `- ${c.name} (${c.type})`),
    ...after.filter((c) => old.has(c.name) && old.get(c.name) !== c.type).map((c) => `~ ${c.name} (${old.get(c.name)} → ${c.type})`),
  ];
}

/** What changes in infra/generated tables.json and dcrs.json from `before` to `after`, one line per table or stream. */
export function infraDiff(before: GeneratedContent, after: GeneratedContent): string[] {
  const lines: string[] = [];
  const tablesBefore = new Map((before['tables.json'] as GeneratedTables).tables.map((t) => [t.table, t]));
  for (const t of (after['tables.json'] as GeneratedTables).tables) {
    const changes = columnChanges(tablesBefore.get(t.table)?.columns ?? [], t.columns);
    if (changes.length) lines.push(`tables.json  ${t.table}: ${changes.join(', ')}`);
  }
  const streamsBefore = new Map(
    (before['dcrs.json'] as GeneratedDcrs).rules.flatMap((r) => r.streams.map((s) => [`${r.name}/${s.table}`, s] as const)),
  );
  for (const r of (after['dcrs.json'] as GeneratedDcrs).rules) {
    for (const s of r.streams) {
      const was = streamsBefore.get(`${r.name}/${s.table}`);
      const changes = columnChanges(was?.columns ?? [], s.columns);
      if (was && was.transformKql !== s.transformKql) changes.push(`transformKql: ${s.transformKql}`);
      if (changes.length) lines.push(`dcrs.json    rule ${r.name}, stream Custom-${s.table}: ${changes.join(', ')}`);
    }
  }
  return lines;
}

export interface CatalogChange {
  suggestions: ColumnSuggestion[];
  /** The catalog with the suggested columns: what the next records are validated against once it is applied. */
  catalog: Catalog;
  /** What `npm run infra:generate` would change (tables.json, dcrs.json). */
  diff: string[];
}

/** The suggested change for `drift`, on the catalog the generator reads (buildCatalog's defaults). */
export function planChange(drift: readonly TableDrift[], build: () => Catalog = () => buildCatalog()): CatalogChange {
  const base = build();
  const suggestions = suggestColumns(base, drift);
  const catalog = extendCatalog(base, columnsByTable(suggestions));
  const templates = readRuleTemplates();
  const generated = (b: () => Catalog) => buildGenerated(catalogView(b), STORAGE_NAMES, templates);
  return {
    suggestions,
    catalog,
    diff: suggestions.length
      ? infraDiff(
          generated(build),
          generated(() => catalog),
        )
      : [],
  };
}

const quote = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

/** The report as text: the drift, the columns to paste into the catalog module, and the infra diff. */
export function renderChange(drift: readonly TableDrift[], change: CatalogChange): string {
  const out: string[] = [];
  const sources = new Map(catalogView(() => change.catalog).tables.map((t) => [t.table, t.source]));
  out.push('Schema drift');
  if (drift.length === 0) out.push('  none: every field of every record landed in a typed column of its own type');
  for (const d of drift) {
    out.push(`  ${d.table}: ${d.fields.length} fields${d.overflow ? `, ${d.overflow} values of further paths not tracked` : ''}`);
    for (const f of d.fields) {
      const what =
        f.kind === 'undeclared' ? 'to RawData' : `${f.column} (${f.columnType})${f.unconverted ? `, ${f.unconverted} unconverted` : ''}`;
      const types = Object.entries(f.types)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ');
      out.push(`    ${f.path}: ${f.count} ${what} [${types}] ${f.firstSeen} … ${f.lastSeen}, e.g. ${f.example}`);
    }
  }
  out.push('', 'Catalog change');
  if (change.suggestions.length === 0) out.push('  nothing to add');
  for (const [table, columns] of columnsByTable(change.suggestions)) {
    out.push(`  ${table}: add to its columns in shared/catalog/${sources.get(table) ?? '<source>'}.ts`);
    for (const c of columns) {
      const reason = change.suggestions.find((s) => s.column === c)?.reason ?? '';
      out.push(
        `    { name: ${quote(c.name)}, type: ${quote(c.type)}, description: ${quote(c.description)}, from: [${(c.from ?? []).map(quote).join(', ')}] }, // ${reason}`,
      );
    }
  }
  out.push('', 'Then npm run infra:generate changes');
  out.push(...(change.diff.length ? change.diff.map((l) => `  ${l}`) : ['  nothing']));
  if (change.diff.length) out.push('', 'and azd provision deploys the tables and DCRs (columns are added; existing data is kept).');
  return out.join('\n');
}

/** Drift from a file: the answer of GET /api/schema/drift (`{tables: [...]}`) or its `tables` array. */
export function readDriftFile(file: string): TableDrift[] {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { tables?: TableDrift[] } | TableDrift[];
  const tables = Array.isArray(parsed) ? parsed : parsed.tables;
  if (!Array.isArray(tables)) throw new Error(`${file}: expected the answer of GET /api/schema/drift ({"tables": [...]})`);
  return tables;
}

/** Drift from Table Storage, with the settings npm start uses. */
async function readDriftFromStorage(table: string | undefined): Promise<TableDrift[]> {
  const { applySettings, localSettingsValues } = await import('../dev/settings.js');
  applySettings(localSettingsValues().values);
  const { loadConfig } = await import('../../shared/config.js');
  const { createApp } = await import('../../shared/app.js');
  const app = createApp(loadConfig(process.env), { log: (await import('pino')).pino({ level: 'silent' }) });
  return app.reliability.usage.drift(table);
}

async function main(argv: string[]): Promise<number> {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const table = arg('--table');
  const from = arg('--from');
  const drift = (from ? readDriftFile(from) : await readDriftFromStorage(table)).filter((d) => !table || d.table === table);
  const change = planChange(drift);
  if (argv.includes('--json')) {
    console.log(JSON.stringify({ drift, columns: change.suggestions, diff: change.diff }, null, 2));
  } else console.log(renderChange(drift, change));
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: Error) => {
      console.error(e.name === 'ConfigError' ? e.message : (e.stack ?? e.message));
      process.exitCode = 1;
    },
  );
}
