// Sentinel Bridge: webhook events into Log Analytics custom tables through the Logs Ingestion API, Microsoft Sentinel
// incidents out to SIGNL4, Teams, Slack, PagerDuty and signed webhooks. `azd up` deploys this file.
//
// What it creates (resource group rg-<env> unless resourceGroupName is set):
//   - Function App on Flex Consumption (FC1, Node 22) with a user-assigned managed identity
//   - Storage account (no shared keys) with the app's queues, tables and blob containers
//   - Key Vault (RBAC) holding the secrets passed as parameters, referenced from app settings
//   - Application Insights on its own small Log Analytics workspace (the app's telemetry)
//   - In the target Log Analytics workspace (existing, or a new one with Microsoft Sentinel): one custom table per
//     catalog table and the data collection rules (kind Direct) that feed them, from infra/generated/*.json
//   - Role assignments, least privilege, for the function app's identity only (a custom Sentinel role, see sentinelRole)
//   - Each DCR's error logs in the workspace and an alert on them (dcrDiagnostics)
//   - Optionally: a Sentinel workbook and analytic rules (deploySentinelContent)
targetScope = 'subscription'

// ---- Environment (set by azd) ------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('Name of the azd environment: names the resource group and seeds the unique resource token.')
param environmentName string

@minLength(1)
@description('Region of the function app, storage, Key Vault and Application Insights. Pick one that offers Flex Consumption. The data collection rules go where the workspace is.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of whoever runs azd (AZURE_PRINCIPAL_ID). Gets Key Vault Secrets Officer on the vault to manage the destination secrets. Empty: no access for people.')
param principalId string = ''

@allowed(['User', 'Group', 'ServicePrincipal'])
@description('Type of principalId.')
param principalType string = 'User'

@description('Resource group to create; empty: rg-<environmentName>.')
param resourceGroupName string = ''

// ---- Function app ------------------------------------------------------------------------------------------------

@allowed([2048, 4096])
@description('Memory of each Flex Consumption instance, in MB. A request at the 30 MB body limit needs about 0.5 GB, so 512 is not offered.')
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
@description('Most instances the app scales out to. Keep it modest: every instance uploads to the same DCRs, which throttle at 12,000 calls and 2 GB per minute each.')
param maximumInstanceCount int = 40

@allowed(['22'])
@description('Node.js version of the Flex Consumption runtime (Node 20 is past end of life).')
param nodeVersion string = '22'

// ---- Log Analytics workspace and tables --------------------------------------------------------------------------

@description('Resource id of an existing Log Analytics workspace (the one Microsoft Sentinel runs on) to deliver into. Empty: a new workspace is created in the resource group.')
param existingWorkspaceResourceId string = ''

@description('Enable Microsoft Sentinel on the new workspace (ignored for an existing workspace, which keeps its own setting).')
param onboardSentinel bool = true

@minValue(30)
@maxValue(730)
@description('Interactive retention of a new workspace, in days.')
param workspaceRetentionInDays int = 90

@allowed(['perType', 'single'])
@description('perType: one table per Wallarm event type (the 23 tables of Wallarm\'s legacy integration). single: every Wallarm event in one table named wallarmTable, with the columns of Wallarm\'s own Logs Ingestion integration. Both modes create every table; only WALLARM_TABLE changes.')
param wallarmTableMode string = 'perType'

@description('Name of the Wallarm single table in single mode (must end in _CL). In perType mode the single table, which takes Wallarm types without a legacy table, keeps its catalog name.')
param wallarmTable string = 'WallarmSentinel_CL'

@description('Send through a data collection endpoint with public network access disabled, for Azure Monitor Private Link. Associate the endpoint with your Azure Monitor Private Link Scope and give the function app a virtual network afterwards. false: the DCRs\' own (public) logs-ingestion endpoints.')
param ingestionPrivateLink bool = false

@description('Send the DCRs\' error logs (DCRLogErrors) to the workspace and alert when rows were not stored.')
param dcrDiagnostics bool = true

@description('Resource id of an action group the DCR error alert notifies; empty: the alert only shows in Azure Monitor.')
param dcrAlertActionGroupId string = ''

@description('Deploy the Sentinel Bridge workbook and the Wallarm analytic rules into the workspace (needs Microsoft Sentinel on it).')
param deploySentinelContent bool = false

