// KQL enrichment end to end: the Sentinel emulator's incident (alerts and entities), the app's poller and forwarder,
// @azure/monitor-query-logs against the Log Analytics query emulator, and the five destination formats at the sink.
// The emulator reads the query with Microsoft's parser, matches its seeded answers on the text after the `let`
// statements and keeps the rows whose column equals a let's value, so an entity value that stayed a literal is compared
// as one, and one that broke out of its literal would reach the SecretTable answer.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../shared/app.js';
import { type Config, loadConfig } from '../../shared/config.js';
import type { IncidentDeps } from '../../shared/incidents/deps.js';
import { ENRICH_QUERY_LIMITS } from '../../shared/incidents/enrichQueries.js';
import { forwardIncident } from '../../shared/incidents/forwarder.js';
import { pollIncidents } from '../../shared/incidents/poller.js';
import { type RunningAzurite, startAzurite } from '../../tools/dev/azurite.js';
import { ensureStorage } from '../../tools/dev/storage.js';
import { startLogAnalyticsQueryEmulator } from '../../tools/emulators/logAnalyticsQuery.js';
import { startSentinelEmulator } from '../../tools/emulators/sentinel.js';
import type { ReceivedRequest, RunningEmulator } from '../../tools/emulators/server.js';
import { startSink } from '../../tools/emulators/sink.js';
import { type EmulatorTls, emulatorTls } from '../../tools/emulators/tls.js';
import { emulatorCall } from '../support/emulatorClient.js';
import { parseKql } from '../support/kusto.js';
import { drainQueue } from '../support/queue.js';

// biome-ignore lint/suspicious/noExplicitAny: payloads are asserted field by field
type Json = any;

const WORKSPACE_ID = '22222222-3333-4444-8555-666666666666';
const WS = { subscriptionId: '00000000-0000-4000-8000-0000000000d1', resourceGroup: 'rg-kql', workspaceName: 'sentinel-kql' };
const HOSTILE = 'x" | union SecretTable | where "1"=="1';
const SIGNINS = 'SigninLogs | where UserPrincipalName in (accounts) | project UserPrincipalName, IPAddress, ResultType';
const QUERIES = [
  { name: 'signins', query: SIGNINS, timespan: 'PT6H' },
  { name: 'alerts', query: 'SecurityAlert | where SystemAlertId in (alertIds) | project SystemAlertId, AlertName' },
];
const SIGNIN_TABLE = {
  name: 'PrimaryResult',
  columns: [
    { name: 'UserPrincipalName', type: 'string' },
    { name: 'IPAddress', type: 'string' },
    { name: 'ResultType', type: 'string' },
  ],
  rows: [
    ['jane@contoso.com', '203.0.113.7', '50126'],
    ['bob@contoso.com', '198.51.100.1', '0'],
    [HOSTILE, '192.0.2.66', '0'],
  ],
};
const SECRET_TABLE = { name: 'PrimaryResult', columns: [{ name: 'Secret', type: 'string' }], rows: [['the crown jewels']] };

let dir: string;
let tls: EmulatorTls;
let azurite: RunningAzurite;
let sentinel: RunningEmulator;
let sink: RunningEmulator;
let logAnalytics: RunningEmulator;
let config: Config;

const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();
const laCall = (method: string, path: string, body?: unknown) => emulatorCall<Json>(logAnalytics.url, tls.ca, method, path, body);
const sinkCall = (method: string, path: string, body?: unknown) => emulatorCall<Json>(sink.url, undefined, method, path, body);
const received = async (): Promise<ReceivedRequest[]> => (await sinkCall('GET', '/_emulator/received')).json;
/** The query texts the emulator received for this incident (a timed-out query of an earlier test may still arrive). */
const queriesReceived = async (incident: string): Promise<string[]> =>
  ((await laCall('GET', '/_emulator/received')).json as ReceivedRequest[])
    .map((r) => String((r.json as Json).query))
    .filter((t) => parseKql(t).lets.get('incidentName') === incident);

function destinations() {
  const enrich = { queries: QUERIES };
  return [
    { name: 'ops-signl4', type: 'signl4', url: `${sink.url}/signl4/teamsecret`, enrich },
    { name: 'ops-pagerduty', type: 'pagerduty', url: `${sink.url}/pagerduty`, routingKey: 'R0123456789abcdef0123456789abcde', enrich },
    { name: 'ops-teams', type: 'teams', url: `${sink.url}/teams`, enrich },
    { name: 'ops-slack', type: 'slack', url: `${sink.url}/slack`, enrich },
    { name: 'ops-webhook', type: 'webhook', url: `${sink.url}/webhook`, enrich: { entities: true, queries: QUERIES } },
  ];
}

