// The security posture and the wiring of the deployment as data: for each resource type, registry module or output, what
// the value at each property path must be, and why. check.ts walks it (checkRules); test/infra/consistency.test.ts shows
// each kind of rule failing. Literals are what Microsoft's Bicep types cannot say: which of the allowed values we need.

export const MAIN = 'infra/main.bicep';
const INGESTION = 'infra/modules/ingestion.bicep';
export const GENERATED = {
  tables: 'infra/generated/tables.json',
  dcrs: 'infra/generated/dcrs.json',
  storage: 'infra/generated/storage.json',
  rules: 'infra/generated/sentinel-rules.json',
} as const;

/** Where rules look: every (non-existing) resource of a type, every registry module from a source, or an output. */
export type Target = { readonly resource: string } | { readonly module: string } | { readonly output: string; readonly file?: string };
/**
 * What the value at a path ('' for the target itself) must be: a literal (through vars, parameters and defaults), set
 * or not, an expression using a text (`$`: the resource's loop variable), a main.bicep parameter, or, for a resource,
 * a loop over a generated list.
 */
export type Expectation =
  | string
  | number
  | boolean
  | { readonly set: boolean }
  | { readonly uses: string }
  | { readonly fromParam: true }
  | { readonly loops: readonly [file: string, key: string] };
export interface Rules {
  readonly target: Target;
  /** path → [expectation, why]. */
  readonly paths: Readonly<Record<string, readonly [Expectation, string]>>;
}

const SET = { set: true } as const;
const ACCOUNT = 'Microsoft.Storage/storageAccounts';
export const APP_SETTINGS = 'Microsoft.Web/sites/config';
const STORAGE_SERVICE = { queues: 'queueServices', tables: 'tableServices', containers: 'blobServices' } as const;
const storageIdentity = [SET, 'identity-based storage'] as const;
const azdOutput = (value: Expectation) => ({ '': [value, 'azd writes it to the environment (README: outputs)'] }) as const;
const flex = { module: 'br/public:avm/res/web/serverfarm:' };

