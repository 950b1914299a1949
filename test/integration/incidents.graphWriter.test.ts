// The Graph IncidentWriter (shared/incidents/incidentWriterGraph.ts) against the Graph security emulator, with the
// app's own Graph client; and the routed writer choosing Graph or Sentinel by the workspace's `api`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../shared/app.js';
import { type Classification, type ClassificationReason, loadConfig } from '../../shared/config.js';
import { claimIncident, markEnqueued, writeDelivery } from '../../shared/incidents/claims.js';
import { createGraphClient, type GraphClient } from '../../shared/incidents/graphClient.js';
import { routedIncidentWriter } from '../../shared/incidents/incidentApis.js';
import { type IncidentTarget, IncidentWriteError, type IncidentWriter } from '../../shared/incidents/incidentWriter.js';
import { graphIncidentWriter } from '../../shared/incidents/incidentWriterGraph.js';
import type { SentinelClient } from '../../shared/incidents/sentinelClient.js';
import { handleIncidentStatus } from '../../shared/incidents/statusSync.js';
import { type RunningAzurite, startAzurite } from '../../tools/dev/azurite.js';
import { ensureStorage } from '../../tools/dev/storage.js';
import { startGraphEmulator } from '../../tools/emulators/graph.js';
import type { ReceivedRequest, RunningEmulator } from '../../tools/emulators/server.js';
import { type EmulatorTls, emulatorTls } from '../../tools/emulators/tls.js';
import { emulatorCredential } from '../support/credential.js';
import { emulatorCall } from '../support/emulatorClient.js';
import { request } from '../support/http.js';

// biome-ignore lint/suspicious/noExplicitAny: Graph answers are asserted field by field
type Json = any;

const WS = {
  subscriptionId: '00000000-0000-4000-8000-0000000000d1',
  resourceGroup: 'rg-xdr',
  workspaceName: 'sentinel-xdr',
  api: 'graph' as const,
};
const target = (name: string): IncidentTarget => ({ ws: WS, name });

let dir: string;
let tls: EmulatorTls;
let emulator: RunningEmulator;
let client: GraphClient;
let writer: IncidentWriter;
let azurite: RunningAzurite;

const call = (method: string, path: string, body?: unknown) => emulatorCall<Json>(emulator.url, tls.ca, method, path, body);
const seed = async (incidents: unknown[]) => {
  const r = await call('POST', '/_emulator/incidents', incidents);
  expect(r.status, r.text).toBe(201);
};
const incident = async (id: string) => (await call('GET', `/_emulator/incidents/${id}`)).json;
const requests = async (): Promise<ReceivedRequest[]> => (await call('GET', '/_emulator/received')).json;
const patches = async (id: string) =>
  (await requests()).filter((r) => r.method === 'PATCH' && r.path === `/v1.0/security/incidents/${id}`).map((r) => r.json);
const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();
const open = (id: string, status = 'active', extra: Record<string, unknown> = {}) => ({
  id,
  displayName: `Incident ${id}`,
  status,
  severity: 'high',
  createdDateTime: hoursAgo(1),
  ...extra,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'graph-writer-'));
  tls = await emulatorTls(dir);
  [emulator, azurite] = await Promise.all([
    startGraphEmulator({ port: 0, dataDir: join(dir, 'state'), tls }),
    startAzurite({ location: join(dir, 'azurite') }),
  ]);
  client = createGraphClient({ endpoint: emulator.url, credential: emulatorCredential, ca: tls.ca, maxRetries: 0 });
  writer = graphIncidentWriter(client, emulator.url);
});
afterAll(async () => {
  await emulator?.close();
  await azurite?.stop();
});
beforeEach(async () => {
  await call('DELETE', '/_emulator/incidents');
  await call('DELETE', '/_emulator/received');
  await call('DELETE', '/_emulator/faults');
});