@description('Create the analytic rules enabled (only with deploySentinelContent).')
param sentinelRulesEnabled bool = true

// ---- Incidents ---------------------------------------------------------------------------------------------------

@description('Poll the workspace\'s Sentinel incidents and forward them to the destinations. With incidentApi sentinel it grants the app sentinelRole on the workspace.')
param enableIncidentPolling bool = false

@allowed(['sentinel', 'graph'])
@description('API the workspace\'s incidents are read through (its "api" in SENTINEL_WORKSPACES). sentinel: SecurityInsights, with sentinelRole on the workspace. graph: Microsoft Graph (a workspace onboarded to the Defender portal), with the Graph application roles of grantGraphRoles.')
param incidentApi string = 'sentinel'

@description('Grant the app\'s identity the Microsoft Graph application roles SecurityIncident.ReadWrite.All and SecurityAlert.Read.All (for incidentApi graph). The deployer must be a Privileged Role Administrator or hold AppRoleAssignment.ReadWrite.All; false: grant them by hand (README "Permissions").')
param grantGraphRoles bool = false

@allowed(['custom', 'responder'])
@description('Role of the app on the workspace for incident polling. custom: a custom role with only the incident actions the bridge calls (deploying it needs Owner or User Access Administrator). responder: the built-in Microsoft Sentinel Responder (also grants workspace queries, automation rules and deployments).')
param sentinelRole string = 'custom'

@description('Let the app run KQL queries on the workspace: only for KQL enrichment queries (enrich.queries). With incidentApi sentinel the custom role gets the query actions; otherwise the app gets Log Analytics Reader on the workspace.')
param kqlEnrichment bool = false

@description('NCRONTAB schedule of the incident poll (INCIDENT_POLL_SCHEDULE).')
param incidentPollSchedule string = '0 */5 * * * *'

@minValue(1)
@maxValue(336)
@description('Incidents created within this many hours are considered (INCIDENT_LOOKBACK_HOURS).')
param incidentLookbackHours int = 24

@description('Comma list of the incident statuses to forward: New, Active, Closed (INCIDENT_STATUSES).')
param incidentStatuses string = 'New'

@description('Comma list of the incident severities to forward: High, Medium, Low, Informational (INCIDENT_SEVERITIES).')
param incidentSeverities string = 'High,Medium,Low,Informational'

@minLength(1)
@maxLength(256)
@description('Label added to each forwarded incident (INCIDENT_TAG).')
param incidentTag string = 'SentinelBridge'

@allowed(['Undetermined', 'TruePositive', 'BenignPositive', 'FalsePositive'])
@description('Classification used when a destination closes an incident without naming one (INCIDENT_CLOSE_CLASSIFICATION).')
param incidentCloseClassification string = 'Undetermined'

@description('Allow destination URLs on private or link-local addresses (ALLOW_PRIVATE_DESTINATIONS).')
param allowPrivateDestinations bool = false

// ---- Ingest and delivery tuning (defaults are shared/config.ts's) ------------------------------------------------

@allowed(['trace', 'debug', 'info', 'warn', 'error', 'silent'])
@description('Log level (LOG_LEVEL).')
param logLevel string = 'info'

@minValue(1024)
@maxValue(104857600)
@description('Largest accepted request body after gzip decoding, in bytes (INGEST_MAX_BODY_BYTES).')
param ingestMaxBodyBytes int = 31457280

@minValue(0)
@maxValue(1000)
@description('Extra wait of a request on an idle stream for others to share its queue message, in ms (INGEST_GROUP_COMMIT_MS).')
param ingestGroupCommitMs int = 0

@minValue(1)
@maxValue(16384)
@description('Request body bytes one instance processes at once, in MB (INGEST_INFLIGHT_MB); past it a new request gets 503 with Retry-After. Default: 1/8 of the instance memory (256 on 2,048 MB).')
param ingestInflightMb int = instanceMemoryMB / 8

@minValue(1)
@maxValue(32)
@description('Logs Ingestion chunks in flight per upload (DELIVERY_MAX_CONCURRENCY).')
param deliveryMaxConcurrency int = 4

@description('Failure ratio over the window that disables a target, > 0 and ≤ 1 (CIRCUIT_FAILURE_RATIO).')
param circuitFailureRatio string = '0.6'

