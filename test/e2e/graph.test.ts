// A workspace read and written through Microsoft Graph, end to end on the local stack as a user runs it (`npm start`'s
// entry point as a child process): the Graph security emulator seeded with every status and severity, incidents older
// than the window, more than one page and a merged pair → exactly the matching ones forwarded once to every
// destination, tagged and commented in Graph; a second poll sends nothing; a signed callback and status sync write the
// Graph incident; then the same workspace switched to `sentinel` (same storage) re-sends nothing.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedRequest } from '../../tools/emulators/server.js';
import { emulatorCall } from '../support/emulatorClient.js';
import { type LocalStackProcess, startLocalStackProcess } from '../support/localStack.js';

// biome-ignore lint/suspicious/noExplicitAny: emulator answers are asserted field by field
type Json = any;

const WS = { subscriptionId: '00000000-0000-4000-8000-0000000000e2', resourceGroup: 'rg-soc', workspaceName: 'law-defender' };
const TAG = 'SentinelBridge';
const WEBHOOK_SECRET = `whsec_${Buffer.from('e2e-graph-webhook-signing-secret').toString('base64')}`;
const CALLBACK_SECRET = `whsec_${Buffer.from('e2e-graph-webhook-callback-secret').toString('base64')}`;
const DESTINATION_COUNT = 3;

let stack: LocalStackProcess;
let ca: string;

/** The sample's sink URL: the local stack points it at its own sink. */
const SINK = 'http://127.0.0.1:7445';
const settings = (api: 'graph' | 'sentinel') => ({
  SENTINEL_WORKSPACES: JSON.stringify([{ ...WS, api }]),
  INCIDENT_STATUSES: 'New,Active',
  INCIDENT_SEVERITIES: 'High,Medium,Low',
  INCIDENT_LOOKBACK_HOURS: '24',
  INCIDENT_TAG: TAG,
  DESTINATIONS: JSON.stringify([
    { name: 'soc-webhook', type: 'webhook', url: `${SINK}/webhook`, secret: WEBHOOK_SECRET, callbackSecret: CALLBACK_SECRET },
    { name: 'oncall-signl4', type: 'signl4', url: `${SINK}/signl4/teamsecret` },
    { name: 'oncall-pagerduty', type: 'pagerduty', url: `${SINK}/pagerduty`, routingKey: 'R0123456789abcdef0123456789abcde' },
  ]),
});

/** The stack with the workspace on `api`; `dataDir`: a stopped stack's storage and emulator state. */
async function start(api: 'graph' | 'sentinel', dataDir?: string): Promise<LocalStackProcess> {
  const s = await startLocalStackProcess(settings(api), dataDir);
  ca = readFileSync(s.caFile, 'utf8');
  return s;
}

const graph = (method: string, path: string, body?: unknown) => emulatorCall<Json>(stack.graphUrl, ca, method, path, body);
const graphIncident = async (id: string) => (await graph('GET', `/_emulator/incidents/${id}`)).json;
const received = async (): Promise<ReceivedRequest[]> => (await emulatorCall<Json>(stack.sinkUrl, ca, 'GET', '/_emulator/received')).json;
const clearSink = () => emulatorCall(stack.sinkUrl, ca, 'DELETE', '/_emulator/received');
const byPath = (all: ReceivedRequest[], prefix: string) => all.filter((r) => r.path.startsWith(prefix));
const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();

