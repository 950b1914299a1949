// The deployment is consistent with the app: settings vs shared/config.ts, the generated tables, DCRs, storage names and
// rules are what the Bicep deploys, roles are the right ones on the right resources, the security posture of tools/infra/
// posture.ts holds, every module and loaded file exists. Each check is also shown failing: the Bicep text or the settings
// are changed in memory and the checker must name the problem; every entry of RULES has such a mutation here.
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SETTINGS } from '../../shared/config.js';
import { GRAPH_APP_ROLES } from '../../shared/operations/testIntegration.js';
import {
  allModules,
  allResources,
  type BicepFile,
  bicepParser,
  type Declaration,
  declaration,
  declaredValue,
  property,
  stringValue,
} from '../../tools/infra/bicep.js';
import { catalogView } from '../../tools/infra/catalogView.js';
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
import { RULES } from '../../tools/infra/posture.js';
import { BUILT_IN_ROLES } from '../../tools/infra/roles.js';

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

async function problems(edits: Edit[] = [], options: { settings?: SettingsTable } = {}): Promise<string[]> {
  const copy = { ...files };
  for (const e of edits) e(copy);
  const found: Problem[] = checkInfra({
    project: await loadProject(copy),
    view,
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
    expect(Object.keys(DELIBERATELY_OPTIONAL).sort()).toEqual([
      'AzureWebJobsStorage',
      'EMULATOR_CA_FILE',
      'GRAPH_ENDPOINT',
      'LOG_ANALYTICS_QUERY_ENDPOINT',
    ]);
  });

  it('assigns exactly these roles, each on one resource', async () => {
    const found = roleAssignments(await loadProject(files)).map((a) => `${a.role} → ${a.scopeType} (${a.principal})`);
    expect(found.sort()).toEqual(
      [
        'Key Vault Secrets Officer → Microsoft.KeyVault/vaults (deployer)',
        'Key Vault Secrets User → Microsoft.KeyVault/vaults (app)',
        'Log Analytics Reader → Microsoft.OperationalInsights/workspaces (app)',
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
    // Flex Consumption rejects it: neither shared/config.ts nor the host settings may name it.
    expect(found).toContain(
      'settings: sets FUNCTIONS_WORKER_RUNTIME, which shared/config.ts does not read and the Functions host does not need',
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
    expect(rules.some((p) => p.startsWith('settings: LOGS_INGESTION_RULES is built from objects with keys endpoint, id, streams'))).toBe(
      true,
    );
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
      found.some((p) => p.includes('assigns Contributor, which is not one of the roles this deployment may assign (least privilege)')),
    ).toBe(true);
    const swapped = await problems([
      replace(
        RBAC,
        "storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'",
        "storageTableDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'",
      ),
    ]);
    expect(swapped).toContain(
      'roles: missing role assignment: Storage Table Data Contributor on Microsoft.Storage/storageAccounts for the app identity (ledger, circuit, dead letters, claims)',
    );
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
      replace(
        MAIN,
        "    grantSentinelRole: enableIncidentPolling && incidentApi == 'sentinel'\n",
        '    grantSentinelRole: deploySentinelContent\n',
      ),
    ]);
    expect(
      otherFlag.some((p) =>
        p.includes(
          'Sentinel Bridge incidents (custom role) on Microsoft.OperationalInsights/workspaces must be assigned only when enableIncidentPolling says so',
        ),
      ),
    ).toBe(true);
  });

  it('fails when Log Analytics Reader is granted regardless of KQL enrichment', async () => {
    const found = await problems([replace(INGESTION, "2022-04-01' = if (kqlEnrichment && !grantSentinelRole) {", "2022-04-01' = {")]);
    expect(found).toContainEqual(
      expect.stringContaining(
        'Log Analytics Reader on Microsoft.OperationalInsights/workspaces must be assigned only when kqlEnrichment says so',
      ),
    );
  });

  it('grants the Microsoft Graph app roles the app needs, only with grantGraphRoles, through the Graph extension', async () => {
    const project = await loadProject(files);
    const module = allModules(project).find((m) => m.target === 'infra/modules/graph-roles.bicep');
    expect(module?.body?.condition?.text).toBe('grantGraphRoles');
    const file = project.bicep.get('infra/modules/graph-roles.bicep') as BicepFile;
    const roles = declaredValue(declaration(file, 'appRoles', ['param']) as Declaration);
    expect(roles?.namedChildren.map(stringValue)).toEqual([...GRAPH_APP_ROLES]);
    const assignment = allResources(project).find((r) => r.type === 'Microsoft.Graph/appRoleAssignedTo');
    expect(assignment?.body?.loop).toBeDefined();
    // Graph's own service principal (appId 00000003-0000-0000-c000-000000000000 in every tenant) holds the role ids.
    const graphSp = allResources(project).find((r) => r.type === 'Microsoft.Graph/servicePrincipals');
    expect(graphSp?.existing).toBe(true);
    expect(graphSp?.body && stringValue(property(graphSp.body.object, 'appId'))).toBe('00000003-0000-0000-c000-000000000000');
  });

  it('fails when a role is scoped wider than its resource', async () => {
    const found = await problems([replace(RBAC, /(resource tableDataContributor [\s\S]*?)\n {2}scope: storage\n/, '$1\n')]);
    expect(found.some((p) => p.includes('tableDataContributor is not scoped to a resource of this deployment'))).toBe(true);
  });
});

