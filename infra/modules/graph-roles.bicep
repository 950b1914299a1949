// Microsoft Graph application roles for the function app's identity, for workspaces read through Microsoft Graph
// ("api": "graph"): SecurityIncident.ReadWrite.All (list, tag, comment, status) and SecurityAlert.Read.All (alerts for
// enrichment). Deployed only with grantGraphRoles, as assigning app roles needs a privileged deployer (Privileged Role
// Administrator, or AppRoleAssignment.ReadWrite.All); README "Permissions" has the commands for granting them by hand.
// Types: the Microsoft Graph Bicep extension, v1.0 types release 1.0.0 (infra/bicepconfig.json names it;
// github.com/microsoftgraph/msgraph-bicep-types, generated/microsoftgraph/microsoft.graph/v1.0/1.0.0).
extension microsoftGraphV1

@description('Principal (object) id of the function app\'s user-assigned identity.')
param principalId string

@description('The Microsoft Graph application roles to grant, by value.')
param appRoles array = [
  'SecurityIncident.ReadWrite.All'
  'SecurityAlert.Read.All'
]

// Microsoft Graph's own service principal: the same appId in every tenant.
resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: '00000003-0000-0000-c000-000000000000'
}

// Each role's id is read from Graph's service principal by its value: the ids differ in some national clouds
// (public cloud: SecurityIncident.ReadWrite.All 34bf0e97-1971-4929-b999-9e2442d941d7, SecurityAlert.Read.All
// 472e4a4d-bb4a-4026-98d1-0b0d74cb74a5).
resource assignments 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for role in appRoles: {
    principalId: principalId
    resourceId: graph.id
    appRoleId: filter(graph.appRoles, r => r.value == role)[0].id
  }
]