async function seedIncident(accounts: string[]): Promise<string> {
  const name = randomUUID();
  const wsArm = `/subscriptions/${WS.subscriptionId}/resourceGroups/${WS.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${WS.workspaceName}`;
  const r = await emulatorCall<Json>(sentinel.url, tls.ca, 'POST', '/_emulator/incidents', [
    {
      id: `${wsArm}/providers/Microsoft.SecurityInsights/Incidents/${name}`,
      properties: { title: 'Impossible travel', severity: 'High', status: 'New', createdTimeUtc: hoursAgo(1) },
      alerts: [{ name: 'alert-1', kind: 'SecurityAlert', properties: { alertDisplayName: 'Impossible travel', severity: 'High' } }],
      entities: accounts.map((a, i) => ({ name: `acc-${i}`, kind: 'Account', properties: { friendlyName: a, accountName: a } })),
    },
  ]);
  if (r.status !== 201) throw new Error(`seeding failed: ${JSON.stringify(r.json)}`);
  return name;
}

/** Polls and forwards everything queued, with these incident deps. */
async function forwardAll(deps: IncidentDeps): Promise<Map<string, Json>> {
  await pollIncidents(deps);
  await drainQueue(deps.storage.queue('incidents'), (m) => forwardIncident(m, deps));
  const byPath = new Map<string, Json>();
  for (const r of await received()) byPath.set(r.path.split('/')[1] as string, r.json);
  return byPath;
}

const depsOf = (timeoutMs = ENRICH_QUERY_LIMITS.timeoutMs): IncidentDeps => ({
  ...createApp(config).incidents,
  kqlLimits: { ...ENRICH_QUERY_LIMITS, timeoutMs },
});

beforeAll(async () => {
  parseKql('print 1'); // the parser's first use takes seconds: not inside a request's time limit
  dir = mkdtempSync(join(tmpdir(), 'incidents-kql-'));
  tls = await emulatorTls(dir);
  [azurite, sentinel, sink, logAnalytics] = await Promise.all([
    startAzurite({ location: join(dir, 'azurite') }),
    startSentinelEmulator({ port: 0, dataDir: join(dir, 'sentinel'), tls, workspaces: [WS] }),
    startSink({ port: 0 }),
    startLogAnalyticsQueryEmulator({ port: 0, dataDir: join(dir, 'la'), tls }),
  ]);
  config = loadConfig({
    AzureWebJobsStorage: azurite.connectionString,
    SENTINEL_WORKSPACES: JSON.stringify([{ ...WS, workspaceId: WORKSPACE_ID }]),
    ARM_ENDPOINT: sentinel.url,
    LOG_ANALYTICS_QUERY_ENDPOINT: logAnalytics.url,
    BRIDGE_CREDENTIAL: 'emulator',
    EMULATOR_CA_FILE: tls.caFile,
    DESTINATIONS: JSON.stringify(destinations()),
    LOG_LEVEL: 'silent',
  });
  await ensureStorage(createApp(config).storage);
}, 60_000);

afterAll(async () => {
  await Promise.all([sentinel?.close(), sink?.close(), logAnalytics?.close()]);
  await azurite?.stop();
});

beforeEach(async () => {
  await Promise.all([
    emulatorCall(sentinel.url, tls.ca, 'DELETE', '/_emulator/incidents'),
    sinkCall('DELETE', '/_emulator/received'),
    laCall('DELETE', '/_emulator/queries'),
    laCall('DELETE', '/_emulator/received'),
    laCall('DELETE', '/_emulator/faults'),
  ]);
  const seeded = await laCall('POST', '/_emulator/queries', [
    { match: 'SecretTable', tables: [SECRET_TABLE] },
    { match: 'SigninLogs', filter: { column: 'UserPrincipalName', parameter: 'accounts' }, tables: [SIGNIN_TABLE] },
    {
      match: 'SecurityAlert',
      filter: { column: 'SystemAlertId', parameter: 'alertIds' },
      tables: [
        {
          name: 'PrimaryResult',
          columns: [
            { name: 'SystemAlertId', type: 'string' },
            { name: 'AlertName', type: 'string' },
          ],
          rows: [
            ['alert-1', 'Impossible travel'],
            ['alert-2', 'Someone else'],
          ],
        },
      ],
    },
  ]);
  expect(seeded.status).toBe(200);
});

