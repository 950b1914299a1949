// Log Analytics workspace tables emulator: the Tables operations of Microsoft.OperationalInsights that the classic-table
// migration uses, over HTTPS. Contract: azure-rest-api-specs
// specification/operationalinsights/resource-manager/Microsoft.OperationalInsights/stable/2022-10-01/Tables.json.
//
//   GET  …/workspaces/{ws}/tables                 {value:[…]}: the spec's x-ms-pageable has nextLinkName null, so one page
//   GET  …/workspaces/{ws}/tables/{t}             one table (404 when absent)
//   PUT  …/workspaces/{ws}/tables/{t}             create/replace the schema (200 with the table); a classic table is refused
//   POST …/workspaces/{ws}/tables/{t}/migrate     classic → DataCollectionRuleBased, 200 with no body; "idempotent, so it
//                                                 has no effect if the table has already been converted" and the data stays
//                                                 (learn.microsoft.com/azure/azure-monitor/logs/custom-logs-migrate)
// `Authorization: Bearer …` (401) and `api-version` (400) are required, as in ARM. tableType, tableSubType, standardColumns,
// provisioningState and archiveRetentionInDays are read-only (the spec's readOnly), so a PUT never sets them.
//
// Inspection: POST /_emulator/tables {workspace, tables:[{name, subType, tableType?, columns, rowCount?, retentionInDays?}]}
// seeds a workspace; GET /_emulator/tables lists every table with its row count; DELETE /_emulator/tables empties it.

import { armError, armPreflight } from './arm.js';
import { type EmulatorRequest, type Reply, type RunningEmulator, reply, startEmulator } from './server.js';
import type { EmulatorTls } from './tls.js';

export type TableSubType = 'Any' | 'Classic' | 'DataCollectionRuleBased';
export type TableType = 'Microsoft' | 'CustomLog' | 'RestoredLogs' | 'SearchResults';

export interface TableColumn {
  name: string;
  type: string;
  description?: string;
}

export interface SeedTable {
  name: string;
  subType: TableSubType;
  tableType?: TableType;
  columns?: TableColumn[];
  /** Rows the table holds: a migration keeps them, so the test can see the data survive. */
  rowCount?: number;
  retentionInDays?: number;
}

export interface SeedWorkspace {
  subscriptionId: string;
  resourceGroup: string;
  workspaceName: string;
}

export interface WorkspaceTablesEmulatorOptions {
  port: number;
  tls?: EmulatorTls;
  host?: string;
  /** Workspace retention: a table without its own retention reports this one (retentionInDaysAsDefault). */
  workspaceRetentionInDays?: number;
}

interface StoredTable {
  name: string;
  subType: TableSubType;
  tableType: TableType;
  columns: TableColumn[];
  rowCount: number;
  retentionInDays?: number;
  totalRetentionInDays?: number;
}

/** Column types of the spec's ColumnTypeEnum. */
const COLUMN_TYPES = new Set(['string', 'int', 'long', 'real', 'boolean', 'dateTime', 'guid', 'dynamic']);

/** The standard columns the spec's examples show on a classic custom table. */
const CLASSIC_STANDARD_COLUMNS: TableColumn[] = [
  { name: 'TenantId', type: 'guid' },
  { name: 'SourceSystem', type: 'string' },
  { name: 'MG', type: 'guid' },
  { name: 'ManagementGroupName', type: 'string' },
  { name: 'TimeGenerated', type: 'dateTime' },
  { name: 'Computer', type: 'string' },
  { name: 'RawData', type: 'string' },
];
const DCR_STANDARD_COLUMNS: TableColumn[] = [{ name: 'TenantId', type: 'guid' }];

/** Column names Log Analytics reserves (learn.microsoft.com/azure/azure-monitor/logs/create-custom-table). */
const RESERVED = new Set(
  [
    'id',
    'BilledSize',
    'IsBillable',
    'InvalidTimeGenerated',
    'TenantId',
    'Title',
    'Type',
    'UniqueId',
    '_ItemId',
    '_ResourceGroup',
    '_ResourceId',
    '_SubscriptionId',
    '_TimeReceived',
  ].map((n) => n.toLowerCase()),
);
const COLUMN_NAME = /^[A-Za-z][A-Za-z0-9_]{1,44}$/;

const ROUTE =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.OperationalInsights\/workspaces\/([^/]+)\/tables(?:\/([^/]+)(\/migrate)?)?\/?$/i;

const workspaceKey = (s: string, rg: string, ws: string) =>
  `/subscriptions/${s}/resourceGroups/${rg}/providers/Microsoft.OperationalInsights/workspaces/${ws}`;

