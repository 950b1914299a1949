// `npm run tables:migrate -- --subscription … --resource-group … --workspace … [--wallarm-table …] [--yes]` — and the
// azd preprovision hook: finds the tables the Bicep is about to manage that are still classic (Data Collector API) tables
// in an existing workspace, reports them, and migrates them to DCR-based tables when the user agrees.
//
// Why: the Bicep PUTs a DCR-based schema on new_hits_CL …; on a classic table that needs Tables - Migrate first
// (POST …/tables/{t}/migrate, learn.microsoft.com/rest/api/loganalytics/tables/migrate). The migration is one-way ("Not
// possible to roll back a migrated table"), keeps the table and its data, and lets the Data Collector API keep writing to
// existing columns (learn.microsoft.com/azure/azure-monitor/logs/custom-logs-migrate). So it never runs silently: --yes,
// or a yes at the prompt on a terminal; otherwise the report and exit code 2.
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { OperationalInsightsManagementClient, type Table } from '@azure/arm-operationalinsights';
import type { TokenCredential } from '@azure/core-auth';
import { createCredential } from '../../shared/azure/credential.js';
import { cloudEndpoints } from '../../shared/clouds.js';
import { type CatalogView, catalogView } from '../infra/catalogView.js';
import { TABLE_TYPE } from '../infra/generate.js';

export interface ManagedColumn {
  readonly name: string;
  /** Tables API type (string, dateTime, dynamic, …). */
  readonly type: string;
}

export interface ManagedTable {
  readonly name: string;
  readonly columns: readonly ManagedColumn[];
}

/**
 * The tables infra/modules/ingestion.bicep creates: every catalog table, the Wallarm single table named `wallarmTable` in
 * single mode (the Bicep's wallarmTableName), with the column types of infra/generated/tables.json.
 */
export function managedTables(view: CatalogView, wallarmTable?: string): ManagedTable[] {
  return view.tables.map((t) => ({
    name: t.wallarmSingle && wallarmTable ? wallarmTable : t.table,
    columns: t.columns.map((c) => ({ name: c.name, type: TABLE_TYPE[c.type] })),
  }));
}

export interface ColumnChange {
  readonly column: string;
  readonly classicType: string;
  /** `dropped`: the Bicep's PUT lists only our columns, and a PUT deletes the columns it leaves out. `retyped`: same name,
   * another type, which Log Analytics refuses ("You can't reuse a column name with a data type that's different"). */
  readonly change: 'dropped' | 'retyped';
  readonly ourType?: string;
}

export interface ClassicTable {
  readonly name: string;
  readonly subType: string;
  readonly retentionInDays: number | undefined;
  readonly totalRetentionInDays: number | undefined;
  /** Custom columns the classic table holds (the Data Collector API's `_s`, `_d`, `_b`, `_t`, `_g` columns). */
  readonly columnCount: number;
  readonly changes: readonly ColumnChange[];
}

