// The classic-table migration (tools/migrate/classicTables.ts) against the workspace tables emulator, through the real
// @azure/arm-operationalinsights client: report, consent, migration, idempotence.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperationalInsightsManagementClient } from '@azure/arm-operationalinsights';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../tools/emulators/server.js';
import { type EmulatorTls, emulatorTls } from '../../tools/emulators/tls.js';
import { type SeedTable, startWorkspaceTablesEmulator } from '../../tools/emulators/workspaceTables.js';
import { catalogView } from '../../tools/infra/catalogView.js';
import { type CliDependencies, classicTablesToMigrate, main, managedTables } from '../../tools/migrate/classicTables.js';
import { emulatorCall } from '../support/emulatorClient.js';

const ws = { subscriptionId: '00000000-0000-4000-8000-0000000000aa', resourceGroup: 'rg-soc', workspaceName: 'law-soc' };
const wsId = `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${ws.workspaceName}`;
const args = ['--subscription', ws.subscriptionId, '--resource-group', ws.resourceGroup, '--workspace', ws.workspaceName];

const credential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3600_000 }),
};

// What the legacy Wallarm integration left behind (Data Collector API columns carry type suffixes), our already-migrated
// table, and tables that are none of our business.
const SEED: SeedTable[] = [
  {
    name: 'new_hits_CL',
    subType: 'Classic',
    rowCount: 1200,
    retentionInDays: 90,
    columns: [
      { name: 'summary_s', type: 'string' },
      { name: 'remote_port_d', type: 'real' },
      { name: 'blocked_b', type: 'boolean' },
    ],
  },
  { name: 'ip_blocked_CL', subType: 'Classic', rowCount: 7, columns: [{ name: 'ip_s', type: 'string' }] },
  { name: 'WebhookEvents_CL', subType: 'DataCollectionRuleBased', rowCount: 3, columns: [{ name: 'TimeGenerated', type: 'dateTime' }] },
  { name: 'MyOther_CL', subType: 'Classic', rowCount: 55, columns: [{ name: 'x_s', type: 'string' }] },
  { name: 'Legacy_CL', subType: 'Classic', rowCount: 9, columns: [{ name: 'summary_s', type: 'string' }] },
  { name: 'Heartbeat', subType: 'Any', tableType: 'Microsoft', rowCount: 500 },
];

let dir: string;
let tls: EmulatorTls;
let emulator: RunningEmulator;

// biome-ignore lint/suspicious/noExplicitAny: emulator answers are asserted field by field
type Json = any;
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  emulatorCall<Json>(emulator.url, tls.ca, method, path, body, { headers });

interface TableState {
  name: string;
  subType: string;
  rowCount: number;
  columns: { name: string; type: string }[];
}
async function tables(): Promise<Map<string, TableState>> {
  const answer = await call('GET', '/_emulator/tables');
  return new Map((answer.json as TableState[]).map((t) => [t.name, t]));
}
async function migrateCalls(): Promise<string[]> {
  const received = (await call('GET', '/_emulator/received')).json as { method: string; path: string }[];
  return received
    .filter((r) => r.method === 'POST' && /\/migrate\?/.test(r.path))
    .map((r) => r.path.split('/tables/')[1]?.split('/')[0] ?? '');
}

async function run(argv: string[], deps: Partial<CliDependencies> = {}): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await main(argv, { credential, endpoint: emulator.url, ca: tls.ca, log: (l) => lines.push(l), ...deps });
  return { code, out: lines.join('\n') };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tables-emu-'));
  tls = await emulatorTls(dir);
  emulator = await startWorkspaceTablesEmulator({ port: 0, tls });
});
afterAll(async () => {
  await emulator?.close();
});
beforeEach(async () => {
  await call('DELETE', '/_emulator/tables');
  await call('DELETE', '/_emulator/received');
  await call('DELETE', '/_emulator/faults');
  expect((await call('POST', '/_emulator/tables', { workspace: ws, tables: SEED })).status).toBe(200);
});