@minValue(1)
@maxValue(1000000)
@description('Attempts needed in the window before the circuit may open (CIRCUIT_MIN_SAMPLES).')
param circuitMinSamples int = 20

@minValue(1)
@maxValue(72)
@description('Rolling window of the circuit, in hours (CIRCUIT_WINDOW_HOURS).')
param circuitWindowHours int = 12

@minValue(0)
@maxValue(3600)
@description('Seconds an instance keeps delivery counts in memory before writing them; the circuit confirms a failure ratio after this long (STATS_FLUSH_SECONDS).')
param statsFlushSeconds int = 300
@description('Daily cap per table on the MB delivered, 0 = none (INGEST_DAILY_CAP_MB; README "Cost guard").')
param ingestDailyCapMb string = '0'

@description('JSON object of per-table daily caps in MB, e.g. {"WebhookEvents_CL": 500} (INGEST_TABLE_CAPS_MB).')
param ingestTableCapsMb string = '{}'

@allowed(['auto', 'manual'])
@description('What releases events parked over a daily cap: auto = the next UTC day, manual = POST /api/replay (INGEST_CAP_RESUME).')
param ingestCapResume string = 'manual'

@description('Workspace id legacy Data Collector senders sign with (DATA_COLLECTOR_WORKSPACE_ID). Empty: the target workspace\'s id. Used only with dataCollectorSharedKey.')
param dataCollectorWorkspaceId string = ''

// ---- Secrets: stored in Key Vault, referenced from app settings; each setting exists only when its secret is given --

@secure()
@description('DESTINATIONS: JSON list of {name, type, url, secret?, routingKey?, enrich?, callbackSecret?, restApiKey?, closeClassification?, …}; each destination\'s callbackSecret opens status sync for it alone.')
param destinations string = ''

@secure()
@description('INGEST_HMAC_SECRET: whsec_ secret (or a plain shared secret of 16+ characters); when set, POST /api/events requires a Standard Webhooks signature.')
param ingestHmacSecret string = ''

@secure()
@description('DATA_COLLECTOR_SHARED_KEY: base64 key legacy Data Collector senders sign POST /api/logs with.')
param dataCollectorSharedKey string = ''

@secure()
@description('NOTIFY_WEBHOOK_URL: URL told when a delivery target is disabled or re-enabled.')
param notifyWebhookUrl string = ''

// ---- Names ---------------------------------------------------------------------------------------------------------

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var rgName = !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
var functionAppName = '${abbrs.webSitesFunctions}api-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'

var useExistingWorkspace = !empty(existingWorkspaceResourceId)
var workspaceSubscriptionId = useExistingWorkspace ? split(existingWorkspaceResourceId, '/')[2] : subscription().subscriptionId
var workspaceResourceGroupName = useExistingWorkspace ? split(existingWorkspaceResourceId, '/')[4] : rgName
var workspaceName = useExistingWorkspace ? last(split(existingWorkspaceResourceId, '/')) : '${abbrs.operationalInsightsWorkspaces}sentinel-${resourceToken}'

// The Wallarm single table: named by the parameter in single mode, by the catalog otherwise (where the app expects it).
var wallarmTableName = wallarmTableMode == 'single' ? wallarmTable : loadJsonContent('generated/tables.json', '$.wallarmSingleTable')

var secretNames = {
  destinations: 'destinations'
  ingestHmacSecret: 'ingest-hmac-secret'
  dataCollectorSharedKey: 'data-collector-shared-key'
  notifyWebhookUrl: 'notify-webhook-url'
}

@description('An app setting value that the platform resolves from Key Vault with the app\'s identity.')
func kvRef(vaultName string, secretName string) string => '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=${secretName})'

// ---- Resources -----------------------------------------------------------------------------------------------------

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: rgName
  location: location
  tags: tags
}

// The app's only identity: storage, Key Vault references, Logs Ingestion, Sentinel, App Insights.
module apiIdentity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'apiIdentity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
    location: location
    tags: tags
  }
}

module plan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'plan'
  scope: rg
  params: {
    name: '${abbrs.webServerFarms}${resourceToken}'
    sku: {
      name: 'FC1'
      tier: 'FlexConsumption'
    }
    reserved: true
    location: location
    tags: tags
  }
}

