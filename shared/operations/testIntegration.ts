// POST /api/test — "Test integration": one test record per configured stream, sent now, with per-stream advice, and
// one read of each configured Sentinel workspace's incidents API, with advice naming the role the app needs.
import { randomUUID } from 'node:crypto';
import { streamOf } from '../catalog/tables.js';
import type { SentinelWorkspace } from '../config.js';
import type { DeliveryDeps } from '../delivery/deliver.js';
import type { BridgeResponse } from '../http.js';
import type { IncidentDeps } from '../incidents/deps.js';
import { SentinelApiError } from '../incidents/sentinelClient.js';

/** The custom role the deployment defines and assigns on each workspace (infra/modules/ingestion.bicep, roleName). */
export const INCIDENTS_ROLE = 'Sentinel Bridge incidents';

export interface StreamTestResult {
  stream: string;
  ruleId: string | null;
  ok: boolean;
  status?: number;
  advice?: string;
}

export interface WorkspaceTestResult {
  workspace: string;
  ok: boolean;
  status?: number;
  advice: string;
}

/** What a refused incidents call means for the operator, by status. */
function sentinelAdvice(ws: SentinelWorkspace, status: number | undefined, message: string): string {
  if (status === 403)
    return `the app's identity may not read incidents: assign it the custom role "${INCIDENTS_ROLE} (${ws.workspaceName}, …)" the deployment defines (sentinelRole=custom; Microsoft Sentinel Responder is the broader alternative) on workspace ${ws.workspaceName}; a new assignment can take ~30 minutes to apply`;
  if (status === 401) return 'the token was refused: check the managed identity (AZURE_CLIENT_ID) and the cloud (ARM_ENDPOINT)';
  if (status === 404)
    return `workspace ${ws.workspaceName} was not found in resource group ${ws.resourceGroup} of subscription ${ws.subscriptionId}, or Microsoft Sentinel is not enabled on it`;
  return `reading incidents failed: ${message}`;
}

/** Reads one page of a workspace's incidents: the call the poller makes, so its answer says whether polling can work. */
async function testWorkspace(incidents: Pick<IncidentDeps, 'sentinel'>, ws: SentinelWorkspace): Promise<WorkspaceTestResult> {
  const workspace = `${ws.subscriptionId}/${ws.resourceGroup}/${ws.workspaceName}`;
  try {
    for await (const _page of incidents.sentinel.listIncidentPages(ws, { top: 1 })) break;
    return { workspace, ok: true, advice: 'incidents can be read; the poller will forward new ones' };
  } catch (e) {
    const status = e instanceof SentinelApiError ? e.status : undefined;
    return { workspace, ok: false, ...(status ? { status } : {}), advice: sentinelAdvice(ws, status, (e as Error).message) };
  }
}

export async function handleTestIntegration(
  deps: DeliveryDeps,
  incidents?: Pick<IncidentDeps, 'sentinel' | 'config'>,
): Promise<BridgeResponse> {
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
