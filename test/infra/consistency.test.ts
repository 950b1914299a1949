// The deployment is consistent with the app: settings vs shared/config.ts, every catalog table has a table, a DCR stream
// and a data flow, roles are the right built-in ones on the right resources, storage is identity-only, every module and
// loaded file exists. Each check is also shown failing: the Bicep text, the generated JSON or the catalog is changed in
// memory and the checker must name the problem.
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SETTINGS } from '../../shared/config.js';
import { bicepParser } from '../../tools/infra/bicep.js';
import { catalogView, type ViewTable } from '../../tools/infra/catalogView.js';
import {
  appSettings,
  checkInfra,
  DELIBERATELY_OPTIONAL,
  HOST_SETTINGS,
  loadProject,
  type Problem,
  readInfraFiles,
  roleAssignments,
  type SettingsTable,
} from '../../tools/infra/check.js';
import { STORAGE_NAMES } from '../../tools/infra/generate.js';
import { BUILT_IN_ROLES, roleVariableName } from '../../tools/infra/roles.js';

const MAIN = 'infra/main.bicep';
const INGESTION = 'infra/modules/ingestion.bicep';
const RBAC = 'infra/modules/rbac.bicep';
const STORAGE = 'infra/modules/storage.bicep';
const FUNCTION_APP = 'infra/modules/function-app.bicep';

let files: Record<string, string>;
const view = catalogView();

beforeAll(async () => {
  files = readInfraFiles();
  await bicepParser();
});

type Edit = (f: Record<string, string>) => void;

/** Replaces `from` (which must be there: the test fails loudly if the Bicep changed) in a copy of the files. */
const replace =
  (file: string, from: string | RegExp, to: string): Edit =>
  (f) => {
    const text = f[file] ?? '';
    expect(text).toMatch(from);
    f[file] = text.replace(from, to);
  };

const editJson =
  (file: string, change: (json: Record<string, unknown>) => void): Edit =>
  (f) => {
    const json = JSON.parse(f[file] ?? '{}') as Record<string, unknown>;
    change(json);
    f[file] = JSON.stringify(json, null, 2);
  };

async function problems(edits: Edit[] = [], options: { settings?: SettingsTable; tables?: readonly ViewTable[] } = {}): Promise<string[]> {
  const copy = { ...files };
  for (const e of edits) e(copy);
  const found: Problem[] = checkInfra({
    project: await loadProject(copy),
    view: options.tables ? { ...view, tables: options.tables } : view,
    storage: STORAGE_NAMES,
    ...(options.settings ? { settings: options.settings } : {}),
  });
  return found.map((p) => `${p.check}: ${p.message}`);
}

describe('the deployment as committed', () => {
  it('has no problems', async () => {
    expect(await problems()).toEqual([]);
  });

  it('sets every app setting shared/config.ts reads, except the local-only ones', async () => {
    const set = [...(appSettings(await loadProject(files))?.entries.keys() ?? [])];
    const expected = Object.keys(SETTINGS).filter((k) => !(k in DELIBERATELY_OPTIONAL));
    expect(set.filter((k) => !(k in HOST_SETTINGS)).sort()).toEqual(expected.sort());
    expect(Object.keys(DELIBERATELY_OPTIONAL).sort()).toEqual(['AzureWebJobsStorage', 'EMULATOR_CA_FILE', 'GRAPH_ENDPOINT']);
  });

  it('assigns exactly these roles, each on one resource', async () => {
    const found = roleAssignments(await loadProject(files)).map((a) => `${a.role} → ${a.scopeType} (${a.principal})`);
    expect(found.sort()).toEqual(
      [
        'Key Vault Secrets Officer → Microsoft.KeyVault/vaults (deployer)',
        'Key Vault Secrets User → Microsoft.KeyVault/vaults (app)',
        'Microsoft Sentinel Responder → Microsoft.OperationalInsights/workspaces (app)',
        'Sentinel Bridge incidents (custom role) → Microsoft.OperationalInsights/workspaces (app)',
        'Monitoring Metrics Publisher → Microsoft.Insights/components (app)',
        'Monitoring Metrics Publisher → Microsoft.Insights/dataCollectionRules (app)',
        'Storage Blob Data Owner → Microsoft.Storage/storageAccounts (app)',
        'Storage Queue Data Contributor → Microsoft.Storage/storageAccounts (app)',
        'Storage Table Data Contributor → Microsoft.Storage/storageAccounts (app)',
      ].sort(),
    );
  });

  it("uses the built-in role ids of Microsoft's reference", () => {
    expect(BUILT_IN_ROLES).toMatchObject({
      '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
      '3e150937-b8fe-4cfb-8069-0eaf05ecd056': 'Microsoft Sentinel Responder',
      '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
      '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
      'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
    });
    expect(roleVariableName('Microsoft Sentinel Responder')).toBe('microsoftSentinelResponder');
  });
});