// The app's own telemetry lives in a small workspace of its own: a Sentinel workspace bills Sentinel rates.
module telemetryWorkspace 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: 'telemetryWorkspace'
  scope: rg
  params: {
    name: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    location: location
    tags: tags
    dataRetention: 30
  }
}

module appInsights 'br/public:avm/res/insights/component:0.6.0' = {
  name: 'appInsights'
  scope: rg
  params: {
    name: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: telemetryWorkspace.outputs.resourceId
    disableLocalAuth: true
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyVault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    secretNames: secretNames
    destinations: destinations
    ingestHmacSecret: ingestHmacSecret
    dataCollectorSharedKey: dataCollectorSharedKey
    notifyWebhookUrl: notifyWebhookUrl
  }
}

// A new target workspace, when no existing one is given.
module sentinelWorkspace 'br/public:avm/res/operational-insights/workspace:0.11.1' = if (!useExistingWorkspace) {
  name: 'sentinelWorkspace'
  scope: rg
  params: {
    name: workspaceName
    location: location
    tags: tags
    dataRetention: workspaceRetentionInDays
  }
}

// Tables, data collection rules and the roles on them, where the workspace is.
module ingestion 'modules/ingestion.bicep' = {
  name: 'ingestion-${resourceToken}'
  scope: resourceGroup(workspaceSubscriptionId, workspaceResourceGroupName)
  params: {
    workspaceName: workspaceName
    resourceToken: resourceToken
    tags: tags
    principalId: apiIdentity.outputs.principalId
    wallarmTableName: wallarmTableName
    privateLink: ingestionPrivateLink
    onboardSentinel: !useExistingWorkspace && onboardSentinel
    grantSentinelRole: enableIncidentPolling && incidentApi == 'sentinel'
    sentinelRole: sentinelRole
    kqlEnrichment: kqlEnrichment
    dcrDiagnostics: dcrDiagnostics
    dcrAlertActionGroupId: dcrAlertActionGroupId
  }
  dependsOn: [
    rg
    sentinelWorkspace
  ]
}

// Every app setting the app reads (shared/config.ts SETTINGS) except the local-only ones; the Functions host and storage
// settings are added in modules/function-app.bicep. test/infra checks this against SETTINGS.
var sentinelWorkspaces = [
  {
    subscriptionId: workspaceSubscriptionId
    resourceGroup: workspaceResourceGroupName
    workspaceName: workspaceName
    api: incidentApi
    workspaceId: ingestion.outputs.workspaceCustomerId
  }
]

var dataCollectorSettings = {
  DATA_COLLECTOR_WORKSPACE_ID: empty(dataCollectorWorkspaceId) ? ingestion.outputs.workspaceCustomerId : dataCollectorWorkspaceId
  DATA_COLLECTOR_SHARED_KEY: kvRef(keyVault.outputs.name, secretNames.dataCollectorSharedKey)
}

// AZURE_CLOUD from the cloud this deployment runs in: environment().name is AzureCloud, AzureUSGovernment or
// AzureChinaCloud (https://learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-functions-deployment#environment).
var azureClouds = {
  AzureCloud: 'public'
  AzureUSGovernment: 'usgovernment'
  AzureChinaCloud: 'china'
}