describe('the Graph emulator holds what the writer relies on (security-incident-update.md, …-post-comments.md)', () => {
  const graphCall = (method: string, path: string, body?: unknown) =>
    emulatorCall<Json>(emulator.url, tls.ca, method, `/v1.0/security/incidents${path}`, body, {
      headers: { authorization: 'Bearer test' },
    });
  it('PATCH sets only active|resolved|redirected|unknownFutureValue; bad enum values → 400 naming them; unknown ids → 404', async () => {
    await seed([open('191', 'inProgress')]);
    const inProgress = await graphCall('PATCH', '/191', { status: 'inProgress' });
    expect(inProgress.status).toBe(400);
    expect(inProgress.json.error.message).toContain("'status'");
    for (const bad of [{ classification: 'benignPositive' }, { determination: 'maybe' }, { assignedTo: 42 }])
      expect((await graphCall('PATCH', '/191', bad)).status, JSON.stringify(bad)).toBe(400);
    expect(await incident('191')).toMatchObject({ status: 'inProgress', classification: 'unknown', assignedTo: null });
    expect((await graphCall('PATCH', '/999', { assignedTo: 'x' })).status).toBe(404);
    expect((await graphCall('POST', '/999/comments', { comment: 'x' })).status).toBe(404);
    expect((await graphCall('POST', '/191/comments', { comment: '' })).status).toBe(400);
    // Both spellings of a determination (resource page vs update page) are accepted.
    expect(
      (await graphCall('PATCH', '/191', { status: 'resolved', classification: 'falsePositive', determination: 'notMalicious' })).status,
    ).toBe(200);
  });
});