describe('settings vs shared/config.ts', () => {
  it('fails when a setting the app reads is removed', async () => {
    expect(await problems([replace(MAIN, '    LOG_LEVEL: logLevel\n', '')])).toContain(
      `settings: does not set LOG_LEVEL, which shared/config.ts reads: set it in ${MAIN} or list it in DELIBERATELY_OPTIONAL with the reason`,
    );
  });

  it('fails when shared/config.ts gains a setting the Bicep does not set', async () => {
    const settings = { ...SETTINGS, NEW_KNOB: { schema: z.string().optional(), doc: 'new' } };
    expect(await problems([], { settings })).toContain(
      `settings: does not set NEW_KNOB, which shared/config.ts reads: set it in ${MAIN} or list it in DELIBERATELY_OPTIONAL with the reason`,
    );
  });

  it('fails on a setting nobody reads, and on settings Flex Consumption rejects', async () => {
    const found = await problems([
      replace(MAIN, '    LOG_LEVEL: logLevel\n', "    LOG_LEVEL: logLevel\n    FOO_BAR: 'x'\n    FUNCTIONS_WORKER_RUNTIME: 'node'\n"),
    ]);
    expect(found).toContain('settings: sets FOO_BAR, which shared/config.ts does not read and the Functions host does not need');
    expect(found).toContain(
      'settings: sets FUNCTIONS_WORKER_RUNTIME, which Flex Consumption rejects (runtime and deployment live in functionAppConfig)',
    );
  });

  it('fails when a secret is set in plain text instead of a Key Vault reference', async () => {
    const found = await problems([
      replace(MAIN, 'DESTINATIONS: kvRef(keyVault.outputs.name, secretNames.destinations)', 'DESTINATIONS: destinations'),
    ]);
    expect(
      found.some((p) => /^settings: infra\/main\.bicep:\d+:\d+: DESTINATIONS is a secret: its value must be a Key Vault reference/.test(p)),
    ).toBe(true);
  });

  it('fails when a parameter default drifts from the app default or allows an invalid value', async () => {
    const found = await problems([
      replace(MAIN, "param incidentTag string = 'SentinelBridge'", "param incidentTag string = 'Bridge'"),
      replace(MAIN, "@allowed(['trace', 'debug', 'info', 'warn', 'error', 'silent'])", "@allowed(['trace', 'debug', 'info', 'verbose'])"),
    ]);
    expect(
      found.some((p) =>
        p.includes('default "Bridge" of incidentTag differs from INCIDENT_TAG\'s default in shared/config.ts ("SentinelBridge")'),
      ),
    ).toBe(true);
    expect(found.some((p) => p.includes('@allowed value "verbose" of logLevel is not a valid LOG_LEVEL'))).toBe(true);
  });

  it('fails when a JSON setting is built with the wrong shape', async () => {
    const found = await problems([
      replace(
        MAIN,
        '    resourceGroup: workspaceResourceGroupName\n    workspaceName: workspaceName\n',
        '    resourceGroup: workspaceResourceGroupName\n    name: workspaceName\n',
      ),
    ]);
    expect(
      found.some((p) => p.startsWith('settings: SENTINEL_WORKSPACES is built from objects with keys subscriptionId, resourceGroup, name')),
    ).toBe(true);
    const rules = await problems([
      replace(
        INGESTION,
        '    ruleId: dataCollectionRules[i].properties.immutableId\n',
        '    id: dataCollectionRules[i].properties.immutableId\n',
      ),
    ]);
    expect(rules.some((p) => p.startsWith('dcrs: LOGS_INGESTION_RULES is built from objects with keys endpoint, id, streams'))).toBe(true);
  });

  it('fails when storage stops being identity-based', async () => {
    const found = await problems([
      replace(FUNCTION_APP, "AzureWebJobsStorage__credential: 'managedidentity'", "AzureWebJobsStorage__credential: 'connectionstring'"),
      replace(FUNCTION_APP, '  AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue\n', ''),
    ]);
    expect(found).toContain("settings: AzureWebJobsStorage__credential must be 'managedidentity'");
    expect(found).toContain('settings: identity-based storage needs AzureWebJobsStorage__queueServiceUri');
  });

  it("fails when the app's credential is not the managed identity", async () => {
    const found = await problems([replace(FUNCTION_APP, "BRIDGE_CREDENTIAL: 'managedidentity'", "BRIDGE_CREDENTIAL: 'default'")]);
    expect(found).toContain(
      "settings: BRIDGE_CREDENTIAL must be 'managedidentity' (ManagedIdentityCredential, the app's identity, in Azure)",
    );
  });
});

