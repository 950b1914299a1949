// POST /api/test — "Test integration": one test record per configured stream, sent now, with per-stream advice, and
// one read of each configured workspace's incidents through its API (Sentinel's SecurityInsights or Microsoft Graph),
// with advice naming the role the app needs and where to grant it.
import { randomUUID } from 'node:crypto';
import { streamOf } from '../catalog/tables.js';
import type { Config, SentinelWorkspace } from '../config.js';
import type { DeliveryDeps } from '../delivery/deliver.js';
import type { BridgeResponse } from '../http.js';
import type { IncidentDeps } from '../incidents/deps.js';
import { GraphApiError } from '../incidents/graphClient.js';
import { SentinelApiError } from '../incidents/sentinelClient.js';

/** The custom role the deployment defines and assigns on each workspace (infra/modules/ingestion.bicep, roleName). */
export const INCIDENTS_ROLE = 'Sentinel Bridge incidents';

/** The built-in alternative (role id 3e150937-b8fe-4cfb-8069-0eaf05ecd056). */
export const SENTINEL_RESPONDER = 'Microsoft Sentinel Responder';

/** The Microsoft Graph application roles a `graph` workspace needs (infra/modules/graph-roles.bicep grants them). */
export const GRAPH_APP_ROLES = ['SecurityIncident.ReadWrite.All', 'SecurityAlert.Read.All'] as const;

/** The Bicep parameter that grants GRAPH_APP_ROLES (infra/main.bicep). */
export const GRAPH_ROLES_PARAMETER = 'grantGraphRoles';

export interface StreamTestResult {
  stream: string;
  ruleId: string | null;
  ok: boolean;
  status?: number;
  advice?: string;
}

export interface WorkspaceTestResult {
  workspace: string;
  api: 'sentinel' | 'graph';
  ok: boolean;
  status?: number;
  advice: string;
}

type TestDeps = Pick<IncidentDeps, 'sentinel' | 'graph' | 'config'>;

const workspaceScope = (ws: SentinelWorkspace) =>
  `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${ws.workspaceName}`;

/** Who to grant to: the app's identity by its client id when the settings name it (az resolves it). */
const assignee = (config: Pick<Config, 'AZURE_CLIENT_ID'>) => config.AZURE_CLIENT_ID ?? "<client id of the app's managed identity>";

/** What a refused SecurityInsights call means for the operator, by status. */
function sentinelAdvice(ws: SentinelWorkspace, config: Config, status: number | undefined, message: string): string {
  if (status === 403)
    return `the app's identity may not read incidents on workspace ${ws.workspaceName}: deploy with enableIncidentPolling=true (it assigns the custom role "${INCIDENTS_ROLE} (${ws.workspaceName}, …)"), or assign ${SENTINEL_RESPONDER} at the workspace: az role assignment create --assignee ${assignee(config)} --role "${SENTINEL_RESPONDER}" --scope ${workspaceScope(ws)} — a new assignment can take ~30 minutes to apply`;
  if (status === 401) return 'the token was refused: check the managed identity (AZURE_CLIENT_ID) and the cloud (ARM_ENDPOINT)';
  if (status === 404)
    return `workspace ${ws.workspaceName} was not found in resource group ${ws.resourceGroup} of subscription ${ws.subscriptionId}, or Microsoft Sentinel is not enabled on it`;
  return `reading incidents failed: ${message}`;
}

/** What a refused Graph call means for the operator, by status. */
function graphAdvice(status: number | undefined, message: string): string {
  if (status === 403)
    return `the app's identity lacks the Microsoft Graph application roles ${GRAPH_APP_ROLES.join(' and ')}: deploy with ${GRAPH_ROLES_PARAMETER}=true (the deployer must be a Privileged Role Administrator or hold AppRoleAssignment.ReadWrite.All), or grant them with the commands in README "Permissions" (az rest … /servicePrincipals/{Microsoft Graph}/appRoleAssignedTo); a token keeps its old roles for up to a day`;
  if (status === 401) return 'the token was refused: check the managed identity (AZURE_CLIENT_ID) and the cloud (GRAPH_ENDPOINT)';
  return `reading incidents through Microsoft Graph failed: ${message}`;
}

/** Reads one page of a workspace's incidents, the poller's call: its answer says whether polling can work. */
async function testWorkspace(incidents: TestDeps, ws: SentinelWorkspace): Promise<WorkspaceTestResult> {
  const workspace = `${ws.subscriptionId}/${ws.resourceGroup}/${ws.workspaceName}`;
  const api = ws.api ?? 'sentinel';
  try {
    if (api === 'graph') for await (const _page of incidents.graph.listIncidents({ top: 1 })) break;
    else for await (const _page of incidents.sentinel.listIncidentPages(ws, { top: 1 })) break;
    return { workspace, api, ok: true, advice: 'incidents can be read; the poller will forward new ones' };
  } catch (e) {
    const status = e instanceof SentinelApiError || e instanceof GraphApiError ? e.status : undefined;
    const message = (e as Error).message;
    const advice = api === 'graph' ? graphAdvice(status, message) : sentinelAdvice(ws, incidents.config, status, message);
    return { workspace, api, ok: false, ...(status ? { status } : {}), advice };
  }
}

export async function handleTestIntegration(deps: DeliveryDeps, incidents?: TestDeps): Promise<BridgeResponse> {
  const now = new Date(deps.now()).toISOString();
  const configured = deps.config.LOGS_INGESTION_RULES.flatMap((r) => r.streams.map((stream) => ({ stream, ruleId: r.ruleId })));
  const known = new Set(configured.map((c) => c.stream));
  const results: StreamTestResult[] = await Promise.all(
    configured.map(async ({ stream, ruleId }) => {
      const record = {
        TimeGenerated: now,
        EventId: randomUUID(),
        ReceivedAt: now,
        Source: 'sentinel-bridge',
        EventType: 'SentinelBridgeTest',
        RawData: { test: true, sentAt: now },
      };
      const result = await deps.sender.send(stream, [record]);
      deps.usage.record(stream, result.deliveredBytes);
      const failure = result.failures[0];
      return failure
        ? { stream, ruleId, ok: false, ...(failure.info.status ? { status: failure.info.status } : {}), advice: failure.info.reason }
        : {
            stream,
            ruleId,
            ok: true,
            advice: 'test record sent; it shows in the table within a few minutes (EventType == "SentinelBridgeTest")',
          };
    }),
  );
  const unconfigured: StreamTestResult[] = deps.catalog.tables
    .map((t) => streamOf(t.table))
    .filter((s) => !known.has(s))
    .map((stream) => ({
      stream,
      ruleId: null,
      ok: false,
      advice: 'no DCR takes this stream: add it to LOGS_INGESTION_RULES (the Bicep deployment sets every catalog stream)',
    }));
  const workspaces = incidents ? await Promise.all(incidents.config.SENTINEL_WORKSPACES.map((ws) => testWorkspace(incidents, ws))) : [];
  const ok = results.length > 0 && results.every((r) => r.ok) && workspaces.every((w) => w.ok);
  return { status: 200, jsonBody: { ok, streams: results, unconfigured, workspaces } };
}
