// Least privilege for incident polling: the custom role in infra/modules/ingestion.bicep grants exactly the actions of
// the operations the Sentinel client declares (shared/incidents/sentinelOperations.ts), and the client's real requests,
// recorded by the Sentinel emulator, are those declared operations and no others.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAzureAccess } from '../../shared/azure/credential.js';
import { loadConfig } from '../../shared/config.js';
import { createSentinelClient, type SentinelClient } from '../../shared/incidents/sentinelClient.js';
import { type ArmOperation, SENTINEL_OPERATIONS, WORKSPACE_QUERY_OPERATIONS } from '../../shared/incidents/sentinelOperations.js';
import { workspaceArmId } from '../../shared/incidents/workspaces.js';
import { startSentinelEmulator } from '../../tools/emulators/sentinel.js';
import type { RunningEmulator } from '../../tools/emulators/server.js';
import { type EmulatorTls, emulatorTls } from '../../tools/emulators/tls.js';
import { checkRoles, loadProject, ROLE_OPERATIONS, readInfraFiles } from '../../tools/infra/check.js';
import { armActions } from '../../tools/infra/roles.js';
import { emulatorCall } from '../support/emulatorClient.js';

const INGESTION = 'infra/modules/ingestion.bicep';
let files: Record<string, string>;

beforeAll(() => {
  files = readInfraFiles();
});

const rolesWith = async (edit?: [string, string], operations = ROLE_OPERATIONS) => {
  const copy = { ...files };
  if (edit) {
    expect(copy[INGESTION]).toContain(edit[0]);
    copy[INGESTION] = (copy[INGESTION] as string).replace(edit[0], edit[1]);
  }
  return checkRoles(await loadProject(copy), operations).map((p) => p.message);
};

describe('actions of the ARM operations', () => {
  it("follow Microsoft's names: GET → read, PUT → write, POST to a name → <name>/action; documented ones as given", () => {
    const actions = Object.fromEntries(
      Object.entries({ ...SENTINEL_OPERATIONS, ...WORKSPACE_QUERY_OPERATIONS }).map(([name, op]) => [name, armActions(op)]),
    );
    // Names from learn.microsoft.com/azure/role-based-access-control/permissions/security#microsoftsecurityinsights
    expect(actions).toEqual({
      listIncidentPages: ['Microsoft.SecurityInsights/incidents/read'],
      getIncident: ['Microsoft.SecurityInsights/incidents/read'],
      putIncident: ['Microsoft.SecurityInsights/incidents/write'],
      putComment: ['Microsoft.SecurityInsights/incidents/comments/write'],
      listAlerts: ['Microsoft.SecurityInsights/incidents/alerts/action'],
      listEntities: ['Microsoft.SecurityInsights/incidents/entities/action'],
      query: ['Microsoft.OperationalInsights/workspaces/query/read', 'Microsoft.OperationalInsights/workspaces/query/*/read'],
    });
  });
});

describe('the custom Sentinel role', () => {
  it('grants exactly what the client calls, with and without KQL enrichment', async () => {
    expect(await rolesWith()).toEqual([]);
  });

  it('fails when the role lacks an action the client needs', async () => {
    const found = await rolesWith(["  'Microsoft.SecurityInsights/incidents/comments/write'\n", '']);
    expect(found).toContain(
      'incidentRole lacks Microsoft.SecurityInsights/incidents/comments/write, which putComment (PUT {workspace}/providers/Microsoft.SecurityInsights/incidents/{incidentId}/comments/{commentId}) needs (with kqlEnrichment false)',
    );
  });

  it('fails when the role grants what the client never calls', async () => {
    const wider = await rolesWith([
      "  'Microsoft.SecurityInsights/incidents/read' // list and get incidents\n",
      "  'Microsoft.SecurityInsights/incidents/read'\n  'Microsoft.SecurityInsights/automationRules/write'\n",
    ]);
    expect(wider).toContain(
      'incidentRole grants Microsoft.SecurityInsights/automationRules/write, which no operation of the client needs (with kqlEnrichment false)',
    );
    const alwaysQuery = await rolesWith([
      'actions: kqlEnrichment ? concat(incidentActions, queryActions) : incidentActions',
      'actions: concat(incidentActions, queryActions)',
    ]);
    expect(alwaysQuery).toContain(
      'incidentRole grants Microsoft.OperationalInsights/workspaces/query/read, which no operation of the client needs (with kqlEnrichment false)',
    );
  });

  it('fails when the client gains an operation the role does not grant', async () => {
    const listTasks: ArmOperation = { method: 'GET', path: '{workspace}/providers/Microsoft.SecurityInsights/incidents/{id}/tasks' };
    const found = await rolesWith(undefined, { ...ROLE_OPERATIONS, sentinel: { ...SENTINEL_OPERATIONS, listTasks } });
    expect(found).toContain(
      'incidentRole lacks Microsoft.SecurityInsights/incidents/tasks/read, which listTasks (GET {workspace}/providers/Microsoft.SecurityInsights/incidents/{id}/tasks) needs (with kqlEnrichment false)',
    );
  });
});