describe('the Graph incident writer', () => {
  it('acknowledge: assignedTo + status active on an active incident; an incident in progress keeps its status', async () => {
    await seed([open('101'), open('102', 'inProgress')]);
    const a = await writer.acknowledge(target('101'), 'kai@contoso.com');
    expect(a).toMatchObject({ result: 'changed', incident: { id: '101', status: 'New', owner: { assignedTo: 'kai@contoso.com' } } });
    expect(await patches('101')).toEqual([{ status: 'active', assignedTo: 'kai@contoso.com' }]);
    const b = await writer.acknowledge(target('102'), 'kai@contoso.com');
    expect(b).toMatchObject({ result: 'changed', incident: { status: 'Active' } });
    expect(await patches('102')).toEqual([{ assignedTo: 'kai@contoso.com' }]);
    expect(await incident('102')).toMatchObject({ status: 'inProgress', assignedTo: 'kai@contoso.com' });
    // Again, or without an owner: nothing Graph can set changes, so nothing is PATCHed.
    expect((await writer.acknowledge(target('101'), 'kai@contoso.com')).result).toBe('unchanged');
    expect((await writer.acknowledge(target('101'), undefined)).result).toBe('unchanged');
    expect(await patches('101')).toHaveLength(1);
  });

  it('assign sets assignedTo only; the same owner again writes nothing', async () => {
    await seed([open('111', 'inProgress', { assignedTo: 'old@contoso.com' })]);
    expect(await writer.assign(target('111'), 'new@contoso.com')).toMatchObject({
      result: 'changed',
      incident: { owner: { assignedTo: 'new@contoso.com' } },
    });
    expect(await writer.assign(target('111'), 'new@contoso.com')).toMatchObject({ result: 'unchanged' });
    expect(await patches('111')).toEqual([{ assignedTo: 'new@contoso.com' }]);
    expect(await incident('111')).toMatchObject({ status: 'inProgress', assignedTo: 'new@contoso.com' });
  });

  const closes: [Classification, ClassificationReason | undefined, string, string][] = [
    ['TruePositive', 'SuspiciousActivity', 'truePositive', 'other'],
    ['BenignPositive', 'SuspiciousButExpected', 'informationalExpectedActivity', 'other'],
    ['FalsePositive', 'IncorrectAlertLogic', 'falsePositive', 'notMalicious'],
    ['FalsePositive', 'InaccurateData', 'falsePositive', 'notEnoughDataToValidate'],
    ['Undetermined', undefined, 'unknown', 'unknown'],
  ];
  it.each(closes)('close %s/%s → resolved, %s, %s, with the closing comment', async (classification, reason, graphClass, determination) => {
    await seed([open('121')]);
    const outcome = await writer.close(target('121'), {
      classification,
      ...(reason ? { reason } : {}),
      comment: 'Closed from oncall',
      owner: 'kai@contoso.com',
    });
    expect(outcome).toMatchObject({ result: 'changed', incident: { status: 'Closed', classification } });
    expect(await patches('121')).toEqual([
      { status: 'resolved', classification: graphClass, determination, assignedTo: 'kai@contoso.com' },
    ]);
    const g = await incident('121');
    expect(g).toMatchObject({ status: 'resolved', classification: graphClass, determination, assignedTo: 'kai@contoso.com' });
    expect(g.comments.map((c: Json) => c.comment)).toEqual([
      expect.stringMatching(/^Closed from oncall \[sentinel-bridge:[0-9a-f-]{36}\]$/),
    ]);
  });

  it('a close retried after a lost answer posts its comment once; a closed or merged incident is never PATCHed', async () => {
    await seed([
      open('131'),
      open('132', 'resolved', { classification: 'truePositive' }),
      open('133', 'redirected', { redirectIncidentId: '131' }),
    ]);
    const close = { classification: 'FalsePositive' as const, reason: 'InaccurateData' as const, comment: 'noise' };
    expect((await writer.close(target('131'), close)).result).toBe('changed');
    // As if the PATCH's answer was lost and never applied: the retry finds its comment's marker and only PATCHes.
    await seed([{ ...(await incident('131')), status: 'active', classification: 'unknown', determination: 'unknown' }]);
    expect((await writer.close(target('131'), close)).result).toBe('changed');
    expect(await writer.close(target('131'), close)).toMatchObject({
      result: 'already-closed',
      incident: { status: 'Closed', classification: 'FalsePositive', classificationReason: 'InaccurateData' },
    });
    expect((await incident('131')).comments.filter((c: Json) => c.comment.startsWith('noise'))).toHaveLength(1);

    await call('DELETE', '/_emulator/received');
    for (const id of ['132', '133']) {
      expect((await writer.close(target(id), close)).result).toBe('already-closed');
      expect((await writer.acknowledge(target(id), 'kai@contoso.com')).result).toBe('already-closed');
      expect((await writer.assign(target(id), 'kai@contoso.com')).result).toBe('already-closed');
    }
    expect(await writer.close(target('132'), close)).toMatchObject({ incident: { classification: 'TruePositive' } });
    expect((await requests()).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(await incident('133')).toMatchObject({ status: 'redirected', redirectIncidentId: '131', comments: [] });
  });

  it('comment: the same id never makes a second comment; summary reads the incident; unknown ids are missing', async () => {
    await seed([open('141')]);
    await writer.comment(target('141'), 'c-1', 'Sentinel Bridge: note');
    await writer.comment(target('141'), 'c-1', 'Sentinel Bridge: note');
    expect((await incident('141')).comments).toHaveLength(1);
    expect(await writer.summary(target('141'))).toMatchObject({ name: '141', title: 'Incident 141', status: 'New', severity: 'High' });
    expect(await writer.summary(target('404'))).toBeUndefined();
    expect(await writer.acknowledge(target('404'), 'kai@contoso.com')).toEqual({ result: 'missing' });
    expect(await writer.close(target('404'), { classification: 'TruePositive', comment: 'x' })).toEqual({ result: 'missing' });
  });

  it('a throttled or failing Graph is retryable; a refused token is not, and says which role is needed', async () => {
    await seed([open('151')]);
    await call('POST', '/_emulator/faults', { status: 503, count: 1 });
    const unavailable = await writer.assign(target('151'), 'kai@contoso.com').catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(IncidentWriteError);
    expect(unavailable).toMatchObject({ kind: 'unavailable', status: 503, retryable: true });
    await call('POST', '/_emulator/faults', { status: 403, count: 1 });
    const forbidden = await writer.assign(target('151'), 'kai@contoso.com').catch((e: unknown) => e);
    expect(forbidden).toMatchObject({ kind: 'forbidden', retryable: false });
    expect((forbidden as Error).message).toContain('SecurityIncident.ReadWrite.All');
    expect((await incident('151')).assignedTo).toBeNull();
  });

  it('the routed writer writes a graph workspace through Graph and a sentinel one through SecurityInsights', async () => {
    await seed([open('161')]);
    const sentinelCalls: string[] = [];
    const sentinel = new Proxy({} as SentinelClient, {
      get: (_t, method: string) => async (_ws: unknown, name: string) => {
        sentinelCalls.push(`${method} ${name}`);
        return undefined;
      },
    });
    const config = { GRAPH_ENDPOINT: emulator.url } as Parameters<typeof routedIncidentWriter>[0]['config'];
    const routed = routedIncidentWriter({ config, sentinel, graph: client });
    expect((await routed.assign(target('161'), 'kai@contoso.com')).result).toBe('changed');
    expect(sentinelCalls).toEqual([]);
    const sentinelWs = { ...WS, api: 'sentinel' as const };
    expect(await routed.summary({ ws: sentinelWs, name: '161' })).toBeUndefined();
    // Where claims key the incident by its XDR id, SecurityInsights is asked by the Sentinel name.
    await routed.summary({ ws: sentinelWs, name: '161', id: '7f9e4c1a-0000-4000-8000-000000000161' });
    expect(sentinelCalls).toEqual(['getIncident 161', 'getIncident 7f9e4c1a-0000-4000-8000-000000000161']);
    expect(await incident('161')).toMatchObject({ assignedTo: 'kai@contoso.com' });
  });
});

describe('status sync on a Graph workspace', () => {
  it('an incident forwarded through SecurityInsights before the switch is found by its Sentinel name and written through Graph', async () => {
    const secret = 'e2e-callback-secret-0123456789abcdef';
    const config = loadConfig({
      AzureWebJobsStorage: azurite.connectionString,
      GRAPH_ENDPOINT: emulator.url,
      BRIDGE_CREDENTIAL: 'emulator',
      EMULATOR_CA_FILE: tls.caFile,
      SENTINEL_WORKSPACES: JSON.stringify([WS]),
      DESTINATIONS: JSON.stringify([
        { name: 'ops', type: 'webhook', url: 'https://hooks.example.com/soc', secret: 'whsec_c2VjcmV0', callbackSecret: secret },
      ]),
      LOG_LEVEL: 'silent',
    });
    const app = createApp(config);
    await ensureStorage(app.storage);
    // As the sentinel poll left it: keyed by the XDR id, sent to the destination as the Sentinel name.
    const sentinelName = '7f9e4c1a-0000-4000-8000-000000000171';
    const claims = app.storage.table('claims');
    const now = new Date();
    await claimIncident(claims, WS, '171', 'created', { title: 'XDR 171', createdTimeUtc: hoursAgo(1), sentAs: sentinelName }, now);
    await markEnqueued(claims, WS, '171', 'created', ['ops']);
    await writeDelivery(claims, WS, '171', 'created', 'ops', { state: 'delivered', deliveredAt: now.toISOString() });
    await seed([open('171'), open('172')]);

    const status = (body: unknown) =>
      handleIncidentStatus(
        request({
          path: '/api/incidents/ops/status',
          body: JSON.stringify(body),
          headers: { 'content-type': 'application/json', 'x-bridge-secret': secret },
          params: { destination: 'ops' },
        }),
        app.incidents,
      );
    const r = await status({ incidentId: sentinelName, action: 'close', classification: 'TruePositive', comment: 'confirmed' });
    expect(r.status, JSON.stringify(r.jsonBody)).toBe(200);
    expect(r.jsonBody).toMatchObject({ name: '171', result: 'changed', status: 'Closed', classification: 'TruePositive' });
    const g = await incident('171');
    expect(g).toMatchObject({ status: 'resolved', classification: 'truePositive', determination: 'other' });
    expect(g.comments.map((c: Json) => c.comment)).toEqual([
      expect.stringMatching(/^confirmed \[sentinel-bridge:/),
      expect.stringMatching(/^Sentinel Bridge: closed in ops as TruePositive\. Comment: confirmed \[sentinel-bridge:/),
    ]);
    // Never delivered to this destination: 404, nothing written.
    expect((await status({ incidentId: '172', action: 'close' })).status).toBe(404);
    expect(await incident('172')).toMatchObject({ status: 'active', comments: [] });
  });
});
