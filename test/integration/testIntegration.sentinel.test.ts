// POST /api/test reads each configured workspace's incidents through its API, as the poller does — Sentinel's
// SecurityInsights (the Sentinel ARM emulator) or Microsoft Graph (the Graph emulator) — and on a 403 names what to
// grant and where: the Azure role and its scope for Sentinel, the Graph application roles and the Bicep parameter for
// Graph. The emulators answer 403 as the services do (ARM AuthorizationFailed, Graph "Missing application roles").
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.js';
import {
  GRAPH_APP_ROLES,
  GRAPH_ROLES_PARAMETER,
  handleTestIntegration,
  INCIDENTS_ROLE,
  SENTINEL_RESPONDER,
  type WorkspaceTestResult,
} from '../../shared/operations/testIntegration.js';
import { appOf } from '../../tools/dev/apps.js';
import { startGraphEmulator } from '../../tools/emulators/graph.js';
import type { RunningEmulator } from '../../tools/emulators/server.js';
import { emulatorCall } from '../support/emulatorClient.js';
import { call, reset, sentinelCall, useIncidentStack, WS_A, WS_B, wsId } from './incidents.harness.js';

const stack = useIncidentStack();
const WS_XDR = { subscriptionId: '00000000-0000-4000-8000-0000000000c1', resourceGroup: 'rg-xdr', workspaceName: 'sentinel-xdr' };
let graph: RunningEmulator;

beforeAll(async () => {
  graph = await startGraphEmulator({ port: 0, dataDir: join(mkdtempSync(join(tmpdir(), 'test-graph-')), 'graph'), tls: stack.current.tls });
});
afterAll(() => graph?.close());

const graphCall = (method: string, path: string, body?: unknown) => call(graph.url, method, path, body, stack.current.tls.ca);

async function workspaces(): Promise<{ ok: boolean; workspaces: WorkspaceTestResult[] }> {
  const config = loadConfig({
    ...process.env,
    GRAPH_ENDPOINT: graph.url,
    SENTINEL_WORKSPACES: JSON.stringify([WS_A, WS_B, { ...WS_XDR, api: 'graph' }]),
  });
  const app = appOf(config);
  return (await handleTestIntegration(app.delivery, app.incidents)).jsonBody as { ok: boolean; workspaces: WorkspaceTestResult[] };
}

const label = (ws: typeof WS_A) => `${ws.subscriptionId}/${ws.resourceGroup}/${ws.workspaceName}`;

beforeEach(async () => {
  await reset(stack.current);
  await Promise.all([sentinelCall(stack.current, 'DELETE', '/_emulator/actions'), graphCall('DELETE', '/_emulator/roles')]);
});

describe('POST /api/test and the incident workspaces', () => {
  it('says each workspace can be read, through its own API', async () => {
    const result = await workspaces();
    expect(result.workspaces.map((w) => [w.workspace, w.api, w.ok])).toEqual([
      [label(WS_A), 'sentinel', true],
      [label(WS_B), 'sentinel', true],
      [label(WS_XDR), 'graph', true],
    ]);
  });

  it('a Sentinel 403 names Microsoft Sentinel Responder, the workspace scope and the az command; the Graph workspace is unaffected', async () => {
    await sentinelCall(stack.current, 'PUT', '/_emulator/actions', { actions: ['Microsoft.SecurityInsights/incidents/comments/write'] });
    const result = await workspaces();
    expect(result.ok).toBe(false);
    const [a, b, xdr] = result.workspaces;
    expect([a?.status, b?.status, xdr?.ok]).toEqual([403, 403, true]);
    expect(a?.advice).toContain(`--role "${SENTINEL_RESPONDER}" --scope ${wsId(WS_A)}`);
    expect(a?.advice).toMatch(/^the app's identity may not read incidents on workspace sentinel-a: /);
    expect(a?.advice).toContain('az role assignment create --assignee ');
    expect(a?.advice).toContain(`custom role "${INCIDENTS_ROLE} (sentinel-a, …)"`);
    expect(b?.advice).toContain(`--scope ${wsId(WS_B)}`);
  });

  it('a role granting the incident actions (as Responder does, incidents/*) reads again', async () => {
    await sentinelCall(stack.current, 'PUT', '/_emulator/actions', { actions: ['Microsoft.SecurityInsights/incidents/*'] });
    expect((await workspaces()).workspaces.every((w) => w.ok)).toBe(true);
  });

  it('a Graph 403 names the missing application roles, the Bicep parameter and the README fallback', async () => {
    await graphCall('PUT', '/_emulator/roles', { roles: ['User.Read.All'] });
    const result = await workspaces();
    expect(result.ok).toBe(false);
    const xdr = result.workspaces.find((w) => w.api === 'graph');
    expect(xdr).toMatchObject({ workspace: label(WS_XDR), ok: false, status: 403 });
    for (const role of GRAPH_APP_ROLES) expect(xdr?.advice).toContain(role);
    expect(xdr?.advice).toContain(`${GRAPH_ROLES_PARAMETER}=true`);
    expect(xdr?.advice).toContain('README "Permissions"');
    expect(result.workspaces.filter((w) => w.api === 'sentinel').every((w) => w.ok)).toBe(true);
  });

  it("the emulators' 403 bodies are the services': ARM AuthorizationFailed naming the action, Graph's missing roles", async () => {
    const bearer = { headers: { authorization: 'Bearer test' } };
    await sentinelCall(stack.current, 'PUT', '/_emulator/actions', { actions: ['Microsoft.SecurityInsights/incidents/read'] });
    const put = await emulatorCall<{ error: { code: string; message: string } }>(
      stack.current.sentinel.url,
      stack.current.tls.ca,
      'PUT',
      `${wsId(WS_A)}/providers/Microsoft.SecurityInsights/incidents/x/comments/y?api-version=2025-09-01`,
      { properties: { message: 'm' } },
      bearer,
    );
    expect(put.status).toBe(403);
    expect(put.json.error.code).toBe('AuthorizationFailed');
    expect(put.json.error.message).toMatch(
      /does not have authorization to perform action 'Microsoft\.SecurityInsights\/incidents\/comments\/write' over scope '\/subscriptions\/.*\/comments\/y' or the scope is invalid/,
    );
    await graphCall('PUT', '/_emulator/roles', { roles: ['SecurityIncident.Read.All'] });
    const patch = await emulatorCall<{ error: { code: string; message: string } }>(
      graph.url,
      stack.current.tls.ca,
      'PATCH',
      '/v1.0/security/incidents/1',
      { status: 'active' },
      bearer,
    );
    expect(patch.status).toBe(403);
    expect(patch.json.error).toMatchObject({
      code: 'Forbidden',
      message:
        'Missing application roles. API required roles: SecurityIncident.ReadWrite.All, application roles: SecurityIncident.Read.All.',
    });
    // Listing needs only one of the read roles.
    expect((await workspaces()).workspaces.every((w) => w.ok)).toBe(true);
  });

  it('names the role the Bicep defines and the parameter that grants the Graph roles', () => {
    const ingestion = readFileSync(new URL('../../infra/modules/ingestion.bicep', import.meta.url), 'utf8');
    expect(ingestion).toContain(`roleName: '${INCIDENTS_ROLE} (\${workspaceName}, \${resourceToken})'`);
    const main = readFileSync(new URL('../../infra/main.bicep', import.meta.url), 'utf8');
    expect(main).toMatch(new RegExp(`^param ${GRAPH_ROLES_PARAMETER} bool = false$`, 'm'));
  });
});
