// POST /api/test reads each configured Sentinel workspace's incidents, as the poller does, and names the custom role
// the deployment assigns when the answer is 403 — against the Sentinel ARM emulator.
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.js';
import { handleTestIntegration, INCIDENTS_ROLE, type WorkspaceTestResult } from '../../shared/operations/testIntegration.js';
import { appOf } from '../../tools/dev/apps.js';
import { reset, sentinelCall, useIncidentStack, WS_A, WS_B } from './incidents.harness.js';

const stack = useIncidentStack();

async function workspaces(): Promise<{ ok: boolean; workspaces: WorkspaceTestResult[] }> {
  const app = appOf(loadConfig(process.env));
  return (await handleTestIntegration(app.delivery, app.incidents)).jsonBody as { ok: boolean; workspaces: WorkspaceTestResult[] };
}

const label = (ws: typeof WS_A) => `${ws.subscriptionId}/${ws.resourceGroup}/${ws.workspaceName}`;

beforeEach(() => reset(stack.current));

describe('POST /api/test and the Sentinel workspaces', () => {
  it('says each workspace can be read', async () => {
    const result = await workspaces();
    expect(result.workspaces.map((w) => [w.workspace, w.ok])).toEqual([
      [label(WS_A), true],
      [label(WS_B), true],
    ]);
  });

  it('names the custom role on a 403, and is not ok', async () => {
    await sentinelCall(stack.current, 'POST', '/_emulator/faults', { status: 403, count: 1 });
    const result = await workspaces();
    expect(result.ok).toBe(false);
    const refused = result.workspaces.filter((w) => !w.ok);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.status).toBe(403);
    expect(refused[0]?.advice).toMatch(new RegExp(`custom role "${INCIDENTS_ROLE} \\(sentinel-[ab], …\\)"`));
    expect(refused[0]?.advice).toContain('Microsoft Sentinel Responder');
  });

  it('names the role the Bicep defines', () => {
    const bicep = readFileSync(new URL('../../infra/modules/ingestion.bicep', import.meta.url), 'utf8');
    expect(bicep).toContain(`roleName: '${INCIDENTS_ROLE} (\${workspaceName}, \${resourceToken})'`);
  });
});