export const RULES: Readonly<Record<string, readonly Rules[]>> = {
  storage: [
    {
      target: { resource: ACCOUNT },
      paths: {
        'properties.allowSharedKeyAccess': [false, 'shared key access disabled: identity only'],
        'properties.allowBlobPublicAccess': [false, 'no anonymous blob access'],
        'properties.minimumTlsVersion': ['TLS1_2', 'TLS 1.2'],
        'properties.supportsHttpsTrafficOnly': [true, 'HTTPS only'],
      },
    },
    ...(['queues', 'tables', 'containers'] as const).map((kind) => ({
      target: { resource: `${ACCOUNT}/${STORAGE_SERVICE[kind]}/${kind}` },
      paths: { '': [{ loops: [GENERATED.storage, kind] }, `the ${kind} of shared/storage/names.ts`] as const },
    })),
  ],
  functionApp: [
    {
      target: { resource: 'Microsoft.Web/sites' },
      paths: {
        'properties.httpsOnly': [true, 'HTTPS only'],
        'properties.siteConfig.ftpsState': ['Disabled', 'FTPS disabled'],
        'properties.siteConfig.minTlsVersion': ['1.2', 'TLS 1.2'],
        'identity.type': ['UserAssigned', 'the one user-assigned managed identity'],
        'properties.keyVaultReferenceIdentity': [SET, 'else Key Vault references resolve with no identity'],
        'properties.serverFarmId': [SET, 'the Flex Consumption plan'],
        'properties.functionAppConfig.runtime.name': ['node', 'Node.js runtime'],
        'properties.functionAppConfig.runtime.version': ['22', 'Node 22: Node 20 is past end of life'],
        'properties.functionAppConfig.deployment.storage.type': ['blobContainer', 'Flex Consumption deployment container'],
        'properties.functionAppConfig.deployment.storage.authentication.type': [
          'UserAssignedIdentity',
          'the package is read with the identity',
        ],
        'properties.functionAppConfig.scaleAndConcurrency.instanceMemoryMB': [{ fromParam: true }, 'tunable at deployment'],
        'properties.functionAppConfig.scaleAndConcurrency.maximumInstanceCount': [{ fromParam: true }, 'tunable at deployment'],
      },
    },
    { target: flex, paths: { 'params.sku.name': ['FC1', 'Flex Consumption'], 'params.sku.tier': ['FlexConsumption', 'Flex Consumption'] } },
    {
      target: { module: 'br/public:avm/res/insights/component:' },
      paths: { 'params.disableLocalAuth': [true, 'telemetry only with Entra ID (APPLICATIONINSIGHTS_AUTHENTICATION_STRING)'] },
    },
  ],
  settings: [
    {
      target: { resource: APP_SETTINGS },
      paths: {
        'properties.AzureWebJobsStorage': [{ set: false }, 'a connection string: in Azure storage is reached with the managed identity'],
        'properties.AzureWebJobsStorage__credential': ['managedidentity', 'identity-based storage'],
        'properties.BRIDGE_CREDENTIAL': ['managedidentity', "ManagedIdentityCredential, the app's identity, in Azure"],
        'properties.AzureWebJobsStorage__clientId': storageIdentity,
        'properties.AzureWebJobsStorage__blobServiceUri': storageIdentity,
        'properties.AzureWebJobsStorage__queueServiceUri': storageIdentity,
        'properties.AzureWebJobsStorage__tableServiceUri': storageIdentity,
        'properties.LOGS_INGESTION_RULES': [{ uses: '.outputs.rules' }, 'the rules the Bicep created'],
      },
    },
  ],
  keyVault: [
    {
      target: { resource: 'Microsoft.KeyVault/vaults' },
      paths: {
        'properties.enableRbacAuthorization': [true, 'Azure RBAC, no access policies'],
        'properties.accessPolicies': [{ set: false }, 'use role assignments'],
      },
    },
  ],
  tables: [
    {
      target: { resource: 'Microsoft.OperationalInsights/workspaces/tables' },
      paths: {
        '': [{ loops: [GENERATED.tables, 'tables'] }, "the catalog's tables"],
        name: [{ uses: '$.table' }, 'the catalog table'],
        'properties.schema.name': [{ uses: '$.table' }, 'the catalog table'],
        'properties.schema.columns': [{ uses: '$.columns' }, "the catalog's columns and types"],
      },
    },
  ],
  dcrs: [
    {
      target: { resource: 'Microsoft.Insights/dataCollectionRules' },
      paths: {
        '': [{ loops: [GENERATED.dcrs, 'rules'] }, 'no stream could be ingested otherwise'],
        kind: ['Direct', 'the rule then has its own logs-ingestion endpoint; no DCE needed'],
        'properties.streamDeclarations': [{ uses: '$.streams' }, 'one declaration per generated stream'],
        'properties.dataFlows': [{ uses: '$.streams' }, 'one data flow per generated stream'],
        'properties.dataFlows[].streams': [SET, 'a data flow routes a stream'],
        'properties.dataFlows[].destinations': [SET, 'a data flow routes a stream'],
        'properties.dataFlows[].outputStream': [SET, 'a custom stream goes to its own table'],
        'properties.dataFlows[].transformKql': [{ uses: '.transformKql' }, 'the generated transform'],
        'properties.destinations.logAnalytics': [SET, 'the rule writes to the workspace'],
        dependsOn: [{ uses: 'tables' }, 'a DCR whose output table does not exist yet is rejected'],
      },
    },
    {
      target: { output: 'rules', file: INGESTION },
      paths: {
        '[].endpoint': [{ uses: 'properties.endpoints.logsIngestion' }, "LOGS_INGESTION_RULES: the rule's endpoint"],
        '[].ruleId': [{ uses: 'properties.immutableId' }, "LOGS_INGESTION_RULES: the rule's immutable id"],
        '[].streams': [SET, "LOGS_INGESTION_RULES: the rule's streams"],
      },
    },
  ],
  outputs: [
    { target: { output: 'AZURE_FUNCTION_NAME' }, paths: azdOutput(SET) },
    { target: { output: 'SERVICE_API_NAME' }, paths: azdOutput(SET) },
    { target: { output: 'AZURE_FUNCTION_URL' }, paths: azdOutput({ uses: 'https://' }) },
    { target: { output: 'SENTINEL_BRIDGE_INGEST_URL' }, paths: azdOutput({ uses: '/api/events' }) },
    { target: { output: 'LOGS_INGESTION_RULES' }, paths: azdOutput(SET) },
  ],
  sentinel: [
    { target: { resource: 'Microsoft.Insights/workbooks' }, paths: { 'properties.serializedData': [SET, 'the Sentinel Bridge workbook'] } },
    {
      target: { resource: 'Microsoft.SecurityInsights/alertRules' },
      paths: { '': [{ loops: [GENERATED.rules, 'rules'] }, 'the analytic rules'] },
    },
  ],
};
