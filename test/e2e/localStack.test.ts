// The local stack end to end, as a user runs it: `npm start`'s entry point as a child process, HTTP in, records out
// in the Logs Ingestion emulator.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonRecord } from '../../shared/catalog/types.js';
import { emulatorCall } from '../support/emulatorClient.js';
import { type LocalStackProcess, startLocalStackProcess } from '../support/localStack.js';

let stack: LocalStackProcess;
let ca: string;
/** How many destinations the sample settings have: each gets every forwarded incident. */
const destinations = (JSON.parse(JSON.parse(readFileSync('local.settings.sample.json', 'utf8')).Values.DESTINATIONS) as unknown[]).length;

beforeAll(async () => {
  stack = await startLocalStackProcess();
  ca = readFileSync(stack.caFile, 'utf8');
}, 60_000);

afterAll(async () => {
  const code = await stack?.stop();
  expect(code).toBe(0);
});

const records = async (stream: string) =>
  (await emulatorCall(stack.logsUrl, ca, 'GET', `/_emulator/records?stream=${stream}`)).json as JsonRecord[];

describe('local stack', () => {
  it('serves health', async () => {
    const res = await fetch(`${stack.hostUrl}/api/health`);
    const body = await res.json();
    expect(body, JSON.stringify(body)).toMatchObject({
      status: 'ok',
      checks: { queue: { ok: true }, table: { ok: true }, logsIngestion: { ok: true } },
    });
    expect(res.status).toBe(200);
  });

  it('delivers posted Wallarm and generic events into the emulator within seconds, with all columns', async () => {
    // A minute ago: the service (and its emulator) moves a TimeGenerated older than two days to the receipt time.
    const requestTime = Math.floor(Date.now() / 1000) - 60;
    const hit = {
      summary: '[Wallarm] New hit detected',
      description: 'SQL injection blocked',
      details: {
        client_name: 'Acme',
        cloud: 'EU',
        notification_type: 'new_hits',
        hit: {
          id: ['hits_production_1_202611', '9a1'],
          domain: 'shop.example.com',
          path: '/login',
          method: 'POST',
          remote_addr: '203.0.113.7',
          type: 'sqli',
          request_time: requestTime,
          status: 403,
        },
      },
    };
    const started = Date.now();
    const wallarm = await fetch(`${stack.hostUrl}/api/events/wallarm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([hit]),
    });
    expect(wallarm.status).toBe(202);
    const generic = await fetch(`${stack.hostUrl}/api/events/generic?type=deploy`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'api', version: '1.2.3' }),
    });
    expect(generic.status).toBe(202);

    const hits = await stack.waitFor(
      'new_hits record',
      () => records('Custom-new_hits_CL'),
      (r) => r.length === 1,
    );
    const webhook = await stack.waitFor(
      'generic record',
      () => records('Custom-WebhookEvents_CL'),
      (r) => r.length === 1,
    );
    console.log(`e2e: accepted → visible in the emulator in ${Date.now() - started} ms`);
    expect(hits[0]).toMatchObject({
      Source: 'wallarm',
      EventType: 'new_hits',
      ClientName: 'Acme',
      TimeGenerated: new Date(requestTime * 1000).toISOString(),
    });
    expect(webhook[0]).toMatchObject({ Source: 'generic', EventType: 'deploy', RawData: { service: 'api', version: '1.2.3' } });
    const dropped = (await emulatorCall(stack.logsUrl, ca, 'GET', '/_emulator/dropped')).json as unknown[];
    expect(dropped).toEqual([]);
  });

  it('runs a timer function now through the admin route', async () => {
    const res = await fetch(`${stack.hostUrl}/admin/functions/hourlyMaintenance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"input":""}',
    });
    expect(res.status).toBe(202);
    const unknown = await fetch(`${stack.hostUrl}/admin/functions/nope`, { method: 'POST', body: '{"input":""}' });
    expect(unknown.status).toBe(404);
  });

  it('polls a new Sentinel incident, forwards it to the sink as a signed CloudEvent, and tags and comments it', async () => {
    const now = new Date().toISOString();
    const seed = [
      {
        name: '7f9e4c1a-0000-4000-8000-000000000001',
        properties: { title: 'Brute force on admin portal', severity: 'High', status: 'New', createdTimeUtc: now },
      },
      {
        name: '7f9e4c1a-0000-4000-8000-000000000002',
        properties: {
          title: 'Old one',
          severity: 'High',
          status: 'New',
          createdTimeUtc: new Date(Date.now() - 30 * 3600_000).toISOString(),
        },
      },
    ];
    expect((await emulatorCall(stack.sentinelUrl, ca, 'POST', '/_emulator/incidents', seed)).status).toBeLessThan(300);
    const run = await fetch(`${stack.hostUrl}/admin/functions/pollIncidents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"input":""}',
    });
    expect(run.status).toBe(202);
    type Received = {
      path: string;
      headers: Record<string, string>;
      json?: { type?: string; subject?: string; data?: { title?: string } };
    };
    // The sample's other destinations (SIGNL4, PagerDuty, Slack) are at the sink too, under their own paths.
    const all = await stack.waitFor(
      'the incident at every destination',
      async () => (await emulatorCall(stack.sinkUrl, ca, 'GET', '/_emulator/received')).json as Received[],
      (r) => r.length >= destinations,
    );
    expect(all).toHaveLength(destinations);
    const received = all.filter((r) => r.path === '/hooks/sentinel');
    expect(received).toHaveLength(1);
    expect(received[0]?.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    expect(received[0]?.headers['webhook-signature']).toMatch(/^v1,/);
    expect(received[0]?.json).toMatchObject({
      type: 'sentinelbridge.incident.created',
      subject: seed[0]?.name,
      data: { title: 'Brute force on admin portal' },
    });
    type Incident = { properties: { labels: { labelName: string }[] }; comments: { properties: { message: string } }[] };
    const incident = await stack.waitFor(
      'the tag and comment in Sentinel',
      async () => (await emulatorCall(stack.sentinelUrl, ca, 'GET', `/_emulator/incidents/${seed[0]?.name}`)).json as Incident,
      (i) => i.comments?.length === destinations,
    );
    expect(incident.properties.labels.map((l) => l.labelName)).toContain('SentinelBridge');
    expect(incident.comments.filter((c) => c.properties.message.includes('"local-sink"'))).toHaveLength(1);
  });
});
