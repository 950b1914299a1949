// POST /api/incidents/{destination}/status through the function handler, against the Sentinel ARM emulator.
import { beforeEach, describe, expect, it } from 'vitest';
import { incidentStatus } from '../../functions/incidentStatus.js';
import { loadConfig } from '../../shared/config.js';
import { handleIncidentStatus } from '../../shared/incidents/handlers.js';
import { type ArmIncident, createSentinelClient, type SentinelClient } from '../../shared/incidents/sentinelClient.js';
import { request } from '../support/http.js';
import {
  app,
  cfg,
  context,
  drain,
  emulatorIncident,
  incidentId,
  newName,
  PD_KEY,
  poll,
  received,
  reset,
  STATUS_SECRET,
  seed,
  sinkCall,
  TAG,
  useIncidentStack,
  WS_A,
  WS_B,
} from './incidents.harness.js';

const stack = useIncidentStack();
beforeEach(() => reset(stack.current));

const statusRequest = (destination: string, body: unknown, secret: string | null = STATUS_SECRET) =>
  request({
    path: `/api/incidents/${destination}/status`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(secret !== null ? { 'x-bridge-secret': secret } : {}) },
    params: { destination },
  });
const sync = (destination: string, body: unknown, secret?: string | null) =>
  incidentStatus.handler(app(), statusRequest(destination, body, secret), context('incidentStatus'));

describe('status sync: refusals', () => {
  it('503 with a clear message when STATUS_SYNC_SECRET is unset', async () => {
    const off = loadConfig({ ...process.env, STATUS_SYNC_SECRET: '' });
    const r = await handleIncidentStatus(statusRequest('ops-signl4', { incidentId: newName(), action: 'close' }), {
      ...app().incidents,
      config: off,
    });
    expect(r.status).toBe(503);
    expect(r.jsonBody).toEqual({ error: expect.stringMatching(/status sync is off: set STATUS_SYNC_SECRET/) });
  });

  it('401 without the secret or with a wrong one (before anything else is revealed)', async () => {
    expect((await sync('ops-signl4', { incidentId: newName(), action: 'close' }, '')).status).toBe(401);
    expect((await sync('nope', { incidentId: newName(), action: 'close' }, null)).status).toBe(401);
    expect((await sync('nope', { incidentId: newName(), action: 'close' }, `${STATUS_SECRET}x`)).status).toBe(401);
  });

  it('404 for an unknown destination or incident; 400 naming the field for a bad body', async () => {
    const unknownDest = await sync('nope', { incidentId: newName(), action: 'close' });
    expect(unknownDest.status).toBe(404);
    expect(unknownDest.jsonBody).toMatchObject({ error: 'unknown destination "nope"' });
    const missing = await sync('ops-signl4', { incidentId: newName(), action: 'close' });
    expect(missing.status).toBe(404);
    expect(missing.jsonBody).toMatchObject({ error: expect.stringMatching(/was not found in sentinel-a, sentinel-b/) });
    const foreign = await sync('ops-signl4', {
      incidentId: incidentId({ ...WS_A, workspaceName: 'elsewhere' }, newName()),
      action: 'close',
    });
    expect(foreign.status).toBe(404);
    const bad = await sync('ops-signl4', { incidentId: newName(), action: 'resolve' });
    expect(bad).toMatchObject({ status: 400, jsonBody: { error: expect.stringMatching(/^action: /), field: 'action' } });
    const badOwner = await sync('ops-signl4', { incidentId: newName(), action: 'acknowledge', owner: 42 });
    expect(badOwner).toMatchObject({ status: 400, jsonBody: { field: 'owner' } });
    const notJson = await sync('ops-signl4', '{nope');
    expect(notJson.status).toBe(400);
  });
});

