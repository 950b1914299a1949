// Everything in the target Log Analytics workspace's resource group: a custom table per catalog table, the data
// collection rules (kind Direct: each has its own logs-ingestion endpoint) that declare the tables' streams and route
// them, and the app identity's roles on them. Tables and stream declarations come from infra/generated/*.json
// (`npm run infra:generate`), so they always match the catalog the app validates with.
//
// A DCR holds at most 10 streams and 10 data flows; the generator groups the streams into rules (dcrs.json) and this
// module creates one DCR per group. The app finds the rule of each stream in LOGS_INGESTION_RULES (output `rules`).

@description('Name of the Log Analytics workspace (in this resource group).')
param workspaceName string

@description('Suffix for resource names.')
param resourceToken string

param tags object

@description('Principal (object) id of the function app\'s identity.')
param principalId string

@description('Name of the Wallarm single table (the catalog entry marked wallarmSingle).')
param wallarmTableName string

@description('Ingest through a data collection endpoint with public access disabled (Azure Monitor Private Link).')
param privateLink bool = false

@description('Enable Microsoft Sentinel on the workspace (for a workspace this deployment created).')
param onboardSentinel bool = false

@description('Give the app a Sentinel role on the workspace: only when incident polling is enabled.')
param grantSentinelRole bool = false

@allowed(['custom', 'responder'])
@description('custom: a role with only the incident actions the bridge calls (it needs Owner or User Access Administrator to deploy). responder: the built-in Microsoft Sentinel Responder, which also grants workspace queries, automation rules and deployments.')
param sentinelRole string = 'custom'

@description('Let the app run KQL queries on the workspace (only for KQL enrichment queries): the custom role gets the query actions; without a Sentinel role the app gets Log Analytics Reader.')
param kqlEnrichment bool = false

@description('Send each DCR\'s error logs (DCRLogErrors) to the workspace and alert on any error.')
param dcrDiagnostics bool = true

@description('Resource id of an action group the DCR error alert notifies; empty: the alert only shows in Azure Monitor.')
param dcrAlertActionGroupId string = ''

var roles = {
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher: upload through a DCR
  microsoftSentinelResponder: '3e150937-b8fe-4cfb-8069-0eaf05ecd056' // Microsoft Sentinel Responder: the documented alternative to the custom role
  logAnalyticsReader: '73c42c96-874c-492b-b04d-ab87d138a893' // Log Analytics Reader: KQL enrichment queries without a Sentinel role (incidents read through Graph)
}

// The actions of shared/incidents/sentinelOperations.ts, named as Microsoft documents them
// (learn.microsoft.com/azure/role-based-access-control/permissions/security#microsoftsecurityinsights). The two POSTs
// have no entry in that list; ARM authorizes a POST as <resource type>/<action>/action, which Responder grants through
// incidents/*. test/infra/roles.test.ts holds this list against the client's operations.
var incidentActions = [
  'Microsoft.SecurityInsights/incidents/read' // list and get incidents
  'Microsoft.SecurityInsights/incidents/write' // status, owner, classification and labels are fields of the incident
  'Microsoft.SecurityInsights/incidents/comments/write'
  'Microsoft.SecurityInsights/incidents/alerts/action' // POST incidents/{id}/alerts
  'Microsoft.SecurityInsights/incidents/entities/action' // POST incidents/{id}/entities
]

// Running KQL on the workspace and reading its tables (the query actions of Microsoft Sentinel Responder).
var queryActions = [
  'Microsoft.OperationalInsights/workspaces/query/read'
  'Microsoft.OperationalInsights/workspaces/query/*/read'
]

var useCustomRole = grantSentinelRole && sentinelRole == 'custom'

var catalog = loadJsonContent('../generated/tables.json')
var ingestionRules = loadJsonContent('../generated/dcrs.json')

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource sentinel 'Microsoft.SecurityInsights/onboardingStates@2024-03-01' = if (onboardSentinel) {
  name: 'default'
  scope: workspace
  properties: {}
}

resource tables 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = [
  for entry in catalog.tables: {
    parent: workspace
    name: entry.wallarmSingle ? wallarmTableName : entry.table
    properties: {
      plan: 'Analytics'
      schema: {
        name: entry.wallarmSingle ? wallarmTableName : entry.table
        description: entry.description
        columns: entry.columns
      }
    }
  }
]

resource endpoint 'Microsoft.Insights/dataCollectionEndpoints@2023-03-11' = if (privateLink) {
  name: 'dce-${resourceToken}'
  location: workspace.location
  tags: tags
  properties: {
    networkAcls: {
      publicNetworkAccess: 'Disabled'
    }
  }
}

