// The Azure built-in roles this deployment assigns, by role definition id (GUID), and where each must be assigned.
// Ids checked against Microsoft's built-in roles reference (learn.microsoft.com/azure/role-based-access-control/
// built-in-roles, source MicrosoftDocs/azure-docs articles/role-based-access-control/built-in-roles*.md):
//   Monitoring Metrics Publisher  3913510d-42f4-4e42-8a64-420c390055eb  (built-in-roles/monitor.md)
//   Microsoft Sentinel Responder  3e150937-b8fe-4cfb-8069-0eaf05ecd056  (built-in-roles.md; formerly Azure Sentinel Responder)
//   Storage Queue Data Contributor 974c5e8b-45b9-4653-ba55-5f855dd0fb88 (built-in-roles.md, Storage)
//   Storage Table Data Contributor 0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3 (built-in-roles.md, Storage)
//   Storage Blob Data Owner        b7e6dc6d-f1e8-4753-8033-0f276bb0955b (built-in-roles.md, Storage)
//   Key Vault Secrets User         4633458b-17de-408a-b874-0445c86b69e6 (built-in-roles.md, Security)
//   Key Vault Secrets Officer      b86a8fe4-44ce-4948-aee5-eccb2c155cd7 (built-in-roles.md, Security)
//   Log Analytics Reader           73c42c96-874c-492b-b04d-ab87d138a893 (built-in-roles/monitor.md)

import type { ArmOperation } from '../../shared/incidents/sentinelOperations.js';

/** The custom role infra/modules/ingestion.bicep defines for incident polling (sentinelRole = 'custom'). */
export const CUSTOM_INCIDENT_ROLE = 'Sentinel Bridge incidents (custom role)';

export const BUILT_IN_ROLES: Readonly<Record<string, string>> = {
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
  '3e150937-b8fe-4cfb-8069-0eaf05ecd056': 'Microsoft Sentinel Responder',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User',
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': 'Key Vault Secrets Officer',
  '73c42c96-874c-492b-b04d-ab87d138a893': 'Log Analytics Reader',
};

/** Broad roles, named so a mistake reads clearly; never assigned here. */
export const BROAD_ROLES: Readonly<Record<string, string>> = {
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': 'User Access Administrator',
  'ab8e14d6-4a74-4a29-9ba8-549422addade': 'Microsoft Sentinel Contributor',
  '92aaf0da-9dab-42b6-94a3-d43ce8d16293': 'Log Analytics Contributor',
  '17d1049b-9a84-46fb-8f53-869881c3d3ab': 'Storage Account Contributor',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  '00482a5a-887f-4fb3-b363-3b7fe8e74483': 'Key Vault Administrator',
};

export type Principal = 'app' | 'deployer';

export interface RequiredAssignment {
  readonly role: string;
  /** Resource type the assignment is scoped to (least privilege: never a resource group or subscription). */
  readonly scope: string;
  readonly principal: Principal;
  /** main.bicep parameters the assignment must be conditional on, when it is optional. */
  readonly onlyWhen?: readonly string[];
  readonly why: string;
}

export const REQUIRED_ASSIGNMENTS: readonly RequiredAssignment[] = [
  {
    role: 'Monitoring Metrics Publisher',
    scope: 'Microsoft.Insights/dataCollectionRules',
    principal: 'app',
    why: 'upload through the Logs Ingestion API, on each DCR',
  },
  {
    role: 'Monitoring Metrics Publisher',
    scope: 'Microsoft.Insights/components',
    principal: 'app',
    why: 'App Insights telemetry with local authentication disabled',
  },
  {
    role: CUSTOM_INCIDENT_ROLE,
    scope: 'Microsoft.OperationalInsights/workspaces',
    principal: 'app',
    onlyWhen: ['enableIncidentPolling', 'incidentApi', 'sentinelRole'],
    why: "read incidents, add the label and comments (incident polling with sentinelRole 'custom')",
  },
  {
    role: 'Microsoft Sentinel Responder',
    scope: 'Microsoft.OperationalInsights/workspaces',
    principal: 'app',
    onlyWhen: ['enableIncidentPolling', 'incidentApi', 'sentinelRole'],
    why: "the built-in alternative to the custom role (incident polling with sentinelRole 'responder')",
  },
  {
    role: 'Log Analytics Reader',
    scope: 'Microsoft.OperationalInsights/workspaces',
    principal: 'app',
    onlyWhen: ['kqlEnrichment'],
    why: 'KQL enrichment queries when no Sentinel role carries the query actions (incidents read through Graph)',
  },
  {
    role: 'Storage Queue Data Contributor',
    scope: 'Microsoft.Storage/storageAccounts',
    principal: 'app',
    why: 'the events and incidents queues',
  },
  {
    role: 'Storage Table Data Contributor',
    scope: 'Microsoft.Storage/storageAccounts',
    principal: 'app',
    why: 'ledger, circuit, dead letters, claims',
  },
  {
    role: 'Storage Blob Data Owner',
    scope: 'Microsoft.Storage/storageAccounts',
    principal: 'app',
    why: 'host leases, deployment package, claim checks',
  },
  { role: 'Key Vault Secrets User', scope: 'Microsoft.KeyVault/vaults', principal: 'app', why: 'Key Vault references in app settings' },
  {
    role: 'Key Vault Secrets Officer',
    scope: 'Microsoft.KeyVault/vaults',
    principal: 'deployer',
    onlyWhen: ['principalId'],
    why: 'the person deploying manages the destination secrets',
  },
];

/**
 * The RBAC actions an ARM operation needs: the documented ones when given, else ARM's naming rule — GET of a type →
 * <type>/read, PUT → <type>/write, POST to a name after a resource → <type>/<name>/action.
 */
export function armActions(op: ArmOperation): string[] {
  if (op.actions) return [...op.actions];
  const [namespace, ...segments] = (op.path.split('/providers/').at(-1) ?? '').split('/');
  const types: string[] = [];
  for (let i = 0; i < segments.length; i += 2) {
    const segment = segments[i] as string;
    if (segments[i + 1] === undefined && op.method === 'POST' && types.length) return [`${namespace}/${types.join('/')}/${segment}/action`];
    types.push(segment);
  }
  return [`${namespace}/${types.join('/')}/${op.method === 'GET' ? 'read' : 'write'}`];
}
