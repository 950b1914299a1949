// A workspace read through Microsoft Graph (`"api": "graph"`): the Graph security emulator, the Sentinel emulator,
// Azurite and the destination sink, driven by the app's own poller and forwarder. Also: the same incidents read
// through SecurityInsights first and then through Graph are forwarded once (claims keyed by the canonical id).
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../shared/app.js';
import { type Config, loadConfig } from '../../shared/config.js';
import type { IncidentDeps } from '../../shared/incidents/deps.js';
import { forwardIncident } from '../../shared/incidents/forwarder.js';
import { graphIncidentApi } from '../../shared/incidents/incidentApiGraph.js';
import { pollIncidents } from '../../shared/incidents/poller.js';
import { type RunningAzurite, startAzurite } from '../../tools/dev/azurite.js';
import { ensureStorage } from '../../tools/dev/storage.js';
import { startGraphEmulator } from '../../tools/emulators/graph.js';
import { startSentinelEmulator } from '../../tools/emulators/sentinel.js';
import type { ReceivedRequest, RunningEmulator } from '../../tools/emulators/server.js';
import { startSink } from '../../tools/emulators/sink.js';
import { type EmulatorTls, emulatorTls } from '../../tools/emulators/tls.js';
import { emulatorCall } from '../support/emulatorClient.js';
import { drainQueue } from '../support/queue.js';

// biome-ignore lint/suspicious/noExplicitAny: emulator answers are asserted field by field
type Json = any;

const WS = { subscriptionId: '00000000-0000-4000-8000-0000000000c1', resourceGroup: 'rg-xdr', workspaceName: 'sentinel-xdr' };
const TAG = 'SentinelBridge';
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

let dir: string;
let tls: EmulatorTls;
let azurite: RunningAzurite;
let graph: RunningEmulator;
let sentinel: RunningEmulator;
let sink: RunningEmulator;
let base: Record<string, string>;

const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();
const graphCall = (method: string, path: string, body?: unknown) => emulatorCall<Json>(graph.url, tls.ca, method, path, body);
const sentinelCall = (method: string, path: string, body?: unknown) => emulatorCall<Json>(sentinel.url, tls.ca, method, path, body);
const sinkCall = (method: string, path: string) => emulatorCall<Json>(sink.url, undefined, method, path);
const received = async (): Promise<ReceivedRequest[]> => (await sinkCall('GET', '/_emulator/received')).json;
const graphIncident = async (id: string) => (await graphCall('GET', `/_emulator/incidents/${id}`)).json;

function destinations() {
  return [
    { name: 'ops-signl4', type: 'signl4', url: `${sink.url}/signl4/teamsecret` },
    { name: 'ops-pagerduty', type: 'pagerduty', url: `${sink.url}/pagerduty`, routingKey: 'R0123456789abcdef0123456789abcde' },
    { name: 'ops-teams', type: 'teams', url: `${sink.url}/teams` },
    { name: 'ops-slack', type: 'slack', url: `${sink.url}/slack` },
    { name: 'ops-webhook', type: 'webhook', url: `${sink.url}/webhook`, secret: WEBHOOK_SECRET, enrich: true },
  ];
}

const configWith = (api: 'sentinel' | 'graph', extra: Record<string, string> = {}): Config =>
  loadConfig({ ...base, SENTINEL_WORKSPACES: JSON.stringify([{ ...WS, api }]), ...extra });

/** The app's incident deps with small pages, so every list spans several. */
function depsOf(config: Config): IncidentDeps {
  const app: App = createApp(config);
  return { ...app.incidents, pageSize: 4 };
}

async function forwardAll(deps: IncidentDeps): Promise<void> {
  await drainQueue(deps.storage.queue('incidents'), (m) => forwardIncident(m, deps));
}

