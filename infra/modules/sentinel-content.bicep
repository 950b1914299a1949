// Optional Microsoft Sentinel content in the target workspace: the Sentinel Bridge workbook (events per table,
// delivery health from SentinelBridgeHealth_CL, incidents forwarded; a Telemetry tab with the app's metrics from
// AppMetrics) and the Wallarm analytic rules. Sources: infra/sentinel/workbook.json and
// infra/sentinel/analytic-rules.json (expanded into infra/generated/sentinel-rules.json). The workspace needs
// Microsoft Sentinel for the rules.

param workspaceName string

@description('Name of the Wallarm single table (replaces __WALLARM_TABLE__ in the queries).')
param wallarmTableName string

@description('Label the bridge adds to forwarded incidents (replaces __INCIDENT_TAG__ in the workbook).')
param incidentTag string

@description('Resource id of the Log Analytics workspace behind the app\'s Application Insights (the workbook\'s Telemetry tab reads AppMetrics there; replaces __TELEMETRY_WORKSPACE_ID__).')
param telemetryWorkspaceId string

@description('Create the analytic rules enabled.')
param rulesEnabled bool = true

var catalog = loadJsonContent('../generated/tables.json')
var sentinelRules = loadJsonContent('../generated/sentinel-rules.json')
var bridgeTables = join(map(catalog.tables, t => t.wallarmSingle ? wallarmTableName : t.table), ', ')
var workbookTemplate = loadTextContent('../sentinel/workbook.json')

@description('A text as the content of a JSON string: backslash, double quote and line breaks escaped.')
func jsonText(text string) string => replace(replace(replace(replace(text, '\\', '\\\\'), '"', '\\"'), '\n', '\\n'), '\r', '\\r')

@description('A text as the content of a single-quoted KQL string: backslash, quote and line breaks escaped (learn.microsoft.com/kusto/query/scalar-data-types/string).')
func kqlText(text string) string => replace(replace(replace(replace(text, '\\', '\\\\'), '\'', '\\\''), '\n', '\\n'), '\r', '\\r')

// The workbook is JSON text: its queries hold the tag as the KQL string '__INCIDENT_TAG__', its Markdown as plain text.
// Both are escaped, so a tag with a quote or a backslash neither breaks the JSON nor ends the KQL string.
var workbookTags = replace(
  replace(workbookTemplate, '\'__INCIDENT_TAG__\'', jsonText('\'${kqlText(incidentTag)}\'')),
  '__INCIDENT_TAG__',
  jsonText(incidentTag)
)
var workbookContent = replace(
  replace(workbookTags, '__BRIDGE_TABLES__', bridgeTables),
  '__TELEMETRY_WORKSPACE_ID__',
  telemetryWorkspaceId
)

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(workspace.id, 'sentinel-bridge-workbook')
  location: workspace.location
  kind: 'shared'
  properties: {
    displayName: 'Sentinel Bridge'
    category: 'sentinel'
    version: 'Notebook/1.0'
    sourceId: workspace.id
    serializedData: workbookContent
  }
}

resource analyticRules 'Microsoft.SecurityInsights/alertRules@2024-03-01' = [
  for rule in sentinelRules.rules: {
    name: guid(workspace.id, 'sentinel-bridge', rule.id)
    scope: workspace
    kind: 'Scheduled'
    properties: union(rule.properties, {
      query: replace(rule.properties.query, '__WALLARM_TABLE__', wallarmTableName)
      enabled: rulesEnabled
    })
  }
]