var appSettings = union(
  {
    AZURE_CLIENT_ID: apiIdentity.outputs.clientId
    AZURE_CLOUD: azureClouds[environment().name]
    LOG_LEVEL: logLevel
    LOGS_INGESTION_RULES: string(ingestion.outputs.rules)
    INGEST_MAX_BODY_BYTES: string(ingestMaxBodyBytes)
    INGEST_GROUP_COMMIT_MS: string(ingestGroupCommitMs)
    INGEST_INFLIGHT_MB: string(ingestInflightMb)
    DELIVERY_MAX_CONCURRENCY: string(deliveryMaxConcurrency)
    CIRCUIT_FAILURE_RATIO: circuitFailureRatio
    CIRCUIT_MIN_SAMPLES: string(circuitMinSamples)
    CIRCUIT_WINDOW_HOURS: string(circuitWindowHours)
    STATS_FLUSH_SECONDS: string(statsFlushSeconds)
    INGEST_DAILY_CAP_MB: ingestDailyCapMb
    INGEST_TABLE_CAPS_MB: ingestTableCapsMb
    INGEST_CAP_RESUME: ingestCapResume
    SENTINEL_WORKSPACES: enableIncidentPolling ? string(sentinelWorkspaces) : '[]'
    ARM_ENDPOINT: environment().resourceManager
    INCIDENT_POLL_SCHEDULE: incidentPollSchedule
    INCIDENT_LOOKBACK_HOURS: string(incidentLookbackHours)
    INCIDENT_STATUSES: incidentStatuses
    INCIDENT_SEVERITIES: incidentSeverities
    INCIDENT_TAG: incidentTag
    INCIDENT_CLOSE_CLASSIFICATION: incidentCloseClassification
    ALLOW_PRIVATE_DESTINATIONS: string(allowPrivateDestinations)
  },
  wallarmTableMode == 'single' ? { WALLARM_TABLE: wallarmTable } : {},
  empty(dataCollectorSharedKey) ? {} : dataCollectorSettings,
  empty(destinations) ? {} : { DESTINATIONS: kvRef(keyVault.outputs.name, secretNames.destinations) },
  empty(ingestHmacSecret) ? {} : { INGEST_HMAC_SECRET: kvRef(keyVault.outputs.name, secretNames.ingestHmacSecret) },
  empty(notifyWebhookUrl) ? {} : { NOTIFY_WEBHOOK_URL: kvRef(keyVault.outputs.name, secretNames.notifyWebhookUrl) }
)

module api 'modules/function-app.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    planId: plan.outputs.resourceId
    identityId: apiIdentity.outputs.resourceId
    identityClientId: apiIdentity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: appInsights.outputs.name
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    nodeVersion: nodeVersion
    appSettings: appSettings
  }
  // The roles must exist before the host starts reading queues and Key Vault references.
  dependsOn: [
    rbac
  ]
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    principalId: apiIdentity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: appInsights.outputs.name
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

// App roles are directory objects, not Azure resources: granted through the Microsoft Graph Bicep extension.
module graphRoles 'modules/graph-roles.bicep' = if (grantGraphRoles) {
  name: 'graphRoles'
  scope: rg
  params: {
    principalId: apiIdentity.outputs.principalId
  }
}

module sentinelContent 'modules/sentinel-content.bicep' = if (deploySentinelContent) {
  name: 'sentinelContent-${resourceToken}'
  scope: resourceGroup(workspaceSubscriptionId, workspaceResourceGroupName)
  params: {
    workspaceName: workspaceName
    wallarmTableName: wallarmTableName
    incidentTag: incidentTag
    telemetryWorkspaceId: telemetryWorkspace.outputs.resourceId
    rulesEnabled: sentinelRulesEnabled
  }
  dependsOn: [
    ingestion
  ]
}

// ---- Outputs (azd writes them to .azure/<env>/.env) ----------------------------------------------------------------

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output AZURE_FUNCTION_URL string = 'https://${api.outputs.defaultHostName}'
output SENTINEL_BRIDGE_INGEST_URL string = 'https://${api.outputs.defaultHostName}/api/events'
output SENTINEL_BRIDGE_DATA_COLLECTOR_URL string = 'https://${api.outputs.defaultHostName}/api/logs'
// Keys per role (README "Security"): never the keys themselves, the commands that read them. Senders get the key of
// the ingest function only; the operator routes (status, replay, test, admin) open with the master key alone.
output SENTINEL_BRIDGE_INGEST_KEY_COMMAND string = 'az functionapp function keys list -g ${rg.name} -n ${api.outputs.name} --function-name ingestEvents --query default -o tsv'
output SENTINEL_BRIDGE_CALLBACK_KEY_COMMAND string = 'az functionapp function keys list -g ${rg.name} -n ${api.outputs.name} --function-name incidentCallback --query default -o tsv'
output SENTINEL_BRIDGE_OPERATOR_KEY_COMMAND string = 'az functionapp keys list -g ${rg.name} -n ${api.outputs.name} --query masterKey -o tsv'
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output LOG_ANALYTICS_WORKSPACE_ID string = ingestion.outputs.workspaceResourceId
output LOGS_INGESTION_RULES string = string(ingestion.outputs.rules)
output APPLICATIONINSIGHTS_CONNECTION_STRING string = appInsights.outputs.connectionString