async function seedGraph(incidents: unknown[]): Promise<void> {
  const r = await graphCall('POST', '/_emulator/incidents', incidents);
  if (r.status !== 201) throw new Error(`seeding Graph failed: ${JSON.stringify(r.json)}`);
}

const byPath = (all: ReceivedRequest[], prefix: string) => all.filter((r) => r.path.startsWith(prefix));
const signl4Ids = (all: ReceivedRequest[]) => byPath(all, '/signl4').map((r) => (r.json as Json)['X-S4-ExternalID'] as string);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'incidents-graph-'));
  tls = await emulatorTls(dir);
  [azurite, graph, sentinel, sink] = await Promise.all([
    startAzurite({ location: join(dir, 'azurite') }),
    startGraphEmulator({ port: 0, dataDir: join(dir, 'graph'), tls }),
    startSentinelEmulator({ port: 0, dataDir: join(dir, 'sentinel'), tls, workspaces: [WS], pageSize: 5 }),
    startSink({ port: 0 }),
  ]);
  base = {
    AzureWebJobsStorage: azurite.connectionString,
    ARM_ENDPOINT: sentinel.url,
    GRAPH_ENDPOINT: graph.url,
    BRIDGE_CREDENTIAL: 'emulator',
    EMULATOR_CA_FILE: tls.caFile,
    DESTINATIONS: JSON.stringify(destinations()),
    INCIDENT_TAG: TAG,
    INCIDENT_STATUSES: 'New,Active',
    INCIDENT_SEVERITIES: 'High,Medium,Low',
    LOG_LEVEL: 'silent',
  };
  await ensureStorage(createApp(configWith('graph')).storage);
}, 60_000);

afterAll(async () => {
  await Promise.all([graph?.close(), sentinel?.close(), sink?.close()]);
  await azurite?.stop();
});

beforeEach(async () => {
  await Promise.all([
    graphCall('DELETE', '/_emulator/incidents'),
    sentinelCall('DELETE', '/_emulator/incidents'),
    sinkCall('DELETE', '/_emulator/received'),
  ]);
});

