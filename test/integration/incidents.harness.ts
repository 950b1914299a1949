// The incident stack for integration tests: Azurite, the Sentinel ARM emulator (two workspaces, small pages) and
// the destination sink, with the app's settings in process.env so the function handlers run as in the host.

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvocationContext, type Timer } from '@azure/functions';
import { afterAll, beforeAll } from 'vitest';
import { forwardIncident } from '../../functions/forwardIncident.js';
import { pollIncidents } from '../../functions/pollIncidents.js';
import type { App } from '../../shared/app.js';
import { type Config, loadConfig } from '../../shared/config.js';
import { appOf, ensureStorageOf } from '../../tools/dev/apps.js';
import { type RunningAzurite, startAzurite } from '../../tools/dev/azurite.js';
import { startPagerDutyEmulator } from '../../tools/emulators/pagerduty.js';
import { startSentinelEmulator } from '../../tools/emulators/sentinel.js';
import type { ReceivedRequest, RunningEmulator } from '../../tools/emulators/server.js';
import { startSink } from '../../tools/emulators/sink.js';
import { type EmulatorTls, emulatorTls } from '../../tools/emulators/tls.js';
import { emulatorCall } from '../support/emulatorClient.js';
import { drainQueue } from '../support/queue.js';

export const WS_A = { subscriptionId: '00000000-0000-4000-8000-00000000000a', resourceGroup: 'rg-sec', workspaceName: 'sentinel-a' };
export const WS_B = { subscriptionId: '00000000-0000-4000-8000-00000000000b', resourceGroup: 'rg-other', workspaceName: 'sentinel-b' };
export const TAG = 'SentinelBridge';
export const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
export const PD_KEY = 'R0123456789abcdef0123456789abcde';
/** Each destination's own callbackSecret (computed per run; a test signs with them as the vendor would). */
export const CALLBACK_SECRETS = {
  signl4: `signl4-${randomBytes(16).toString('hex')}`,
  pagerduty: `pd-${randomBytes(16).toString('hex')}`,
  slack: randomBytes(16).toString('hex'),
  webhook: `whsec_${randomBytes(24).toString('base64')}`,
} as const;
/** The read-only PagerDuty REST key the emulator knows. */
export const PD_REST_KEY = `u+${randomBytes(10).toString('hex')}`;

export const wsId = (ws: typeof WS_A) =>
  `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${ws.workspaceName}`;
export const incidentId = (ws: typeof WS_A, name: string) => `${wsId(ws)}/providers/Microsoft.SecurityInsights/Incidents/${name}`;

export interface Stack {
  azurite: RunningAzurite;
  sentinel: RunningEmulator;
  sink: RunningEmulator;
  /** The PagerDuty REST emulator (HTTPS); also where Slack's response_url points in tests. */
  pagerduty: RunningEmulator;
  tls: EmulatorTls;
  env: Record<string, string>;
}

export function destinations(sinkUrl: string, pagerdutyUrl?: string) {
  return [
    { name: 'ops-signl4', type: 'signl4', url: `${sinkUrl}/signl4/teamsecret`, callbackSecret: CALLBACK_SECRETS.signl4 },
    {
      name: 'ops-pagerduty',
      type: 'pagerduty',
      url: `${sinkUrl}/pagerduty`,
      routingKey: PD_KEY,
      callbackSecret: CALLBACK_SECRETS.pagerduty,
      restApiKey: PD_REST_KEY,
      ...(pagerdutyUrl ? { restApiEndpoint: pagerdutyUrl } : {}),
      closeClassification: 'TruePositive',
      closeClassificationReason: 'SuspiciousActivity',
    },
    { name: 'ops-teams', type: 'teams', url: `${sinkUrl}/teams` },
    { name: 'ops-slack', type: 'slack', url: `${sinkUrl}/slack`, callbackSecret: CALLBACK_SECRETS.slack },
    { name: 'ops-webhook', type: 'webhook', url: `${sinkUrl}/webhook`, secret: WEBHOOK_SECRET, callbackSecret: CALLBACK_SECRETS.webhook },
    { name: 'ops-enriched', type: 'webhook', url: `${sinkUrl}/enriched`, enrich: true },
  ];
}

let config: Config;