describe('tables, streams and data flows', () => {
  it('fails when a catalog table is missing from the generated tables', async () => {
    const found = await problems([
      editJson('infra/generated/tables.json', (j) => {
        j.tables = (j.tables as { table: string }[]).filter((t) => t.table !== 'ip_blocked_CL');
      }),
    ]);
    expect(found).toContain(
      'generated: catalog table ip_blocked_CL has no table in infra/generated/tables.json: run npm run infra:generate',
    );
  });

  it('fails when the Bicep no longer creates the tables', async () => {
    const found = await problems([replace(INGESTION, 'for entry in catalog.tables:', 'for entry in catalog.others:')]);
    expect(found).toContain(
      "tables: no Microsoft.OperationalInsights/workspaces/tables resource loops over the tables of infra/generated/tables.json: the catalog's tables would not be created",
    );
  });

  it('fails when a stream is removed from its DCR', async () => {
    const found = await problems([
      editJson('infra/generated/dcrs.json', (j) => {
        for (const r of j.rules as { streams: { table: string }[] }[]) r.streams = r.streams.filter((s) => s.table !== 'WebhookEvents_CL');
      }),
    ]);
    expect(found).toContain(
      'generated: stream Custom-WebhookEvents_CL (catalog table WebhookEvents_CL) is in no data collection rule in infra/generated/dcrs.json: run npm run infra:generate',
    );
  });

  it('fails when the catalog gains a table that was not generated', async () => {
    const found = await problems([], {
      tables: [...view.tables, { ...(view.tables[0] as ViewTable), table: 'brand_new_CL', stream: 'Custom-brand_new_CL' }],
    });
    expect(found).toContain(
      'generated: catalog table brand_new_CL has no table in infra/generated/tables.json: run npm run infra:generate',
    );
    expect(found).toContain(
      'generated: stream Custom-brand_new_CL (catalog table brand_new_CL) is in no data collection rule in infra/generated/dcrs.json: run npm run infra:generate',
    );
  });

  it('fails when a DCR exceeds 10 streams', async () => {
    const found = await problems([
      editJson('infra/generated/dcrs.json', (j) => {
        const [first, second, ...rest] = j.rules as { streams: unknown[] }[];
        j.rules = [{ ...first, streams: [...(first?.streams ?? []), ...(second?.streams ?? [])] }, ...rest];
      }),
    ]);
    expect(found).toContain('generated: data collection rule wallarm-1 declares 20 streams; a DCR allows 10 streams and data flows');
  });

  it('fails when the DCRs lose their data flows or stream declarations', async () => {
    const noFlows = await problems([replace(INGESTION, / {8}dataFlows: map\(rule\.streams[\s\S]*?\n {8}\}\)\n/, '')]);
    expect(noFlows.some((p) => /^dcrs: infra\/modules\/ingestion\.bicep:\d+:\d+: properties\.dataFlows is missing/.test(p))).toBe(true);
    const noDeclarations = await problems([replace(INGESTION, / {8}streamDeclarations: toObject\([\s\S]*?\n {8}\)\n/, '')]);
    expect(noDeclarations.some((p) => p.includes('properties.streamDeclarations is missing'))).toBe(true);
    const notDirect = await problems([replace(INGESTION, "    kind: 'Direct'\n", '')]);
    expect(notDirect.some((p) => p.includes("kind must be 'Direct'"))).toBe(true);
  });
});