/** Runs pollIncidents through the admin route and waits until the workspace's poll row says it finished. */
async function poll(): Promise<Json> {
  const before = await lastPoll();
  const run = await fetch(`${stack.hostUrl}/admin/functions/pollIncidents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"input":""}',
  });
  expect(run.status).toBe(202);
  return stack.waitFor(
    'the poll to finish',
    lastPoll,
    (p) =>
      Boolean(p?.lastPollFinishedAt) && p.lastPollFinishedAt !== before?.lastPollFinishedAt && p.lastPollStartedAt <= p.lastPollFinishedAt,
    30_000,
  );
}
async function lastPoll(): Promise<Json> {
  const body = (await (await fetch(`${stack.hostUrl}/api/status`)).json()) as Json;
  return body.lastPoll?.find((p: Json) => p.workspace === WS.workspaceName);
}

/** Waits until the sink holds `n` requests, then a little longer to see that no more come. */
async function receivedExactly(n: number): Promise<ReceivedRequest[]> {
  await stack.waitFor('the deliveries at the sink', received, (r) => r.length >= n, 30_000);
  await new Promise((r) => setTimeout(r, 1500));
  const all = await received();
  expect(all.map((r) => r.path).sort()).toHaveLength(n);
  return all;
}

// Every status × severity an hour ago; the matching ones are New (active) or Active (inProgress) and High…Low.
const STATUSES = ['active', 'inProgress', 'resolved', 'awaitingAction'];
const SEVERITIES = ['high', 'medium', 'low', 'informational', 'unknown'];
const seeded: Json[] = [];
let id = 1000;
for (const status of STATUSES)
  for (const severity of SEVERITIES) seeded.push({ id: String(++id), displayName: `${status} ${severity}`, status, severity });
// Enough matching ones for a second page ($top is 50).
for (let i = 0; i < 45; i++) seeded.push({ id: String(5000 + i), displayName: `Filler ${i}`, status: 'active', severity: 'low' });
const matching = [
  ...seeded.filter((s) => ['active', 'inProgress'].includes(s.status) && ['high', 'medium', 'low'].includes(s.severity)).map((s) => s.id),
  '9002',
];

beforeAll(async () => {
  stack = await start('graph');
  const created = hoursAgo(1);
  const incidents = [
    ...seeded.map((s) => ({ ...s, createdDateTime: created })),
    { id: '8001', displayName: 'Too old', status: 'active', severity: 'high', createdDateTime: hoursAgo(30) },
    {
      id: '9001',
      displayName: 'Merged away',
      status: 'redirected',
      redirectIncidentId: '9002',
      severity: 'high',
      createdDateTime: created,
    },
    { id: '9002', displayName: 'Merge target', status: 'active', severity: 'high', createdDateTime: created },
  ];
  const r = await graph('POST', '/_emulator/incidents', incidents);
  expect(r.status, r.text).toBe(201);
}, 60_000);

afterAll(async () => {
  const code = await stack?.stop();
  expect(code).toBe(0);
});

describe('a Graph workspace on the local stack', () => {
  it('forwards exactly the matching incidents (two pages) once to every destination, tags and comments them; a second poll sends nothing', async () => {
    expect(matching.length).toBeGreaterThan(50);
    const first = await poll();
    expect(first).toMatchObject({ claimed: matching.length });
    expect(first.lastError).toBeUndefined();
    const all = await receivedExactly(matching.length * DESTINATION_COUNT);
    const sorted = [...matching].sort();
    expect(
      byPath(all, '/webhook')
        .map((r) => (r.json as Json).subject)
        .sort(),
    ).toEqual(sorted);
    expect(
      byPath(all, '/signl4')
        .map((r) => (r.json as Json)['X-S4-ExternalID'])
        .sort(),
    ).toEqual(sorted);
    expect(
      byPath(all, '/pagerduty')
        .map((r) => (r.json as Json).dedup_key)
        .sort(),
    ).toEqual(sorted);

    const annotated = await stack.waitFor(
      'the tag and one comment per destination in Graph',
      async () => Promise.all(matching.map(graphIncident)),
      (list) => list.every((g: Json) => g.comments.length === DESTINATION_COUNT),
      30_000,
    );
    for (const g of annotated) {
      expect(g.customTags).toEqual([TAG]);
      expect(g.comments.every((c: Json) => /Sentinel Bridge forwarded .*\[sentinel-bridge:[0-9a-f-]{36}\]$/.test(c.comment))).toBe(true);
    }
    for (const untouched of ['8001', '9001', '1004', '1005', '1011', '1016']) {
      const g = await graphIncident(untouched);
      expect(g, untouched).toMatchObject({ customTags: [], comments: [] });
    }

    // The bridge's own tag and comments moved lastUpdateDateTime: still nothing to send.
    await clearSink();
    expect(await poll()).toMatchObject({ claimed: 0, closed: 0 });
    await receivedExactly(0);
  }, 120_000);

  it('a signed callback closes the Graph incident; status sync assigns another; the closure goes only to the others', async () => {
    const body = JSON.stringify({
      incidentId: '1001',
      action: 'close',
      classification: 'FalsePositive',
      classificationReason: 'InaccurateData',
      owner: 'kai@contoso.com',
      comment: 'lab noise',
    });
    const webhookId = `msg_${randomUUID()}`;
    const at = new Date();
    const callback = await fetch(`${stack.hostUrl}/api/incidents/soc-webhook/callback`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': webhookId,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(CALLBACK_SECRET).sign(webhookId, at, body),
      },
      body,
    });
    expect(callback.status, await callback.clone().text()).toBe(200);
    const closed = await graphIncident('1001');
    expect(closed).toMatchObject({
      status: 'resolved',
      classification: 'falsePositive',
      determination: 'notEnoughDataToValidate',
      assignedTo: 'kai@contoso.com',
    });
    const texts = closed.comments.map((c: Json) => c.comment);
    expect(texts.filter((t: string) => t.startsWith('lab noise'))).toHaveLength(1);
    expect(texts.filter((t: string) => t.startsWith('Sentinel Bridge: closed in soc-webhook'))).toHaveLength(1);

    const sync = await fetch(`${stack.hostUrl}/api/incidents/soc-webhook/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-bridge-secret': CALLBACK_SECRET },
      body: JSON.stringify({ incidentId: '1002', action: 'acknowledge', owner: 'ana@contoso.com' }),
    });
    expect(sync.status).toBe(200);
    expect(await sync.json()).toMatchObject({ result: 'changed', status: 'New', owner: { assignedTo: 'ana@contoso.com' } });
    expect(await graphIncident('1002')).toMatchObject({ status: 'active', assignedTo: 'ana@contoso.com' });
    // A merged (redirected) incident is never written: it was not delivered, so it is not found.
    const merged = await fetch(`${stack.hostUrl}/api/incidents/soc-webhook/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-bridge-secret': CALLBACK_SECRET },
      body: JSON.stringify({ incidentId: '9001', action: 'close' }),
    });
    expect(merged.status).toBe(404);

    // The next poll resolves 1001 where it went, except at the destination that closed it; 1002 is no change.
    await clearSink();
    expect(await poll()).toMatchObject({ claimed: 0, closed: 1 });
    const closures = await receivedExactly(2);
    expect(byPath(closures, '/signl4').map((r) => [(r.json as Json)['X-S4-ExternalID'], (r.json as Json)['X-S4-Status']])).toEqual([
      ['1001', 'resolved'],
    ]);
    expect(byPath(closures, '/pagerduty').map((r) => [(r.json as Json).dedup_key, (r.json as Json).event_action])).toEqual([
      ['1001', 'resolve'],
    ]);
  }, 60_000);

  it('the same workspace switched to sentinel (XDR incidents carry the Graph id) re-sends nothing', async () => {
    const name = (graphId: string) => `7e2e0000-0000-4000-8000-00000000${graphId.padStart(4, '0')}`;
    const xdr = (graphId: string, status: string) => ({
      name: name(graphId),
      properties: {
        title: `XDR ${graphId}`,
        severity: 'High',
        status,
        createdTimeUtc: hoursAgo(1),
        providerName: 'Microsoft XDR',
        providerIncidentId: graphId,
      },
    });
    const fresh = '7e2e0000-0000-4000-8000-0000000fffff';
    const sentinel = [
      ...['1006', '5000', '5044', '9002'].map((g) => xdr(g, 'New')),
      xdr('1001', 'Closed'),
      { name: fresh, properties: { title: 'Sentinel-only analytics rule', severity: 'High', status: 'New', createdTimeUtc: hoursAgo(1) } },
    ];
    const r = await emulatorCall<Json>(stack.sentinelUrl, ca, 'POST', '/_emulator/incidents', sentinel);
    expect(r.status, r.text).toBeLessThan(300);
    const dataDir = stack.dataDir;
    expect(await stack.stop()).toBe(0);
    stack = await start('sentinel', dataDir);

    // Only the incident never seen through Graph goes out, once per destination.
    expect(await poll()).toMatchObject({ claimed: 1, closed: 0 });
    const all = await receivedExactly(DESTINATION_COUNT);
    expect(byPath(all, '/webhook').map((x) => (x.json as Json).subject)).toEqual([fresh]);
    expect(byPath(all, '/signl4').map((x) => (x.json as Json)['X-S4-ExternalID'])).toEqual([fresh]);
    await clearSink();
    expect(await poll()).toMatchObject({ claimed: 0, closed: 0 });
    await receivedExactly(0);
  }, 90_000);
});