describe('references, syntax, Sentinel content', () => {
  it('fails when an extension is not in bicepconfig.json or not pinned', async () => {
    const GRAPH_ROLES = 'infra/modules/graph-roles.bicep';
    const unknown = await problems([replace(GRAPH_ROLES, 'extension microsoftGraphV1\n', 'extension microsoftGraph\n')]);
    expect(unknown).toContainEqual(
      expect.stringMatching(
        /^references: infra\/modules\/graph-roles\.bicep:\d+:1: extension microsoftGraph is not in infra\/bicepconfig\.json "extensions"$/,
      ),
    );
    const floating = await problems([replace('infra/bicepconfig.json', 'v1.0:1.0.0', 'v1.0:latest')]);
    expect(floating).toContainEqual(
      expect.stringContaining(
        'extension microsoftGraphV1 is br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:latest: pin a version',
      ),
    );
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

  it('fails when the workbook stops showing delivery health or the module keeps a placeholder', async () => {
    const found = await problems([
      replace('infra/sentinel/workbook.json', /SentinelBridgeHealth_CL/g, 'BridgeHealth_CL'),
      replace('infra/modules/sentinel-content.bicep', "  '__INCIDENT_TAG__',\n", "  '__INCIDENT__',\n"),
    ]);
    expect(found).toContain('sentinel: infra/sentinel/workbook.json must show delivery health (a query of SentinelBridgeHealth_CL)');
    expect(found).toContain('sentinel: infra/modules/sentinel-content.bicep never replaces __INCIDENT_TAG__');
  });
});

describe('the posture and wiring rules (tools/infra/posture.ts)', () => {
  const KEYVAULT = 'infra/modules/keyvault.bicep';
  const SENTINEL = 'infra/modules/sentinel-content.bicep';
  const ACCOUNT = 'Microsoft.Storage/storageAccounts';
  const SITE = 'Microsoft.Web/sites';
  const CONFIG = 'Microsoft.Web/sites/config';
  const DCR = 'Microsoft.Insights/dataCollectionRules';
  const TABLE = 'Microsoft.OperationalInsights/workspaces/tables';
  const drop = (file: string, line: string | RegExp) => replace(file, line, '');

  /** Rule id (`<target> <path>`) → an edit that breaks exactly that rule. */
  const MUTATIONS: Readonly<Record<string, Edit[]>> = {
    [`${ACCOUNT} properties.allowSharedKeyAccess`]: [replace(STORAGE, 'allowSharedKeyAccess: false', 'allowSharedKeyAccess: true')],
    [`${ACCOUNT} properties.allowBlobPublicAccess`]: [replace(STORAGE, 'allowBlobPublicAccess: false', 'allowBlobPublicAccess: true')],
    [`${ACCOUNT} properties.minimumTlsVersion`]: [replace(STORAGE, "minimumTlsVersion: 'TLS1_2'", "minimumTlsVersion: 'TLS1_0'")],
    [`${ACCOUNT} properties.supportsHttpsTrafficOnly`]: [
      replace(STORAGE, 'supportsHttpsTrafficOnly: true', 'supportsHttpsTrafficOnly: false'),
    ],
    [`${ACCOUNT}/queueServices/queues`]: [replace(STORAGE, 'for queue in storageNames.queues:', "for queue in ['events']:")],
    [`${ACCOUNT}/tableServices/tables`]: [replace(STORAGE, 'for table in storageNames.tables:', "for table in ['ledger']:")],
    [`${ACCOUNT}/blobServices/containers`]: [replace(STORAGE, 'for container in storageNames.containers:', "for container in ['x']:")],
    [`${SITE} properties.httpsOnly`]: [replace(FUNCTION_APP, 'httpsOnly: true', 'httpsOnly: false')],
    [`${SITE} properties.siteConfig.ftpsState`]: [replace(FUNCTION_APP, "ftpsState: 'Disabled'", "ftpsState: 'AllAllowed'")],
    [`${SITE} properties.siteConfig.minTlsVersion`]: [replace(FUNCTION_APP, "minTlsVersion: '1.2'", "minTlsVersion: '1.0'")],
    [`${SITE} identity.type`]: [replace(FUNCTION_APP, "type: 'UserAssigned'\n", "type: 'SystemAssigned, UserAssigned'\n")],
    [`${SITE} properties.keyVaultReferenceIdentity`]: [drop(FUNCTION_APP, '    keyVaultReferenceIdentity: identityId\n')],
    [`${SITE} properties.serverFarmId`]: [drop(FUNCTION_APP, '    serverFarmId: planId\n')],
    [`${SITE} properties.functionAppConfig.runtime.name`]: [replace(FUNCTION_APP, "name: 'node'", "name: 'python'")],
    [`${SITE} properties.functionAppConfig.runtime.version`]: [
      drop(MAIN, "@allowed(['22'])\n"),
      replace(MAIN, "param nodeVersion string = '22'", "param nodeVersion string = '20'"),
    ],
    [`${SITE} properties.functionAppConfig.deployment.storage.type`]: [replace(FUNCTION_APP, "type: 'blobContainer'", "type: 'fileShare'")],
    [`${SITE} properties.functionAppConfig.deployment.storage.authentication.type`]: [
      replace(FUNCTION_APP, "type: 'UserAssignedIdentity'", "type: 'StorageAccountConnectionString'"),
    ],
    [`${SITE} properties.functionAppConfig.scaleAndConcurrency.instanceMemoryMB`]: [
      replace(MAIN, '    instanceMemoryMB: instanceMemoryMB\n', '    instanceMemoryMB: 2048\n'),
    ],
    [`${SITE} properties.functionAppConfig.scaleAndConcurrency.maximumInstanceCount`]: [
      replace(MAIN, '    maximumInstanceCount: maximumInstanceCount\n', '    maximumInstanceCount: 40\n'),
    ],
    'br/public:avm/res/web/serverfarm: params.sku.name': [replace(MAIN, "name: 'FC1'", "name: 'Y1'")],
    'br/public:avm/res/web/serverfarm: params.sku.tier': [replace(MAIN, "tier: 'FlexConsumption'", "tier: 'Dynamic'")],
    'br/public:avm/res/insights/component: params.disableLocalAuth': [replace(MAIN, 'disableLocalAuth: true', 'disableLocalAuth: false')],
    [`${CONFIG} properties.AzureWebJobsStorage`]: [
      replace(MAIN, '    LOG_LEVEL: logLevel\n', "    LOG_LEVEL: logLevel\n    AzureWebJobsStorage: 'x'\n"),
    ],
    [`${CONFIG} properties.AzureWebJobsStorage__credential`]: [
      replace(FUNCTION_APP, "AzureWebJobsStorage__credential: 'managedidentity'", "AzureWebJobsStorage__credential: 'connectionstring'"),
    ],
    [`${CONFIG} properties.BRIDGE_CREDENTIAL`]: [
      replace(FUNCTION_APP, "BRIDGE_CREDENTIAL: 'managedidentity'", "BRIDGE_CREDENTIAL: 'default'"),
    ],
    ...Object.fromEntries(
      ['clientId', 'blobServiceUri', 'queueServiceUri', 'tableServiceUri'].map((key) => [
        `${CONFIG} properties.AzureWebJobsStorage__${key}`,
        [drop(FUNCTION_APP, new RegExp(`  AzureWebJobsStorage__${key}: .*\\n`))],
      ]),
    ),
    [`${CONFIG} properties.LOGS_INGESTION_RULES`]: [
      replace(MAIN, '    LOGS_INGESTION_RULES: string(ingestion.outputs.rules)\n', "    LOGS_INGESTION_RULES: '[]'\n"),
    ],
    'Microsoft.KeyVault/vaults properties.enableRbacAuthorization': [
      replace(KEYVAULT, 'enableRbacAuthorization: true', 'enableRbacAuthorization: false'),
    ],
    'Microsoft.KeyVault/vaults properties.accessPolicies': [
      replace(KEYVAULT, '    enableRbacAuthorization: true\n', '    enableRbacAuthorization: true\n    accessPolicies: []\n'),
    ],
    [TABLE]: [replace(INGESTION, 'for entry in catalog.tables:', 'for entry in catalog.others:')],
    [`${TABLE} name`]: [
      replace(
        INGESTION,
        '    parent: workspace\n    name: entry.wallarmSingle ? wallarmTableName : entry.table',
        '    parent: workspace\n    name: wallarmTableName',
      ),
    ],
    [`${TABLE} properties.schema.name`]: [
      replace(INGESTION, '        name: entry.wallarmSingle ? wallarmTableName : entry.table', "        name: 'x'"),
    ],
    [`${TABLE} properties.schema.columns`]: [replace(INGESTION, 'columns: entry.columns', 'columns: []')],
    [DCR]: [
      replace(INGESTION, "for rule in ingestionRules.rules: {\n    name: 'dcr-", "for rule in ingestionRules.others: {\n    name: 'dcr-"),
    ],
    [`${DCR} kind`]: [drop(INGESTION, "    kind: 'Direct'\n")],
    [`${DCR} properties.streamDeclarations`]: [drop(INGESTION, / {8}streamDeclarations: toObject\([\s\S]*?\n {8}\)\n/)],
    [`${DCR} properties.dataFlows`]: [drop(INGESTION, / {8}dataFlows: map\(rule\.streams[\s\S]*?\n {8}\}\)\n/)],
    [`${DCR} properties.dataFlows[].streams`]: [drop(INGESTION, / {10}streams: \['Custom-.*\n/)],
    [`${DCR} properties.dataFlows[].destinations`]: [drop(INGESTION, "          destinations: ['workspace']\n")],
    [`${DCR} properties.dataFlows[].outputStream`]: [drop(INGESTION, / {10}outputStream: .*\n/)],
    [`${DCR} properties.dataFlows[].transformKql`]: [replace(INGESTION, 'transformKql: s.transformKql', "transformKql: 'source'")],
    [`${DCR} properties.destinations.logAnalytics`]: [replace(INGESTION, 'logAnalytics: [', 'monitoringAccounts: [')],
    [`${DCR} dependsOn`]: [drop(INGESTION, '    dependsOn: [\n      tables\n    ]\n')],
    'rules [].endpoint': [replace(INGESTION, 'dataCollectionRules[i].properties.endpoints.logsIngestion\n', 'dataCollectionRules[i].id\n')],
    'rules [].ruleId': [replace(INGESTION, 'ruleId: dataCollectionRules[i].properties.immutableId', 'ruleId: dataCollectionRules[i].name')],
    'rules [].streams': [drop(INGESTION, /\n {4}streams: map\(rule\.streams.*/)],
    AZURE_FUNCTION_NAME: [drop(MAIN, 'output AZURE_FUNCTION_NAME string = api.outputs.name\n')],
    SERVICE_API_NAME: [drop(MAIN, 'output SERVICE_API_NAME string = api.outputs.name\n')],
    AZURE_FUNCTION_URL: [replace(MAIN, "output AZURE_FUNCTION_URL string = 'https://", "output AZURE_FUNCTION_URL string = 'http://")],
    SENTINEL_BRIDGE_INGEST_URL: [replace(MAIN, /(output SENTINEL_BRIDGE_INGEST_URL .*)\/api\/events'/, "$1/api/logs'")],
    LOGS_INGESTION_RULES: [drop(MAIN, 'output LOGS_INGESTION_RULES string = string(ingestion.outputs.rules)\n')],
    'Microsoft.Insights/workbooks properties.serializedData': [drop(SENTINEL, '    serializedData: workbookContent\n')],
    'Microsoft.SecurityInsights/alertRules': [replace(SENTINEL, 'for rule in sentinelRules.rules:', 'for rule in sentinelRules.others:')],
  };

  /** Every rule of RULES: its id, the check it reports under, and the words its problem must contain. */
  const rules = Object.entries(RULES).flatMap(([check, groups]) =>
    groups.flatMap(({ target, paths }) =>
      Object.entries(paths).map(([path, [expectation]]) => {
        const name = 'resource' in target ? target.resource : 'module' in target ? target.module : target.output;
        const loops = typeof expectation === 'object' && 'loops' in expectation ? expectation.loops : undefined;
        const words = loops
          ? `no ${name} resource loops over ${loops.join(' ')}`
          : 'output' in target
            ? `output ${target.output}`
            : `${path} must`;
        return { id: path ? `${name} ${path}` : name, check, words };
      }),
    ),
  );

  it('every rule has a mutation here', () => {
    expect(Object.keys(MUTATIONS).sort()).toEqual(rules.map((r) => r.id).sort());
  });

  it.each(rules)('fails when $id breaks', async ({ id, check, words }) => {
    const found = await problems(MUTATIONS[id]);
    expect(found.filter((p) => p.startsWith(`${check}: `) && p.includes(words))).toHaveLength(1);
  });
});