describe('role assignments', () => {
  it('fails when a required role is removed', async () => {
    const found = await problems([replace(RBAC, /resource queueDataContributor [\s\S]*?\n}\n/, '')]);
    expect(found).toContain(
      'roles: missing role assignment: Storage Queue Data Contributor on Microsoft.Storage/storageAccounts for the app identity (the events and incidents queues)',
    );
    const noPublisher = await problems([replace(INGESTION, /resource publishers [\s\S]*?\n\]\n/, '')]);
    expect(noPublisher).toContain(
      'roles: missing role assignment: Monitoring Metrics Publisher on Microsoft.Insights/dataCollectionRules for the app identity (upload through the Logs Ingestion API, on each DCR)',
    );
  });

  it("fails when a role variable holds another role's id", async () => {
    const found = await problems([
      replace(
        RBAC,
        "storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'",
        "storageQueueDataContributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c'",
      ),
    ]);
    expect(
      found.some((p) =>
        p.includes(
          'roles.storageQueueDataContributor is b24988ac-6180-42a0-ab88-20f7382dd24c; the built-in role Storage Queue Data Contributor is 974c5e8b-45b9-4653-ba55-5f855dd0fb88',
        ),
      ),
    ).toBe(true);
    expect(
      found.some((p) => p.includes('assigns Contributor, which is not one of the roles this deployment may assign (least privilege)')),
    ).toBe(true);
    const swapped = await problems([
      replace(
        RBAC,
        "storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'",
        "storageTableDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'",
      ),
    ]);
    expect(
      swapped.some((p) =>
        p.includes('storageTableDataContributor holds 974c5e8b-45b9-4653-ba55-5f855dd0fb88, the id of Storage Queue Data Contributor'),
      ),
    ).toBe(true);
  });

  it('fails when a Sentinel role is granted without incident polling or regardless of sentinelRole', async () => {
    const found = await problems([
      replace(INGESTION, "2022-04-01' = if (grantSentinelRole && sentinelRole == 'responder') {", "2022-04-01' = {"),
    ]);
    expect(
      found.some((p) =>
        p.includes(
          'Microsoft Sentinel Responder on Microsoft.OperationalInsights/workspaces must be assigned only when enableIncidentPolling says so',
        ),
      ),
    ).toBe(true);
    expect(
      found.some((p) =>
        p.includes(
          'Microsoft Sentinel Responder on Microsoft.OperationalInsights/workspaces must be assigned only when sentinelRole says so',
        ),
      ),
    ).toBe(true);
    const otherFlag = await problems([
      replace(MAIN, '    grantSentinelRole: enableIncidentPolling\n', '    grantSentinelRole: deploySentinelContent\n'),
    ]);
    expect(
      otherFlag.some((p) =>
        p.includes(
          'Sentinel Bridge incidents (custom role) on Microsoft.OperationalInsights/workspaces must be assigned only when enableIncidentPolling says so',
        ),
      ),
    ).toBe(true);
  });

  it('fails when a role is scoped wider than its resource', async () => {
    const found = await problems([replace(RBAC, /(resource tableDataContributor [\s\S]*?)\n {2}scope: storage\n/, '$1\n')]);
    expect(found.some((p) => p.includes('tableDataContributor is not scoped to a resource of this deployment'))).toBe(true);
  });
});

