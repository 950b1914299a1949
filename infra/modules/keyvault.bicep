// Key Vault for the bridge's secrets (Azure RBAC, no access policies). Each secret is written only when given; the
// app settings reference them by name (@Microsoft.KeyVault(VaultName=…;SecretName=…)) with the app's identity, which
// holds Key Vault Secrets User (modules/rbac.bicep).

param name string

param location string

param tags object

@description('Secret name per setting: destinations, ingestHmacSecret, dataCollectorSharedKey, notifyWebhookUrl.')
param secretNames object

@secure()
param destinations string = ''

@secure()
param ingestHmacSecret string = ''

@secure()
param dataCollectorSharedKey string = ''

@secure()
param notifyWebhookUrl string = ''

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    publicNetworkAccess: 'Enabled'
  }
}

resource destinationsSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(destinations)) {
  parent: vault
  name: secretNames.destinations
  properties: {
    value: destinations
    contentType: 'application/json'
  }
}

resource ingestHmacSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(ingestHmacSecret)) {
  parent: vault
  name: secretNames.ingestHmacSecret
  properties: {
    value: ingestHmacSecret
  }
}

resource dataCollectorSharedKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(dataCollectorSharedKey)) {
  parent: vault
  name: secretNames.dataCollectorSharedKey
  properties: {
    value: dataCollectorSharedKey
  }
}

resource notifyWebhookUrlSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(notifyWebhookUrl)) {
  parent: vault
  name: secretNames.notifyWebhookUrl
  properties: {
    value: notifyWebhookUrl
  }
}

output name string = vault.name
output id string = vault.id
output uri string = vault.properties.vaultUri