describe('KQL enrichment of forwarded incidents', () => {
  it("runs each query with the incident's parameters and shows its rows in all five formats", async () => {
    const name = await seedIncident(['jane@contoso.com']);
    const got = await forwardAll(depsOf());
    expect([...got.keys()].sort()).toEqual(['pagerduty', 'signl4', 'slack', 'teams', 'webhook']);

    const texts = await queriesReceived(name);
    expect(texts).toHaveLength(2 * 5);
    const signins = parseKql(texts.find((t) => t.includes('SigninLogs')) as string);
    expect(signins.diagnostics).toEqual([]);
    expect(signins.body).toBe(SIGNINS);
    expect(signins.lets.get('accounts')).toEqual(['jane@contoso.com']);
    expect(signins.lets.get('alertIds')).toEqual(['alert-1']);
    expect(signins.lets.get('incidentName')).toBe(name);

    const expected = {
      name: 'signins',
      columns: ['UserPrincipalName', 'IPAddress', 'ResultType'],
      rows: [['jane@contoso.com', '203.0.113.7', '50126']],
      truncated: false,
    };
    const webhook = got.get('webhook').data.enrichment;
    expect(webhook.queries).toEqual([
      expected,
      { name: 'alerts', columns: ['SystemAlertId', 'AlertName'], rows: [['alert-1', 'Impossible travel']], truncated: false },
    ]);
    expect(webhook.entities).toHaveLength(1);
    expect(webhook.alerts).toBeUndefined(); // not asked for: read only as the queries' parameters
    expect(got.get('pagerduty').payload.custom_details.queries[0]).toEqual(expected);
    expect(got.get('signl4')['Query signins']).toBe(
      'signins: 1 row\nUserPrincipalName=jane@contoso.com, IPAddress=203.0.113.7, ResultType=50126',
    );
    expect(JSON.stringify(got.get('teams'))).toContain('"type":"Table"');
    expect(JSON.stringify(got.get('teams'))).toContain('203.0.113.7');
    const slackText = got
      .get('slack')
      .blocks.map((b: Json) => b.text?.text ?? '')
      .join('\n');
    expect(slackText).toContain('*signins: 1 row*\nUserPrincipalName | IPAddress | ResultType\n• jane@contoso.com | 203.0.113.7 | 50126');
  });

  it('a failing query is noted beside the others, and the incident is forwarded all the same', async () => {
    await laCall('DELETE', '/_emulator/queries');
    await laCall('POST', '/_emulator/queries', [
      {
        match: 'SigninLogs',
        status: 400,
        error: { code: 'BadArgumentError', message: "Failed to resolve table expression named 'SigninLogs'" },
      },
    ]);
    await seedIncident(['jane@contoso.com']);
    const got = await forwardAll(depsOf());
    expect([...got.keys()].sort()).toEqual(['pagerduty', 'signl4', 'slack', 'teams', 'webhook']);
    const [signins, alerts] = got.get('webhook').data.enrichment.queries;
    expect(signins).toMatchObject({
      name: 'signins',
      rows: [],
      error: expect.stringMatching(/^BadArgumentError, HTTP 400: Failed to resolve table/),
    });
    expect(alerts).toMatchObject({ name: 'alerts', rows: [] });
    expect(alerts.error).toBeUndefined();
    expect(got.get('signl4')['Query signins']).toMatch(/^signins: failed \(BadArgumentError, HTTP 400/);
    expect(got.get('pagerduty').payload.custom_details.queries[0].error).toMatch(/Failed to resolve table/);
  });

  it('queries slower than the time cap are cut off and noted; the incident goes out without waiting for them', async () => {
    await seedIncident(['jane@contoso.com']);
    await laCall('POST', '/_emulator/faults', { latencyMs: 4000, count: 10 }); // every query of the five destinations
    const started = Date.now();
    const got = await forwardAll(depsOf(800));
    expect([...got.keys()].sort()).toEqual(['pagerduty', 'signl4', 'slack', 'teams', 'webhook']);
    expect(got.get('webhook').data.enrichment.queries).toEqual([
      { name: 'signins', columns: [], rows: [], truncated: false, error: 'Timeout: no answer within 800 ms' },
      { name: 'alerts', columns: [], rows: [], truncated: false, error: 'Timeout: no answer within 800 ms' },
    ]);
    expect(got.get('signl4')['Query alerts']).toBe('alerts: failed (Timeout: no answer within 800 ms)');
    // Five destinations, each waiting at most the cap once (its queries run at once), plus the rest of the work.
    expect(Date.now() - started).toBeLessThan(4000 * 5);
  });

  it('an injection attempt in an entity value stays a literal: only the row with exactly that name', async () => {
    const name = await seedIncident([HOSTILE]);
    const got = await forwardAll(depsOf());
    const texts = await queriesReceived(name);
    const text = texts.find((t) => t.includes('SigninLogs')) as string;
    const parsed = parseKql(text);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.lets.get('accounts')).toEqual([HOSTILE]);
    expect(parsed.body).toBe(SIGNINS);
    expect(parsed.body).not.toContain('SecretTable');
    const signins = got.get('webhook').data.enrichment.queries[0];
    expect(signins.rows).toEqual([[HOSTILE, '192.0.2.66', '0']]);
    expect(JSON.stringify([...got.values()])).not.toContain('crown jewels');
  });
});