resource dataCollectionRules 'Microsoft.Insights/dataCollectionRules@2023-03-11' = [
  for rule in ingestionRules.rules: {
    name: 'dcr-${resourceToken}-${rule.name}'
    location: workspace.location
    tags: tags
    kind: 'Direct'
    properties: union(
      {
        description: 'Sentinel Bridge: ${join(map(rule.streams, s => s.wallarmSingle ? wallarmTableName : s.table), ', ')}'
        streamDeclarations: toObject(
          rule.streams,
          s => 'Custom-${s.wallarmSingle ? wallarmTableName : s.table}',
          s => { columns: s.columns }
        )
        destinations: {
          logAnalytics: [
            {
              name: 'workspace'
              workspaceResourceId: workspace.id
            }
          ]
        }
        dataFlows: map(rule.streams, s => {
          streams: ['Custom-${s.wallarmSingle ? wallarmTableName : s.table}']
          destinations: ['workspace']
          transformKql: s.transformKql
          outputStream: 'Custom-${s.wallarmSingle ? wallarmTableName : s.table}'
        })
      },
      privateLink ? { dataCollectionEndpointId: endpoint.id } : {}
    )
    dependsOn: [
      tables
    ]
  }
]

resource publishers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (rule, i) in ingestionRules.rules: {
    name: guid(dataCollectionRules[i].id, principalId, roles.monitoringMetricsPublisher)
    scope: dataCollectionRules[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

// Custom role names are unique in the tenant: the workspace and the environment's token make it so.
resource incidentRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (useCustomRole) {
  name: guid(resourceGroup().id, workspace.id, resourceToken, 'sentinel-bridge-incidents')
  properties: {
    roleName: 'Sentinel Bridge incidents (${workspaceName}, ${resourceToken})'
    description: 'Sentinel Bridge: read incidents, their alerts and entities; write incidents, labels and comments${kqlEnrichment ? '; run KQL queries' : ''}.'
    type: 'CustomRole'
    permissions: [
      {
        actions: kqlEnrichment ? concat(incidentActions, queryActions) : incidentActions
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource sentinelIncidents 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useCustomRole) {
  name: guid(workspace.id, principalId, 'sentinel-bridge-incidents')
  scope: workspace
  properties: {
    roleDefinitionId: incidentRole.id
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource sentinelResponder 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantSentinelRole && sentinelRole == 'responder') {
  name: guid(workspace.id, principalId, roles.microsoftSentinelResponder)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.microsoftSentinelResponder)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// KQL enrichment queries when no Sentinel role carries the query actions (custom role with kqlEnrichment, or Responder).
resource queryReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (kqlEnrichment && !grantSentinelRole) {
  name: guid(workspace.id, principalId, roles.logAnalyticsReader)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.logAnalyticsReader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// DCR error logs: a 204 from the Logs Ingestion API means accepted, not stored. Rows a transformation or delivery
// drops are logged, per DCR, in the category LogErrors → table DCRLogErrors
// (learn.microsoft.com/azure/azure-monitor/essentials/data-collection-monitor,
// learn.microsoft.com/azure/azure-monitor/reference/supported-logs/microsoft-insights-datacollectionrules-logs).
resource dcrErrorLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [
  for (rule, i) in ingestionRules.rules: if (dcrDiagnostics) {
    name: 'sentinel-bridge-errors'
    scope: dataCollectionRules[i]
    properties: {
      workspaceId: workspace.id
      logs: [
        {
          category: 'LogErrors'
          enabled: true
        }
      ]
    }
  }
]

resource dcrErrorAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = if (dcrDiagnostics) {
  name: 'sentinel-bridge-dcr-errors-${resourceToken}'
  location: workspace.location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Sentinel Bridge: data collection rule errors'
    description: 'Rows sent to a Sentinel Bridge DCR were not stored: a transformation failed, a column or row was dropped, or the Logs Ingestion API refused a payload (DCRLogErrors, last 15 minutes). The app saw a 204, so only this log shows the loss. OperationName says Ingestion or Transformation; Message says why; InputStreamId names the stream.'
    severity: 2
    enabled: true
    scopes: [
      workspace.id
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'DCRLogErrors | where _ResourceId has "/datacollectionrules/dcr-${toLower(resourceToken)}-"'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    // DCRLogErrors exists once the first error has been logged; the rule must deploy before that.
    skipQueryValidation: true
    autoMitigate: true
    actions: {
      actionGroups: empty(dcrAlertActionGroupId) ? [] : [dcrAlertActionGroupId]
    }
  }
  dependsOn: [
    dcrErrorLogs
  ]
}

@description('LOGS_INGESTION_RULES: the endpoint, immutable id and streams of each DCR.')
output rules array = [
  for (rule, i) in ingestionRules.rules: {
    endpoint: privateLink ? endpoint.properties.logsIngestion.endpoint : dataCollectionRules[i].properties.endpoints.logsIngestion
    ruleId: dataCollectionRules[i].properties.immutableId
    streams: map(rule.streams, s => 'Custom-${s.wallarmSingle ? wallarmTableName : s.table}')
  }
]

output workspaceResourceId string = workspace.id
output workspaceCustomerId string = workspace.properties.customerId
