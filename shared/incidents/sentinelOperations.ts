// The Azure Resource Manager operations the Sentinel client makes, one per method of SentinelClient (sentinelClient.ts),
// as data: the custom role in infra/modules/ingestion.bicep grants exactly the actions these need, and
// test/infra/sentinelRole.test.ts holds the role, this list and the client's real requests against each other.
// Paths are templates below ARM's origin; `{workspace}` is workspaceArmId(ws), other braces are names.
import type { SentinelClient } from './sentinelClient.js';

export interface ArmOperation {
  readonly method: 'GET' | 'PUT' | 'POST';
  readonly path: string;
  /** The actions Microsoft documents for it, when ARM's naming rule (type/read|write, type/name/action) does not apply. */
  readonly actions?: readonly string[];
}

const INCIDENTS = '{workspace}/providers/Microsoft.SecurityInsights/incidents';

export const SENTINEL_OPERATIONS = {
  listIncidentPages: { method: 'GET', path: INCIDENTS },
  getIncident: { method: 'GET', path: `${INCIDENTS}/{incidentId}` },
  putIncident: { method: 'PUT', path: `${INCIDENTS}/{incidentId}` },
  putComment: { method: 'PUT', path: `${INCIDENTS}/{incidentId}/comments/{commentId}` },
  listAlerts: { method: 'POST', path: `${INCIDENTS}/{incidentId}/alerts` },
  listEntities: { method: 'POST', path: `${INCIDENTS}/{incidentId}/entities` },
} as const satisfies Record<keyof SentinelClient, ArmOperation>;

/**
 * KQL on the workspace, for KQL enrichment (granted only with the kqlEnrichment parameter). Log Analytics authorizes a
 * query with workspaces/query/read and each table with workspaces/query/<table>/read (both in Microsoft Sentinel
 * Responder: learn.microsoft.com/azure/role-based-access-control/built-in-roles/security#microsoft-sentinel-responder).
 */
export const WORKSPACE_QUERY_OPERATIONS = {
  query: {
    method: 'POST',
    path: '{workspace}/query',
    actions: ['Microsoft.OperationalInsights/workspaces/query/read', 'Microsoft.OperationalInsights/workspaces/query/*/read'],
  },
} as const satisfies Record<string, ArmOperation>;