describe('status sync: updates', () => {
  it('close sets Closed with the classification, reason and comment, keeps labels, and no resolve echoes back to the closer', async () => {
    const s = stack.current;
    const name = newName();
    await seed(s, [{ name, severity: 'High', status: 'New' }]);
    await poll();
    await drain();
    await sinkCall(s, 'DELETE', '/_emulator/received');

    const r = await sync('ops-signl4', {
      incidentId: name,
      action: 'close',
      classification: 'FalsePositive',
      classificationReason: 'InaccurateData',
      comment: 'Noise from the test lab',
    });
    expect(r.status).toBe(200);
    expect(r.jsonBody).toMatchObject({
      name,
      status: 'Closed',
      classification: 'FalsePositive',
      classificationReason: 'InaccurateData',
      attempts: 1,
      incidentId: incidentId(WS_A, name),
    });
    const inc = await emulatorIncident(s, name);
    expect(inc.properties).toMatchObject({
      status: 'Closed',
      classification: 'FalsePositive',
      classificationReason: 'InaccurateData',
      classificationComment: 'Noise from the test lab',
    });
    expect(inc.properties.labels.map((l: { labelName: string }) => l.labelName)).toContain(TAG);
    const last = inc.comments.at(-1).properties.message as string;
    expect(last).toBe('Sentinel Bridge: closed in ops-signl4 as FalsePositive (InaccurateData). Comment: Noise from the test lab');

    // The poll sees the closure: PagerDuty (and webhooks) get it; SIGNL4, which closed it, does not.
    await poll();
    await drain();
    const paths = (await received(s)).map((x) => x.path).sort();
    expect(paths).toEqual(['/enriched', '/pagerduty', '/webhook']);
    expect((await received(s)).find((x) => x.path === '/pagerduty')?.json).toEqual({
      routing_key: PD_KEY,
      event_action: 'resolve',
      dedup_key: name,
    });
  });

  it('close without a classification uses INCIDENT_CLOSE_CLASSIFICATION; acknowledge sets owner and Active (by ARM id, in the second workspace)', async () => {
    const s = stack.current;
    const [a, b] = [newName(), newName()];
    await seed(s, [
      { name: a, severity: 'Low', status: 'New' },
      { name: b, ws: WS_B, severity: 'Medium', status: 'New' },
    ]);
    const closed = await sync('ops-pagerduty', { incidentId: a, action: 'close' });
    expect(closed.status).toBe(200);
    expect((await emulatorIncident(s, a)).properties).toMatchObject({ status: 'Closed', classification: 'Undetermined' });

    const ack = await sync('ops-pagerduty', { incidentId: incidentId(WS_B, b), action: 'acknowledge', owner: 'jane@contoso.com' });
    expect(ack.status).toBe(200);
    const inc = await emulatorIncident(s, b, 'sentinel-b');
    expect(inc.properties).toMatchObject({ status: 'Active', owner: { userPrincipalName: 'jane@contoso.com', email: 'jane@contoso.com' } });
    expect(inc.comments.map((c: { properties: { message: string } }) => c.properties.message)).toEqual([
      'Sentinel Bridge: acknowledged in ops-pagerduty by jane@contoso.com; status set to Active.',
    ]);

    // By bare name, the second workspace is found too.
    const byName = await sync('ops-pagerduty', { incidentId: b, action: 'close', classification: 'BenignPositive' });
    expect(byName.jsonBody).toMatchObject({ workspace: 'sentinel-b', status: 'Closed', classification: 'BenignPositive' });
    expect((await sync('ops-pagerduty', { incidentId: b, action: 'acknowledge' })).status).toBe(409);
  });

  it('a 412 on the update is retried with a fresh read and succeeds, keeping the concurrent change', async () => {
    const s = stack.current;
    const name = newName();
    await seed(s, [{ name, severity: 'High', status: 'New' }]);
    const real = app().incidents.sentinel;
    const other = createSentinelClient(cfg().ARM_ENDPOINT, app().azure);
    let raced = false;
    const statuses: number[] = [];
    // Between the handler's read and its write, an analyst adds a label: the handler's etag is now stale.
    const racing: SentinelClient = {
      ...real,
      async putIncident(ws, incidentName, body) {
        if (!raced) {
          raced = true;
          const now = await other.getIncident(ws, incidentName);
          await other.putIncident(ws, incidentName, {
            etag: now?.etag as string,
            properties: { ...(now as ArmIncident).properties, labels: [{ labelName: 'analyst' }] },
          });
        }
        try {
          const written = await real.putIncident(ws, incidentName, body);
          statuses.push(200);
          return written;
        } catch (e) {
          statuses.push((e as { status: number }).status);
          throw e;
        }
      },
    };
    const r = await handleIncidentStatus(
      statusRequest('ops-signl4', { incidentId: name, action: 'close', classification: 'TruePositive', comment: 'confirmed' }),
      { ...app().incidents, sentinel: racing },
    );
    expect(r.status).toBe(200);
    expect(statuses).toEqual([412, 200]);
    expect(r.jsonBody).toMatchObject({ attempts: 2, status: 'Closed' });
    const inc = await emulatorIncident(s, name);
    expect(inc.properties).toMatchObject({ status: 'Closed', classification: 'TruePositive', classificationComment: 'confirmed' });
    expect(inc.properties.labels).toEqual([{ labelName: 'analyst', labelType: 'User' }]);
    expect(inc.comments).toHaveLength(1);
  });
});