describe('storage, function app, Key Vault, references, azd, Sentinel content', () => {
  it('fails when shared keys are allowed or read', async () => {
    const found = await problems([
      replace(STORAGE, 'allowSharedKeyAccess: false', 'allowSharedKeyAccess: true'),
      replace(
        STORAGE,
        'output id string = storage.id',
        'output id string = storage.id\noutput key string = storage.listKeys().keys[0].value',
      ),
    ]);
    expect(found.some((p) => p.includes('properties.allowSharedKeyAccess must be false (shared key access disabled: identity only)'))).toBe(
      true,
    );
    expect(found.some((p) => p.includes('listKeys() reads keys; the app must use its managed identity'))).toBe(true);
  });

  it('fails when the queues of shared/storage/names.ts are not created', async () => {
    const found = await problems([replace(STORAGE, 'for queue in storageNames.queues:', "for queue in ['events']:")]);
    expect(found).toContain(
      'storage: no Microsoft.Storage/storageAccounts/queueServices/queues resource loops over infra/generated/storage.json queues: events, events-poison, incidents, incidents-poison would not be created',
    );
  });

  it('fails on an insecure or outdated function app', async () => {
    const found = await problems([
      replace(FUNCTION_APP, "ftpsState: 'Disabled'", "ftpsState: 'AllAllowed'"),
      replace(FUNCTION_APP, 'httpsOnly: true', 'httpsOnly: false'),
      replace(MAIN, "@allowed(['22'])\n", ''),
      replace(MAIN, "param nodeVersion string = '22'", "param nodeVersion string = '20'"),
    ]);
    expect(found.some((p) => p.includes('properties.siteConfig.ftpsState must be "Disabled"'))).toBe(true);
    expect(found.some((p) => p.includes('properties.httpsOnly must be true'))).toBe(true);
    expect(found.some((p) => p.includes('properties.functionAppConfig.runtime.version must be "22"'))).toBe(true);
  });

  it('fails when Key Vault uses access policies', async () => {
    const found = await problems([
      replace('infra/modules/keyvault.bicep', 'enableRbacAuthorization: true', 'enableRbacAuthorization: false'),
    ]);
    expect(found.some((p) => p.includes('enableRbacAuthorization must be true'))).toBe(true);
  });

  it('fails when a module or a loaded file does not exist', async () => {
    const found = await problems([
      replace(MAIN, "module rbac 'modules/rbac.bicep'", "module rbac 'modules/roles.bicep'"),
      replace(STORAGE, "loadJsonContent('../generated/storage.json')", "loadJsonContent('../generated/storage-names.json')"),
      replace(MAIN, "'br/public:avm/res/web/serverfarm:0.1.1'", "'br/public:avm/res/web/serverfarm:latest'"),
    ]);
    expect(found.some((p) => /module rbac uses modules\/roles\.bicep, which does not exist \(infra\/modules\/roles\.bicep\)/.test(p))).toBe(
      true,
    );
    expect(
      found.some((p) =>
        p.includes("loadJsonContent('../generated/storage-names.json') — infra/generated/storage-names.json does not exist"),
      ),
    ).toBe(true);
    expect(found.some((p) => p.includes('use an Azure Verified Module with a pinned version'))).toBe(true);
  });

  it('fails when a module call passes an unknown parameter or misses a required one', async () => {
    const found = await problems([
      replace(
        MAIN,
        '    workspaceName: workspaceName\n    resourceToken: resourceToken\n',
        '    name: workspaceName\n    resourceToken: resourceToken\n',
      ),
    ]);
    expect(found.some((p) => /module ingestion passes name, which infra\/modules\/ingestion\.bicep does not declare/.test(p))).toBe(true);
    expect(found.some((p) => /module ingestion does not pass workspaceName, which infra\/modules\/ingestion\.bicep requires/.test(p))).toBe(
      true,
    );
  });

  it('fails when a file is no longer valid Bicep', async () => {
    const found = await problems([replace(RBAC, /\n}\n$/, '\n')]);
    expect(found.some((p) => /^syntax: infra\/modules\/rbac\.bicep:\d+:\d+: syntax error/.test(p))).toBe(true);
  });

  it('fails when Sentinel content names a table the catalog lacks or keeps a placeholder', async () => {
    const found = await problems([
      replace('infra/sentinel/workbook.json', /SentinelBridgeHealth_CL/g, 'BridgeHealth_CL'),
      replace('infra/modules/sentinel-content.bicep', ", '__INCIDENT_TAG__', incidentTag)", ", '__INCIDENT__', incidentTag)"),
    ]);
    expect(found).toContain('sentinel: infra/sentinel/workbook.json queries BridgeHealth_CL, which the catalog does not have');
    expect(found).toContain('sentinel: infra/modules/sentinel-content.bicep never replaces __INCIDENT_TAG__');
  });
});