export async function startWorkspaceTablesEmulator(options: WorkspaceTablesEmulatorOptions): Promise<RunningEmulator> {
  const workspaceRetention = options.workspaceRetentionInDays ?? 30;
  // Workspace id (lower case) → table name (lower case) → table. ARM paths and table names are case-insensitive.
  const workspaces = new Map<string, { id: string; tables: Map<string, StoredTable> }>();

  const view = (wsId: string, t: StoredTable) => {
    const retention = t.retentionInDays ?? workspaceRetention;
    const total = t.totalRetentionInDays ?? retention;
    return {
      id: `${wsId}/tables/${t.name}`,
      name: t.name,
      type: 'Microsoft.OperationalInsights/workspaces/tables',
      properties: {
        retentionInDays: retention,
        totalRetentionInDays: total,
        archiveRetentionInDays: total - retention,
        retentionInDaysAsDefault: t.retentionInDays === undefined,
        totalRetentionInDaysAsDefault: t.totalRetentionInDays === undefined,
        plan: 'Analytics',
        provisioningState: 'Succeeded',
        schema: {
          name: t.name,
          tableType: t.tableType,
          tableSubType: t.subType,
          columns: t.columns,
          standardColumns: t.subType === 'Classic' ? CLASSIC_STANDARD_COLUMNS : DCR_STANDARD_COLUMNS,
          solutions: ['LogManagement'],
          source: t.tableType === 'Microsoft' ? 'microsoft' : 'customer',
        },
      },
    };
  };

  function put(wsId: string, tables: Map<string, StoredTable>, name: string, body: unknown): Reply {
    const props = (body as { properties?: Record<string, unknown> } | undefined)?.properties;
    if (!props || typeof props !== 'object') return armError(400, 'InvalidParameter', "The request body needs 'properties'.");
    const existing = tables.get(name.toLowerCase());
    if (existing?.subType === 'Classic') {
      // The refusal of a schema PUT on a classic table is not in the spec or the docs; the code and text here are ours,
      // standing for "migrate the table first" (custom-logs-migrate: a classic table supports DCR features only after
      // Tables - Migrate).
      return armError(
        400,
        'InvalidParameter',
        `Table '${existing.name}' is a classic custom log table (Data Collector API); migrate it (POST …/tables/${existing.name}/migrate) before changing its schema.`,
      );
    }
    const schema = props.schema as { columns?: unknown } | undefined;
    const columns = schema?.columns;
    if (!Array.isArray(columns)) return armError(400, 'InvalidParameter', 'properties.schema.columns must be an array.');
    const seen = new Set<string>();
    for (const c of columns as TableColumn[]) {
      if (!c || typeof c.name !== 'string' || !COLUMN_NAME.test(c.name))
        return armError(
          400,
          'InvalidParameter',
          `Column name '${String(c?.name)}' is invalid: a letter, then letters, digits or _, 2–45 characters.`,
        );
      if (RESERVED.has(c.name.toLowerCase())) return armError(400, 'InvalidParameter', `Column name '${c.name}' is reserved.`);
      if (!COLUMN_TYPES.has(c.type))
        return armError(
          400,
          'InvalidParameter',
          `Column '${c.name}' has type '${String(c.type)}', not one of ${[...COLUMN_TYPES].join(', ')}.`,
        );
      if (seen.has(c.name.toLowerCase())) return armError(400, 'InvalidParameter', `Column '${c.name}' is declared twice.`);
      seen.add(c.name.toLowerCase());
      // "You can't reuse a column name with a data type that's different to the original" (custom-logs-migrate).
      const before = existing?.columns.find((e) => e.name.toLowerCase() === c.name.toLowerCase());
      if (before && before.type !== c.type)
        return armError(
          400,
          'InvalidParameter',
          `Column '${c.name}' exists with type '${before.type}'; its type cannot change to '${c.type}'.`,
        );
    }
    if (!existing && !name.endsWith('_CL')) return armError(400, 'InvalidParameter', `A custom table name ends in _CL: '${name}'.`);
    if (!existing && !seen.has('timegenerated')) return armError(400, 'InvalidParameter', 'A custom table needs a TimeGenerated column.');
    const table: StoredTable = {
      name: existing?.name ?? name,
      subType: existing?.subType ?? 'DataCollectionRuleBased',
      tableType: existing?.tableType ?? 'CustomLog',
      // A PUT replaces the column list: columns left out are deleted (create-custom-table, "Add or delete a custom column").
      columns: (columns as TableColumn[]).map((c) => ({
        name: c.name,
        type: c.type,
        ...(c.description ? { description: c.description } : {}),
      })),
      rowCount: existing?.rowCount ?? 0,
      ...(typeof props.retentionInDays === 'number'
        ? { retentionInDays: props.retentionInDays }
        : existing?.retentionInDays !== undefined
          ? { retentionInDays: existing.retentionInDays }
          : {}),
      ...(typeof props.totalRetentionInDays === 'number'
        ? { totalRetentionInDays: props.totalRetentionInDays }
        : existing?.totalRetentionInDays !== undefined
          ? { totalRetentionInDays: existing.totalRetentionInDays }
          : {}),
    };
    tables.set(name.toLowerCase(), table);
    return reply(200, view(wsId, table));
  }

  function handle(req: EmulatorRequest): Reply | undefined {
    const m = ROUTE.exec(req.url.pathname);
    if (!m) return undefined;
    const refused = armPreflight(req);
    if (refused) return refused;
    const [, sub, rg, wsName, rawTable, migrate] = m as unknown as [string, string, string, string, string | undefined, string | undefined];
    const ws = workspaces.get(workspaceKey(sub, rg, wsName).toLowerCase());
    if (!ws)
      return armError(
        404,
        'ResourceNotFound',
        `The Resource 'Microsoft.OperationalInsights/workspaces/${wsName}' under resource group '${rg}' was not found.`,
      );
    if (rawTable === undefined) {
      if (req.method !== 'GET') return armError(405, 'MethodNotAllowed', `${req.method} is not allowed on the tables collection.`);
      return reply(200, { value: [...ws.tables.values()].map((t) => view(ws.id, t)) });
    }
    const name = decodeURIComponent(rawTable);
    const table = ws.tables.get(name.toLowerCase());
    if (migrate) {
      if (req.method !== 'POST') return armError(405, 'MethodNotAllowed', `${req.method} is not allowed on migrate.`);
      if (!table) return armError(404, 'ResourceNotFound', `Table '${name}' was not found in workspace '${wsName}'.`);
      if (table.subType === 'Classic') table.subType = 'DataCollectionRuleBased';
      return reply(200);
    }
    if (req.method === 'GET')
      return table
        ? reply(200, view(ws.id, table))
        : armError(404, 'ResourceNotFound', `Table '${name}' was not found in workspace '${wsName}'.`);
    if (req.method === 'PUT') {
      let body: unknown;
      try {
        body = JSON.parse(req.body.toString('utf8'));
      } catch {
        return armError(400, 'InvalidRequestContent', 'The request body is not valid JSON.');
      }
      return put(ws.id, ws.tables, name, body);
    }
    return armError(405, 'MethodNotAllowed', `${req.method} is not allowed on a table.`);
  }

  function seed(body: unknown): Reply {
    const { workspace, tables } = (body ?? {}) as { workspace?: SeedWorkspace; tables?: SeedTable[] };
    if (!workspace?.subscriptionId || !workspace.resourceGroup || !workspace.workspaceName || !Array.isArray(tables))
      return reply(400, { error: 'seed needs {workspace: {subscriptionId, resourceGroup, workspaceName}, tables: [...]}' });
    const id = workspaceKey(workspace.subscriptionId, workspace.resourceGroup, workspace.workspaceName);
    const ws = workspaces.get(id.toLowerCase()) ?? { id, tables: new Map<string, StoredTable>() };
    workspaces.set(id.toLowerCase(), ws);
    for (const t of tables) {
      ws.tables.set(t.name.toLowerCase(), {
        name: t.name,
        subType: t.subType,
        tableType: t.tableType ?? (t.name.endsWith('_CL') ? 'CustomLog' : 'Microsoft'),
        columns: t.columns ?? [],
        rowCount: t.rowCount ?? 0,
        ...(t.retentionInDays !== undefined ? { retentionInDays: t.retentionInDays } : {}),
      });
    }
    return reply(200, { workspace: id, tables: ws.tables.size });
  }

  return startEmulator({
    name: 'workspace tables',
    port: options.port,
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.host ? { host: options.host } : {}),
    keepReceived: true,
    handle,
    inspect(req, path) {
      if (path !== 'tables') return undefined;
      if (req.method === 'POST') {
        try {
          return seed(JSON.parse(req.body.toString('utf8')));
        } catch {
          return reply(400, { error: 'body is not JSON' });
        }
      }
      if (req.method === 'DELETE') workspaces.clear();
      return reply(
        200,
        [...workspaces.values()].flatMap((ws) =>
          [...ws.tables.values()].map((t) => ({
            workspaceId: ws.id,
            name: t.name,
            subType: t.subType,
            columns: t.columns,
            rowCount: t.rowCount,
          })),
        ),
      );
    },
  });
}