describe('a workspace read through Microsoft Graph', () => {
  it('forwards exactly the matching incidents once to every destination (every page), tags and comments them; a second poll sends nothing', async () => {
    const statuses = ['active', 'inProgress', 'resolved', 'awaitingAction'];
    const severities = ['high', 'medium', 'low', 'informational', 'unknown'];
    const seeded = [];
    let n = 1000;
    for (const status of statuses)
      for (const severity of severities)
        seeded.push({ id: String(++n), displayName: `Graph ${status} ${severity}`, status, severity, createdDateTime: hoursAgo(1) });
    // Older than the window; and a merged pair (the old one is redirected into the new one).
    seeded.push({ id: '2001', displayName: 'Too old', status: 'active', severity: 'high', createdDateTime: hoursAgo(30) });
    seeded.push({
      id: '2002',
      displayName: 'Merged away',
      status: 'redirected',
      redirectIncidentId: '2003',
      severity: 'high',
      createdDateTime: hoursAgo(2),
    });
    seeded.push({
      id: '2003',
      displayName: 'Merge target',
      status: 'active',
      severity: 'high',
      createdDateTime: hoursAgo(2),
      alerts: [
        {
          id: 'da1',
          title: 'Suspicious sign-in',
          severity: 'high',
          evidence: [{ '@odata.type': '#microsoft.graph.security.ipEvidence', ipAddress: '203.0.113.7' }],
        },
      ],
    });
    await seedGraph(seeded);

    const deps = depsOf(configWith('graph'));
    const first = await pollIncidents(deps);
    expect(first.workspaces[0]?.error).toBeUndefined();
    await forwardAll(deps);

    // New → active, Active → inProgress (awaitingAction is not in the filter), High/Medium/Low only.
    const expected = [...['active', 'inProgress'].flatMap((s) => ['high', 'medium', 'low'].map((v) => `Graph ${s} ${v}`)), 'Merge target'];
    const expectedIds = seeded.filter((s) => expected.includes(s.displayName)).map((s) => s.id);
    expect(expectedIds).toHaveLength(7);
    const all = await received();
    expect(signl4Ids(all).sort()).toEqual([...expectedIds].sort());
    for (const prefix of ['/pagerduty', '/teams', '/slack', '/webhook']) expect(byPath(all, prefix)).toHaveLength(expectedIds.length);
    const webhook = byPath(all, '/webhook').map((r) => (r.json as Json).data);
    const target = webhook.find((d: Json) => d.name === '2003');
    expect(target.enrichment.entities).toEqual([{ kind: 'Ip', friendlyName: '203.0.113.7', address: '203.0.113.7' }]);
    expect(target.enrichment.alerts[0]).toMatchObject({ name: 'da1', title: 'Suspicious sign-in' });
    expect(target.workspaceId).toContain(`/workspaces/${WS.workspaceName}`);

    for (const id of expectedIds) {
      const g = await graphIncident(id);
      expect(g.customTags).toEqual([TAG]);
      expect(g.comments.filter((c: Json) => c.comment.includes('Sentinel Bridge forwarded'))).toHaveLength(5);
    }
    expect((await graphIncident('2002')).customTags).toEqual([]);
    expect((await graphIncident('2001')).customTags).toEqual([]);

    // The bridge's own writes moved lastUpdateDateTime: still nothing to send.
    await sinkCall('DELETE', '/_emulator/received');
    const second = await pollIncidents(deps);
    expect(second.workspaces[0]).toMatchObject({ claimed: 0, closedClaimed: 0 });
    await forwardAll(deps);
    expect(await received()).toEqual([]);
  }, 120_000);

  it('a resolved incident is resolved where it went; a merged one is closed there and noted on the incident it went into, once', async () => {
    await seedGraph([
      { id: '3001', displayName: 'Will be resolved', status: 'active', severity: 'high', createdDateTime: hoursAgo(1) },
      { id: '3002', displayName: 'Will be merged', status: 'active', severity: 'medium', createdDateTime: hoursAgo(1) },
      { id: '3003', displayName: 'Merge target (old)', status: 'inProgress', severity: 'medium', createdDateTime: hoursAgo(40) },
    ]);
    const deps = depsOf(configWith('graph'));
    await pollIncidents(deps);
    await forwardAll(deps);
    expect(signl4Ids(await received()).sort()).toEqual(['3001', '3002']);

    await sinkCall('DELETE', '/_emulator/received');
    await seedGraph([
      { ...(await graphIncident('3001')), status: 'resolved', lastUpdateDateTime: new Date().toISOString() },
      { ...(await graphIncident('3002')), status: 'redirected', redirectIncidentId: '3003', lastUpdateDateTime: new Date().toISOString() },
    ]);
    for (let i = 0; i < 2; i++) {
      await pollIncidents(deps);
      await forwardAll(deps);
    }
    const all = await received();
    // Closed events go to the destinations that resolve (SIGNL4, PagerDuty) and to the webhook; Teams/Slack take none.
    expect(
      byPath(all, '/signl4')
        .map((r) => [(r.json as Json)['X-S4-ExternalID'], (r.json as Json)['X-S4-Status']])
        .sort(),
    ).toEqual([
      ['3001', 'resolved'],
      ['3002', 'resolved'],
    ]);
    expect(byPath(all, '/pagerduty').map((r) => (r.json as Json).event_action)).toEqual(['resolve', 'resolve']);
    const merged = byPath(all, '/webhook').find((r) => (r.json as Json).subject === '3002');
    expect((merged?.json as Json | undefined)?.data?.mergedInto).toBe('3003');
    expect(byPath(all, '/teams')).toEqual([]);

    const notes = (await graphIncident('3003')).comments.filter((c: Json) => c.comment.includes('was merged into this incident'));
    expect(notes.map((c: Json) => c.comment.match(/destination "([^"]+)"/)?.[1]).sort()).toEqual([
      'ops-pagerduty',
      'ops-signl4',
      'ops-webhook',
    ]);
    // The merged incident is left as Defender made it (the bridge writes no status to it).
    expect(await graphIncident('3002')).toMatchObject({ status: 'redirected', redirectIncidentId: '3003' });
  }, 120_000);

  it('switching the workspace from sentinel to graph re-sends nothing (claims keyed by the XDR id)', async () => {
    const created = hoursAgo(1);
    const pairs = [
      { graphId: '4001', name: '6b1d7e4a-0000-4000-8000-000000004001', severity: 'High' },
      { graphId: '4002', name: '6b1d7e4a-0000-4000-8000-000000004002', severity: 'Medium' },
    ];
    const armId = (name: string) =>
      `/subscriptions/${WS.subscriptionId}/resourceGroups/${WS.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${WS.workspaceName}/providers/Microsoft.SecurityInsights/Incidents/${name}`;
    const r = await sentinelCall(
      'POST',
      '/_emulator/incidents',
      pairs.map((p) => ({
        id: armId(p.name),
        properties: {
          title: `XDR ${p.graphId}`,
          severity: p.severity,
          status: 'New',
          createdTimeUtc: created,
          providerName: 'Microsoft XDR',
          providerIncidentId: p.graphId,
        },
      })),
    );
    expect(r.status).toBe(201);
    await seedGraph(
      pairs.map((p) => ({
        id: p.graphId,
        displayName: `XDR ${p.graphId}`,
        status: 'active',
        severity: p.severity.toLowerCase(),
        createdDateTime: created,
      })),
    );

    const viaSentinel = depsOf(configWith('sentinel'));
    await pollIncidents(viaSentinel);
    await forwardAll(viaSentinel);
    expect(signl4Ids(await received()).sort()).toEqual(pairs.map((p) => p.name).sort());

    await sinkCall('DELETE', '/_emulator/received');
    const viaGraph = depsOf(configWith('graph'));
    const result = await pollIncidents(viaGraph);
    expect(result.workspaces[0]).toMatchObject({ listed: 2, claimed: 0, enqueued: 0 });
    await forwardAll(viaGraph);
    expect(await received()).toEqual([]);

    // Closed in Defender after the switch: the resolve names the incident as the destinations know it (the Sentinel name).
    await seedGraph([{ ...(await graphIncident('4001')), status: 'resolved', lastUpdateDateTime: new Date().toISOString() }]);
    await pollIncidents(viaGraph);
    await forwardAll(viaGraph);
    const closes = await received();
    expect(byPath(closes, '/signl4').map((x) => (x.json as Json)['X-S4-ExternalID'])).toEqual([pairs[0]?.name]);
    expect(byPath(closes, '/pagerduty').map((x) => (x.json as Json).dedup_key)).toEqual([pairs[0]?.name]);
  }, 120_000);

  it('a Graph comment (POST-only) is added once however often it is retried: its marker is found first', async () => {
    await seedGraph([{ id: '5001', displayName: 'Comment me', status: 'active', severity: 'low', createdDateTime: hoursAgo(1) }]);
    const config = configWith('graph');
    const api = graphIncidentApi(createApp(config).incidents.graph, WS, config.GRAPH_ENDPOINT);
    await api.addComment('5001', 'c-1', 'forwarded');
    await api.addComment('5001', 'c-1', 'forwarded');
    await api.addComment('5001', 'c-2', 'forwarded elsewhere');
    expect((await graphIncident('5001')).comments.map((c: Json) => c.comment)).toEqual([
      'forwarded [sentinel-bridge:c-1]',
      'forwarded elsewhere [sentinel-bridge:c-2]',
    ]);
    expect(await api.addTag('no-such-incident', TAG)).toBe(false);
  });
});
