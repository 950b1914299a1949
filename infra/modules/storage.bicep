// The app's storage account: identity-only access (shared keys disabled), TLS 1.2, no public blobs. Holds the Functions
// host's state, the Flex Consumption deployment package, and the queues, tables and containers of
// shared/storage/names.ts (via infra/generated/storage.json).

@description('Storage account name (3–24 lowercase letters and digits).')
param name string

param location string

param tags object

@description('Blob container the Flex Consumption deployment package is uploaded to.')
param deploymentContainerName string

var storageNames = loadJsonContent('../generated/storage.json')

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
    }

    resource containers 'containers' = [
      for container in storageNames.containers: {
        name: container
      }
    ]
  }

  resource queueService 'queueServices' = {
    name: 'default'

    resource queues 'queues' = [
      for queue in storageNames.queues: {
        name: queue
      }
    ]
  }

  resource tableService 'tableServices' = {
    name: 'default'

    resource tables 'tables' = [
      for table in storageNames.tables: {
        name: table
      }
    ]
  }
}

output name string = storage.name
output id string = storage.id