describe('classic tables we manage', () => {
  it('are exactly the catalog tables the workspace holds as classic, with the columns our schema changes', async () => {
    const client = new OperationalInsightsManagementClient(credential, ws.subscriptionId, {
      endpoint: emulator.url,
      tlsOptions: { ca: tls.ca },
    });
    const listed = [];
    for await (const t of client.tables.listByWorkspace(ws.resourceGroup, ws.workspaceName)) listed.push(t);
    expect(listed.map((t) => t.name).sort()).toEqual(SEED.map((t) => t.name).sort());

    const classic = classicTablesToMigrate(listed, managedTables(catalogView()));
    expect(classic.map((t) => t.name)).toEqual(['ip_blocked_CL', 'new_hits_CL']);
    const hits = classic.find((t) => t.name === 'new_hits_CL');
    expect(hits).toMatchObject({ subType: 'Classic', retentionInDays: 90, columnCount: 3 });
    expect(hits?.changes).toEqual([
      { column: 'summary_s', classicType: 'string', change: 'dropped' },
      { column: 'remote_port_d', classicType: 'real', change: 'dropped' },
      { column: 'blocked_b', classicType: 'boolean', change: 'dropped' },
      // RawData is a string standard column of a classic table; the per-type tables declare it dynamic.
      { column: 'RawData', classicType: 'string', change: 'retyped', ourType: 'dynamic' },
    ]);
  });

  it('follow the Wallarm table mode: the single table counts under its configured name only in single mode', async () => {
    const single = await run([...args, '--wallarm-table-mode', 'single', '--wallarm-table', 'Legacy_CL']);
    expect(single.out).toContain('Legacy_CL');
    const perType = await run([...args, '--wallarm-table-mode', 'perType', '--wallarm-table', 'Legacy_CL']);
    expect(perType.out).not.toContain('Legacy_CL');
    expect(perType.out).toContain('new_hits_CL');
  });
});

describe('without consent', () => {
  it('reports and changes nothing when nobody can be asked (exit 2, no migrate call)', async () => {
    const before = await tables();
    const { code, out } = await run(args);
    expect(code).toBe(2);
    expect(out).toContain('2 of the tables Sentinel Bridge manages are classic');
    expect(out).toMatch(/new_hits_CL\s+Classic, retention 90 d/);
    expect(out).toContain('ip_blocked_CL');
    expect(out).not.toContain('MyOther_CL');
    expect(out).not.toContain('WebhookEvents_CL');
    expect(out).toContain('--yes');
    expect(await migrateCalls()).toEqual([]);
    expect(await tables()).toEqual(before);
  });

  it('changes nothing when the user answers no', async () => {
    let asked = '';
    const { code } = await run(args, {
      consent: async (q) => {
        asked = q;
        return false;
      },
    });
    expect(code).toBe(2);
    expect(asked).toBe('Migrate these 2 tables now?');
    expect(await migrateCalls()).toEqual([]);
    expect((await tables()).get('new_hits_CL')?.subType).toBe('Classic');
  });
});

describe('with consent', () => {
  it('migrates ours, keeps their rows, leaves the others alone, and is a no-op the second time', async () => {
    const first = await run([...args, '--yes']);
    expect(first.code).toBe(0);
    expect(first.out).toContain('migrated new_hits_CL → DataCollectionRuleBased');
    expect((await migrateCalls()).sort()).toEqual(['ip_blocked_CL', 'new_hits_CL']);

    const after = await tables();
    expect(after.get('new_hits_CL')).toMatchObject({ subType: 'DataCollectionRuleBased', rowCount: 1200 });
    expect(after.get('ip_blocked_CL')).toMatchObject({ subType: 'DataCollectionRuleBased', rowCount: 7 });
    expect(after.get('new_hits_CL')?.columns.map((c) => c.name)).toEqual(['summary_s', 'remote_port_d', 'blocked_b']);
    expect(after.get('MyOther_CL')).toMatchObject({ subType: 'Classic', rowCount: 55 });
    expect(after.get('Legacy_CL')).toMatchObject({ subType: 'Classic', rowCount: 9 });
    expect(after.get('WebhookEvents_CL')).toMatchObject({ subType: 'DataCollectionRuleBased', rowCount: 3 });
    expect(after.get('Heartbeat')).toMatchObject({ subType: 'Any', rowCount: 500 });

    await call('DELETE', '/_emulator/received');
    const second = await run([...args, '--yes']);
    expect(second.code).toBe(0);
    expect(second.out).toContain('nothing to migrate');
    expect(await migrateCalls()).toEqual([]);
  });

  it('takes the azd hook consent value: true migrates, anything else does not', async () => {
    expect((await run(['--workspace-id', wsId, '--yes-if', 'false'])).code).toBe(2);
    expect(await migrateCalls()).toEqual([]);
    expect((await run(['--workspace-id', wsId, '--yes-if', 'TRUE'])).code).toBe(0);
    expect((await migrateCalls()).sort()).toEqual(['ip_blocked_CL', 'new_hits_CL']);
  });

  it('a consenting user at the prompt migrates', async () => {
    const { code } = await run(args, { consent: async () => true });
    expect(code).toBe(0);
    expect((await tables()).get('new_hits_CL')?.subType).toBe('DataCollectionRuleBased');
  });
});