/** The tables we manage that the workspace holds as classic tables, with what our schema would change in each. */
export function classicTablesToMigrate(workspace: readonly Table[], managed: readonly ManagedTable[]): ClassicTable[] {
  const ours = new Map(managed.map((t) => [t.name.toLowerCase(), t]));
  const found: ClassicTable[] = [];
  for (const table of workspace) {
    const name = table.name ?? table.schema?.name;
    const mine = name === undefined ? undefined : ours.get(name.toLowerCase());
    if (!name || !mine || table.schema?.tableSubType !== 'Classic') continue;
    const ourColumns = new Map(mine.columns.map((c) => [c.name.toLowerCase(), c]));
    const changes: ColumnChange[] = [];
    for (const c of table.schema.columns ?? []) {
      if (!c.name) continue;
      const our = ourColumns.get(c.name.toLowerCase());
      if (!our) changes.push({ column: c.name, classicType: c.type ?? 'unknown', change: 'dropped' });
      else if (our.type !== c.type)
        changes.push({ column: c.name, classicType: c.type ?? 'unknown', change: 'retyped', ourType: our.type });
    }
    // Standard columns stay the system's; only those our schema declares again can clash (RawData: string in a classic table).
    for (const c of table.schema.standardColumns ?? []) {
      const our = c.name ? ourColumns.get(c.name.toLowerCase()) : undefined;
      if (c.name && our && our.type !== c.type)
        changes.push({ column: c.name, classicType: c.type ?? 'unknown', change: 'retyped', ourType: our.type });
    }
    found.push({
      name,
      subType: table.schema.tableSubType,
      retentionInDays: table.retentionInDays,
      totalRetentionInDays: table.totalRetentionInDays,
      columnCount: table.schema.columns?.length ?? 0,
      changes,
    });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** What the tool needs from the Tables API of one workspace. */
export interface WorkspaceTables {
  list(): Promise<Table[]>;
  get(name: string): Promise<Table>;
  migrate(name: string): Promise<void>;
}

export interface TablesClientOptions {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  credential: TokenCredential;
  /** ARM endpoint (default https://management.azure.com); the tests point it at the emulator. */
  endpoint?: string;
  /** Extra CA (PEM) to trust, for the emulator. */
  ca?: string;
}

export function workspaceTables(options: TablesClientOptions): WorkspaceTables {
  const client = new OperationalInsightsManagementClient(options.credential, options.subscriptionId, {
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.ca ? { tlsOptions: { ca: options.ca } } : {}),
  });
  const { resourceGroup: rg, workspace: ws } = options;
  return {
    async list() {
      const tables: Table[] = [];
      for await (const t of client.tables.listByWorkspace(rg, ws)) tables.push(t);
      return tables;
    },
    get: (name) => client.tables.get(rg, ws, name),
    migrate: (name) => client.tables.migrate(rg, ws, name),
  };
}

export function formatReport(tables: readonly ClassicTable[]): string {
  const lines = tables.map((t) => {
    const retention = `retention ${t.retentionInDays ?? '?'} d (total ${t.totalRetentionInDays ?? '?'} d)`;
    const head = `  ${t.name}  ${t.subType}, ${retention}, ${t.columnCount} custom columns`;
    const changes = t.changes.map((c) =>
      c.change === 'dropped'
        ? `      ${c.column} (${c.classicType}): not in our schema, removed from the table by the deployment's schema`
        : `      ${c.column}: ${c.classicType} in the classic table, ${c.ourType} in ours (a column's type cannot change)`,
    );
    return [head, ...changes].join('\n');
  });
  return lines.join('\n');
}

export type Consent = (question: string) => Promise<boolean>;

export interface MigrationResult {
  /** 0: nothing classic, or everything migrated; 2: classic tables found and left as they are (no consent). */
  exitCode: 0 | 2;
  classic: ClassicTable[];
  migrated: string[];
}

/** Lists, reports, and migrates only with consent. `consent` undefined means nobody can be asked (CI, no terminal). */
export async function migrateClassicTables(
  api: WorkspaceTables,
  managed: readonly ManagedTable[],
  consent: Consent | undefined,
  log: (line: string) => void,
): Promise<MigrationResult> {
  const classic = classicTablesToMigrate(await api.list(), managed);
  if (classic.length === 0) {
    log('No classic (Data Collector API) tables among the tables Sentinel Bridge manages: nothing to migrate.');
    return { exitCode: 0, classic, migrated: [] };
  }
  log(`${classic.length} of the tables Sentinel Bridge manages are classic (Data Collector API) tables:`);
  log(formatReport(classic));
  log(
    'Migrating makes them DCR-based (one-way; the rows stay, the Data Collector API keeps writing to existing columns). ' +
      'Columns marked above change when the deployment then applies our schema.',
  );
  const question = `Migrate these ${classic.length} tables now?`;
  if (!consent || !(await consent(question))) {
    log(
      consent
        ? 'Not migrated. The deployment would fail on these tables until they are migrated.'
        : 'Not migrated: nobody to ask (no terminal). Run again with --yes (npm run tables:migrate -- … --yes), or set ' +
            'SENTINEL_BRIDGE_MIGRATE_CLASSIC_TABLES=true for the azd hook (azd env set SENTINEL_BRIDGE_MIGRATE_CLASSIC_TABLES true).',
    );
    return { exitCode: 2, classic, migrated: [] };
  }
  const migrated: string[] = [];
  for (const t of classic) {
    await api.migrate(t.name);
    const after = await api.get(t.name);
    if (after.schema?.tableSubType === 'Classic') throw new Error(`${t.name} is still classic after Tables - Migrate answered OK`);
    migrated.push(t.name);
    log(`  migrated ${t.name} → ${after.schema?.tableSubType ?? 'DCR-based'}`);
  }
  return { exitCode: 0, classic, migrated };
}

/** The workspace a resource id names (/subscriptions/{s}/resourceGroups/{rg}/providers/…/workspaces/{ws}). */
export function parseWorkspaceId(id: string): { subscriptionId: string; resourceGroup: string; workspace: string } {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.OperationalInsights\/workspaces\/([^/]+)\/?$/i.exec(
    id.trim(),
  );
  if (!m)
    throw new UsageError(
      `--workspace-id "${id}" is not a Log Analytics workspace resource id (/subscriptions/…/resourceGroups/…/providers/Microsoft.OperationalInsights/workspaces/…)`,
    );
  return { subscriptionId: m[1] as string, resourceGroup: m[2] as string, workspace: m[3] as string };
}

export class UsageError extends Error {}

const USAGE = `usage: npm run tables:migrate -- --subscription <id> --resource-group <name> --workspace <name> [--wallarm-table <name>] [--yes]
       npm run tables:migrate -- --workspace-id <resource id> [--wallarm-table-mode perType|single --wallarm-table <name>] [--yes]`;

export interface CliDependencies {
  credential?: TokenCredential;
  endpoint?: string;
  ca?: string;
  /** Asks the user; undefined when stdin/stdout are not a terminal. */
  consent?: Consent;
  log?: (line: string) => void;
  view?: CatalogView;
}

/** The CLI; returns the exit code (1: usage or API error). */
export async function main(argv: string[], deps: CliDependencies = {}): Promise<number> {
  const log = deps.log ?? ((line: string) => console.log(line));
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        subscription: { type: 'string' },
        'resource-group': { type: 'string' },
        workspace: { type: 'string' },
        'workspace-id': { type: 'string' },
        'wallarm-table': { type: 'string' },
        'wallarm-table-mode': { type: 'string' },
        yes: { type: 'boolean', default: false },
        // The azd hook passes SENTINEL_BRIDGE_MIGRATE_CLASSIC_TABLES as is: true means --yes, anything else asks.
        'yes-if': { type: 'string' },
      },
      strict: true,
    });
    if (values['workspace-id'] !== undefined && values['workspace-id'].trim() === '') {
      log(
        'No existing workspace configured (SENTINEL_BRIDGE_WORKSPACE_ID is empty): the deployment creates a new one, nothing to migrate.',
      );
      return 0;
    }
    const target = values['workspace-id']
      ? parseWorkspaceId(values['workspace-id'])
      : { subscriptionId: values.subscription, resourceGroup: values['resource-group'], workspace: values.workspace };
    if (!target.subscriptionId || !target.resourceGroup || !target.workspace)
      throw new UsageError('--subscription, --resource-group and --workspace are required');
    const mode = values['wallarm-table-mode'];
    if (mode !== undefined && mode !== 'perType' && mode !== 'single')
      throw new UsageError(`--wallarm-table-mode is perType or single, not "${mode}"`);
    // As infra/main.bicep: the wallarmTable name applies in single mode only.
    const wallarmTable = mode === 'perType' ? undefined : values['wallarm-table'] || undefined;
    if (wallarmTable !== undefined && !/^[A-Za-z][A-Za-z0-9_]{0,59}_CL$/.test(wallarmTable))
      throw new UsageError(`--wallarm-table "${wallarmTable}": letters, digits and _, ending in _CL`);
    const yes = values.yes || values['yes-if']?.trim().toLowerCase() === 'true';
    const api = workspaceTables({
      subscriptionId: target.subscriptionId,
      resourceGroup: target.resourceGroup,
      workspace: target.workspace,
      credential: deps.credential ?? createCredential({ BRIDGE_CREDENTIAL: 'default', cloud: cloudEndpoints('public') }),
      ...(deps.endpoint ? { endpoint: deps.endpoint } : {}),
      ...(deps.ca ? { ca: deps.ca } : {}),
    });
    log(`Workspace ${target.workspace} (resource group ${target.resourceGroup}, subscription ${target.subscriptionId}):`);
    const consent: Consent | undefined = yes ? async () => true : deps.consent;
    const result = await migrateClassicTables(api, managedTables(deps.view ?? catalogView(), wallarmTable), consent, log);
    return result.exitCode;
  } catch (e) {
    if (e instanceof UsageError || String((e as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_')) {
      log(`${(e as Error).message}\n${USAGE}`);
      return 1;
    }
    const status = (e as { statusCode?: number }).statusCode;
    log(`Tables API call failed${status ? ` (${status})` : ''}: ${(e as Error).message}`);
    if (status === 403)
      log(
        'Listing needs Microsoft.OperationalInsights/workspaces/tables/read, migrating …/tables/migrate/action (e.g. Log Analytics Contributor).',
      );
    return 1;
  }
}

async function terminalConsent(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  process.exitCode = await main(process.argv.slice(2), interactive ? { consent: terminalConsent } : {});
}