/** Starts the stack for the test file and points the app's settings at it. */
export function useIncidentStack(): { current: Stack } {
  const ref = {} as { current: Stack };
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'incidents-'));
    const tls = await emulatorTls(dir);
    const [azurite, sentinel, sink, pagerduty] = await Promise.all([
      startAzurite({ location: join(dir, 'azurite') }),
      startSentinelEmulator({ port: 0, dataDir: join(dir, 'sentinel'), tls, workspaces: [WS_A, WS_B], pageSize: 5 }),
      startSink({ port: 0 }),
      startPagerDutyEmulator({ port: 0, tls, apiKeys: [PD_REST_KEY] }),
    ]);
    const env = {
      AzureWebJobsStorage: azurite.connectionString,
      SENTINEL_WORKSPACES: JSON.stringify([WS_A, WS_B]),
      ARM_ENDPOINT: sentinel.url,
      BRIDGE_CREDENTIAL: 'emulator',
      EMULATOR_CA_FILE: tls.caFile,
      DESTINATIONS: JSON.stringify(destinations(sink.url, pagerduty.url)),
      INCIDENT_TAG: TAG,
      LOG_LEVEL: 'silent',
    };
    // Variants of these settings are made with loadConfig({ ...process.env, … }).
    Object.assign(process.env, env);
    config = loadConfig(env);
    await ensureStorageOf(config);
    ref.current = { azurite, sentinel, sink, pagerduty, tls, env };
  }, 30_000);
  afterAll(async () => {
    await Promise.all([ref.current?.sentinel.close(), ref.current?.sink.close(), ref.current?.pagerduty.close()]);
    await ref.current?.azurite.stop();
  });
  return ref;
}

// biome-ignore lint/suspicious/noExplicitAny: emulator answers are asserted field by field
type Json = any;

export const call = (base: string, method: string, path: string, body?: unknown, ca?: string): Promise<{ status: number; json: Json }> =>
  emulatorCall<Json>(base, ca, method, path, body);

export const sentinelCall = (s: Stack, method: string, path: string, body?: unknown) => call(s.sentinel.url, method, path, body, s.tls.ca);
export const sinkCall = (s: Stack, method: string, path: string, body?: unknown) => call(s.sink.url, method, path, body);
export const received = async (s: Stack) => (await sinkCall(s, 'GET', '/_emulator/received')).json as ReceivedRequest[];
export const emulatorIncident = async (s: Stack, name: string, workspace?: string) =>
  (await sentinelCall(s, 'GET', `/_emulator/incidents/${name}${workspace ? `?workspace=${workspace}` : ''}`)).json;

/** Clean slate between tests: no incidents, nothing received, no faults, empty queue. Claims stay (names are unique). */
export async function reset(s: Stack): Promise<void> {
  await Promise.all([
    sentinelCall(s, 'DELETE', '/_emulator/incidents'),
    sentinelCall(s, 'DELETE', '/_emulator/faults'),
    sinkCall(s, 'DELETE', '/_emulator/received'),
    sinkCall(s, 'DELETE', '/_emulator/faults'),
    call(s.pagerduty.url, 'DELETE', '/_emulator/received', undefined, s.tls.ca),
    call(s.pagerduty.url, 'DELETE', '/_emulator/incidents', undefined, s.tls.ca),
    app().storage.queue('incidents').clearMessages(),
  ]);
}

export const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();
export const newName = () => randomUUID();

export interface Seed {
  name: string;
  ws?: typeof WS_A;
  title?: string;
  severity: string;
  status: string;
  createdTimeUtc?: string;
  labels?: { labelName: string; labelType?: string }[];
  alerts?: unknown[];
  entities?: unknown[];
}

export async function seed(s: Stack, incidents: Seed[]): Promise<void> {
  const body = incidents.map((i) => ({
    id: incidentId(i.ws ?? WS_A, i.name),
    properties: {
      title: i.title ?? `Incident ${i.name.slice(0, 8)}`,
      description: `Description of ${i.name}`,
      severity: i.severity,
      status: i.status,
      createdTimeUtc: i.createdTimeUtc ?? hoursAgo(1),
      ...(i.labels ? { labels: i.labels } : {}),
      ...(i.status === 'Closed' ? { classification: 'FalsePositive', classificationReason: 'InaccurateData' } : {}),
    },
    ...(i.alerts ? { alerts: i.alerts } : {}),
    ...(i.entities ? { entities: i.entities } : {}),
  }));
  const r = await sentinelCall(s, 'POST', '/_emulator/incidents', body);
  if (r.status !== 201) throw new Error(`seeding failed: ${JSON.stringify(r.json)}`);
}

export const context = (functionName: string) => new InvocationContext({ invocationId: randomUUID(), functionName });
const timer = { isPastDue: false, schedule: { adjustForDST: false } } as Timer;

/** Runs the timer function once, as the host would. */
export const poll = () => pollIncidents.handler(app(), timer, context('pollIncidents'));

/**
 * Runs the queue function on every message of `incidents` until the queue is empty, including messages re-enqueued
 * with a visibility delay (waits for them up to `waitMs`). Each batch runs concurrently, as the host does.
 */
export const drain = (
  handler: (message: unknown) => Promise<unknown> = (m) => forwardIncident.handler(app(), m, context('forwardIncident')),
  waitMs = 15_000,
): Promise<number> => drainQueue(app().storage.queue('incidents'), handler, waitMs);

export const cfg = (): Config => config;
/** The app of the stack's settings (one per file, as one Functions instance). */
export const app = (): App => appOf(config);
