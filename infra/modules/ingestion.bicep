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

@description('Grant Microsoft Sentinel Responder on the workspace: only when incident polling is enabled.')
param grantSentinelResponder bool = false

var roles = {
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher: upload through a DCR
  microsoftSentinelResponder: '3e150937-b8fe-4cfb-8069-0eaf05ecd056' // Microsoft Sentinel Responder: read incidents, add labels and comments
}

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

resource sentinelResponder 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantSentinelResponder) {
  name: guid(workspace.id, principalId, roles.microsoftSentinelResponder)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.microsoftSentinelResponder)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
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