describe("the client's requests", () => {
  const ws = { subscriptionId: '00000000-0000-4000-8000-000000000001', resourceGroup: 'rg-sec', workspaceName: 'sentinel-a' };
  let tls: EmulatorTls;
  let emulator: RunningEmulator;
  let client: SentinelClient;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sentinel-role-'));
    tls = await emulatorTls(dir);
    emulator = await startSentinelEmulator({ port: 0, dataDir: join(dir, 'state'), tls, workspaces: [ws], pageSize: 10 });
    const config = loadConfig({
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      ARM_ENDPOINT: emulator.url,
      BRIDGE_CREDENTIAL: 'emulator',
      EMULATOR_CA_FILE: tls.caFile,
    });
    client = createSentinelClient(config.ARM_ENDPOINT, createAzureAccess(config), { maxRetries: 0 });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  /** The declared operation a recorded request is an instance of. */
  const matching = (method: string, path: string) =>
    Object.entries(SENTINEL_OPERATIONS).filter(([, op]) => {
      const pattern = op.path
        .replace('{workspace}', workspaceArmId(ws))
        .split(/\{[^}]+\}/)
        .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
        .join('[^/]+');
      return op.method === method && new RegExp(`^${pattern}$`, 'i').test(path);
    });

  it('are, method by method, the declared operations', async () => {
    const created = new Date(Date.now() - 3600_000).toISOString();
    const seeded = await emulatorCall(emulator.url, tls.ca, 'POST', '/_emulator/incidents', {
      name: 'inc-1',
      properties: { title: 'Incident', severity: 'High', status: 'New', createdTimeUtc: created },
      alerts: [{ name: 'a-1', kind: 'SecurityAlert', properties: { alertDisplayName: 'Alert' } }],
      entities: [{ name: 'e-1', kind: 'Ip', properties: { address: '10.0.0.1' } }],
    });
    expect(seeded.status).toBe(201);
    const calls: Record<keyof SentinelClient, () => Promise<unknown>> = {
      listIncidentPages: async () => {
        for await (const _ of client.listIncidentPages(ws, { top: 10 })) void _;
      },
      getIncident: () => client.getIncident(ws, 'inc-1'),
      putIncident: async () => {
        const current = await client.getIncident(ws, 'inc-1');
        if (!current) throw new Error('seeded incident missing');
        return client.putIncident(ws, 'inc-1', { ...(current.etag ? { etag: current.etag } : {}), properties: current.properties });
      },
      putComment: () => client.putComment(ws, 'inc-1', '5f0c6a4e-8a53-4d2b-9e4e-0b8f1c2d3e4f', 'hello'),
      listAlerts: () => client.listAlerts(ws, 'inc-1'),
      listEntities: () => client.listEntities(ws, 'inc-1'),
    };
    for (const [name, run] of Object.entries(calls)) {
      await emulatorCall(emulator.url, tls.ca, 'DELETE', '/_emulator/received');
      await run();
      const received = (await emulatorCall<{ method: string; path: string }[]>(emulator.url, tls.ca, 'GET', '/_emulator/received')).json;
      const requests = received.map((r) => ({ method: r.method, path: new URL(r.path, 'https://x').pathname }));
      expect(requests.length, name).toBeGreaterThan(0);
      const operations = new Set(requests.flatMap((r) => matching(r.method, r.path).map(([op]) => op)));
      // putIncident reads first (the etag), which is getIncident's operation.
      expect([...operations].sort(), name).toEqual(name === 'putIncident' ? ['getIncident', 'putIncident'] : [name]);
    }
  });
});