describe('the workspace tables emulator', () => {
  const hits = `${wsId}/tables/new_hits_CL`;
  const schema = { properties: { schema: { name: 'new_hits_CL', columns: [{ name: 'TimeGenerated', type: 'dateTime' }] } } };

  it('refuses a schema PUT on a classic table until it is migrated; migrate is idempotent', async () => {
    const auth = { authorization: 'Bearer t' };
    const refused = await call('PUT', `${hits}?api-version=2022-10-01`, schema, auth);
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toContain('migrate');
    expect((await call('POST', `${hits}/migrate?api-version=2022-10-01`, undefined, auth)).status).toBe(200);
    expect((await call('POST', `${hits}/migrate?api-version=2022-10-01`, undefined, auth)).status).toBe(200);
    const accepted = await call('PUT', `${hits}?api-version=2022-10-01`, schema, auth);
    expect(accepted.status).toBe(200);
    expect(accepted.json.properties.schema.tableSubType).toBe('DataCollectionRuleBased');
    // The PUT replaced the column list; the rows stay.
    expect((await tables()).get('new_hits_CL')).toMatchObject({ rowCount: 1200, columns: [{ name: 'TimeGenerated', type: 'dateTime' }] });
  });

  it('needs a bearer token, an api-version and an existing workspace, like ARM', async () => {
    expect((await call('GET', `${wsId}/tables?api-version=2022-10-01`)).status).toBe(401);
    expect((await call('GET', `${wsId}/tables`, undefined, { authorization: 'Bearer t' })).json.error.code).toBe(
      'MissingApiVersionParameter',
    );
    const other = wsId.replace('law-soc', 'law-none');
    expect((await call('GET', `${other}/tables?api-version=2022-10-01`, undefined, { authorization: 'Bearer t' })).status).toBe(404);
  });
});

describe('the command line', () => {
  it('does nothing, successfully, when no existing workspace is configured', async () => {
    const { code, out } = await run(['--workspace-id', '']);
    expect(code).toBe(0);
    expect(out).toContain('No existing workspace configured');
    expect(await migrateCalls()).toEqual([]);
  });

  it('names what is wrong with its arguments', async () => {
    expect((await run(['--subscription', 's'])).out).toContain('--resource-group and --workspace are required');
    expect((await run(['--workspace-id', '/subscriptions/x'])).code).toBe(1);
    expect((await run([...args, '--wallarm-table', 'NoSuffix'])).out).toContain('ending in _CL');
    expect((await run([...args, '--yes=no'])).code).toBe(1);
  });

  it('names the role a refused call needs and fails (exit 1) without migrating', async () => {
    await call('POST', '/_emulator/faults', { status: 403, count: 1 });
    const { code, out } = await run([...args, '--yes']);
    expect(code).toBe(1);
    expect(out).toContain('Tables API call failed (403)');
    expect(out).toContain('Log Analytics Contributor');
    expect(await migrateCalls()).toEqual([]);
  });
});
