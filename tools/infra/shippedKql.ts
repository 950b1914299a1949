// Every KQL text the project ships, as the service that runs it sees it: the analytic rules (infra/generated, from
// infra/sentinel/analytic-rules.json) and the workbook with the tokens infra/modules/sentinel-content.bicep replaces,
// the workbook's parameters expanded as Azure Workbooks expands them, the DCR transforms, and the ```kql / ```kusto
// examples in README.md and docs/*.md.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GENERATED_DIR, REPO_ROOT } from './generate.js';
import type { KqlTable } from './kqlSchema.js';
import { WALLARM_TABLE_TOKEN } from './sentinelRules.js';

export interface ShippedKql {
  /** Where the text comes from, e.g. `rule wallarm-ip-denylisted`, `README.md:530`. */
  readonly name: string;
  readonly text: string;
  /** A DCR transform reads the virtual table `source` (the stream's declared columns), not the workspace. */
  readonly source?: KqlTable;
}

export const WORKBOOK_FILE = path.join(REPO_ROOT, 'infra', 'sentinel', 'workbook.json');

/** The value the Bicep puts in for __INCIDENT_TAG__ (the incidentTag parameter's default). */
const INCIDENT_TAG = 'SentinelBridge';

/**
 * Workbook parameters in KQL, as Azure Workbooks expands them: `{TimeRange}` → `> ago(1d)`, `{TimeRange:grain}` → a
 * timespan, `:start` / `:end` → datetimes. https://learn.microsoft.com/azure/azure-monitor/visualize/workbooks-time
 * Other parameters are left as written, so a new one fails the check until it is added here.
 */
const WORKBOOK_PARAMETERS: readonly [RegExp, string][] = [
  [/\{TimeRange(?::(?:value|query))?\}/g, '> ago(1d)'],
  [/\{TimeRange:grain\}/g, '1h'],
  [/\{TimeRange:(?:start|end)\}/g, 'datetime(2026-01-01T00:00:00Z)'],
  // A text parameter: the query quotes it and converts it (todouble('{PricePerGB}')).
  [/\{PricePerGB\}/g, '1.5'],
];

/** A workbook query as Azure Workbooks runs it: its parameters expanded. */
export const expandWorkbookParameters = (query: string) =>
  WORKBOOK_PARAMETERS.reduce((text, [re, value]) => text.replace(re, value), query);

export interface WorkbookItem {
  name?: string;
  content?: { query?: unknown; items?: WorkbookItem[] };
}

export function workbookQueries(items: readonly WorkbookItem[]): { name: string; query: string }[] {
  return items.flatMap((item) => [
    ...(typeof item.content?.query === 'string' ? [{ name: item.name ?? '(unnamed)', query: item.content.query }] : []),
    ...workbookQueries(item.content?.items ?? []),
  ]);
}

const readJson = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T;

/** Fenced ```kql / ```kusto blocks of a Markdown text, with the line each starts on. */
export function markdownKql(markdown: string): { line: number; text: string }[] {
  const blocks: { line: number; text: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*```\s*(kql|kusto)\s*$/i.test(lines[i] ?? '')) continue;
    const end = lines.findIndex((l, j) => j > i && /^\s*```\s*$/.test(l));
    if (end < 0) break;
    blocks.push({ line: i + 2, text: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** The KQL texts deployed or documented, with the single table named `wallarmTable`. */
export function shippedKql(wallarmTable: string): ShippedKql[] {
  const generated = (file: string) => path.join(GENERATED_DIR, file);
  const rules = readJson<{ rules: { id: string; properties: { query: string } }[] }>(generated('sentinel-rules.json')).rules;
  const tables = readJson<{ tables: { table: string; wallarmSingle: boolean }[] }>(generated('tables.json')).tables;
  const dcrs = readJson<{ rules: { name: string; streams: { table: string; columns: KqlTable['columns']; transformKql: string }[] }[] }>(
    generated('dcrs.json'),
  ).rules;
  const bridgeTables = tables.map((t) => (t.wallarmSingle ? wallarmTable : t.table)).join(', ');
  const workbook = readJson<{ items: WorkbookItem[] }>(WORKBOOK_FILE);

  const docsDir = path.join(REPO_ROOT, 'docs');
  const docs = ['README.md', ...(existsSync(docsDir) ? readdirSync(docsDir).map((f) => `docs/${f}`) : [])]
    .filter((f) => f.endsWith('.md'))
    .flatMap((f) => markdownKql(readFileSync(path.join(REPO_ROOT, f), 'utf8')).map((b) => ({ name: `${f}:${b.line}`, text: b.text })));

  return [
    ...rules.map((r) => ({ name: `rule ${r.id}`, text: r.properties.query.replaceAll(WALLARM_TABLE_TOKEN, wallarmTable) })),
    ...workbookQueries(workbook.items).map((q) => ({
      name: `workbook ${q.name}`,
      text: expandWorkbookParameters(q.query.replaceAll('__BRIDGE_TABLES__', bridgeTables).replaceAll('__INCIDENT_TAG__', INCIDENT_TAG)),
    })),
    ...dcrs.flatMap((r) =>
      r.streams.map((s) => ({
        name: `dcr ${r.name} ${s.table}`,
        text: s.transformKql,
        source: { name: 'source', columns: s.columns },
      })),
    ),
    ...docs,
  ];
}
