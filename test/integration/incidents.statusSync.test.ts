// POST /api/incidents/{destination}/status through the function handler, against the Sentinel ARM emulator.
import { beforeEach, describe, expect, it } from 'vitest';
import { forwardIncident } from '../../functions/forwardIncident.js';
import { incidentStatus } from '../../functions/incidentStatus.js';
import { handleIncidentStatus } from '../../shared/incidents/handlers.js';
import { type ArmIncident, createSentinelClient, type SentinelClient } from '../../shared/incidents/sentinelClient.js';
import { request } from '../support/http.js';
import {
  app,
  CALLBACK_SECRETS,
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
  seed,
  sinkCall,
  TAG,
  useIncidentStack,
  WS_A,
  WS_B,
} from './incidents.harness.js';

const stack = useIncidentStack();
beforeEach(() => reset(stack.current));

const SIGNL4 = CALLBACK_SECRETS.signl4;
const statusRequest = (destination: string, body: unknown, secret: string | null = SIGNL4) =>
  request({
    path: `/api/incidents/${destination}/status`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(secret !== null ? { 'x-bridge-secret': secret } : {}) },
    params: { destination },
  });
/** The status route as the host runs it; by default with the destination's own callbackSecret. */
const sync = (destination: string, body: unknown, secret: string | null = secretOf(destination)) =>
  incidentStatus.handler(app(), statusRequest(destination, body, secret), context('incidentStatus'));
const secretOf = (destination: string) =>
  (
    ({ 'ops-signl4': CALLBACK_SECRETS.signl4, 'ops-pagerduty': CALLBACK_SECRETS.pagerduty, 'ops-slack': CALLBACK_SECRETS.slack }) as Record<
      string,
      string
    >
  )[destination] ?? null;

/** Seeds the incidents and forwards them to every destination (or only to `only`). */
async function delivered(incidents: Parameters<typeof seed>[1], only?: string[]) {
  await seed(stack.current, incidents);
  await poll();
  await drain((m) =>
    !only || only.includes((m as { destination: string }).destination)
      ? forwardIncident.handler(app(), m, context('forwardIncident'))
      : Promise.resolve(),
  );
  await sinkCall(stack.current, 'DELETE', '/_emulator/received');
}

describe('issue 10 §5: status sync is scoped to the destination (its own secret, its own incidents)', () => {
  it("401 for another destination's secret, a wrong or missing one, and a destination without a callbackSecret", async () => {
    const name = newName();
    await delivered([{ name, severity: 'High', status: 'New' }]);
    const before = await emulatorIncident(stack.current, name);
    const body = { incidentId: name, action: 'close' };
    const other = await sync('ops-signl4', body, CALLBACK_SECRETS.pagerduty);
    expect(other).toMatchObject({ status: 401, jsonBody: { error: expect.stringMatching(/x-bridge-secret .*"ops-signl4"/) } });
    expect((await sync('ops-signl4', body, `${SIGNL4}x`)).status).toBe(401);
    expect((await sync('ops-signl4', body, null)).status).toBe(401);
    expect((await sync('ops-signl4', body, '')).status).toBe(401);
    const teams = await sync('ops-teams', body, SIGNL4);
    expect(teams).toMatchObject({ status: 401, jsonBody: { error: expect.stringMatching(/has no callbackSecret/) } });
    // Nothing was written by any of them.
    const inc = await emulatorIncident(stack.current, name);
    expect(inc.properties).toEqual(before.properties);
    expect(inc.comments).toEqual(before.comments);
  });

  it('404 for an incident the bridge never delivered to that destination; nothing written', async () => {
    const [never, elsewhere] = [newName(), newName()];
    await seed(stack.current, [{ name: never, severity: 'High', status: 'New' }]);
    await delivered([{ name: elsewhere, severity: 'High', status: 'New' }], ['ops-pagerduty']);

    const r1 = await sync('ops-signl4', { incidentId: never, action: 'close' });
    expect(r1).toMatchObject({ status: 404, jsonBody: { error: `incident ${never} was not delivered to destination "ops-signl4"` } });
    const r2 = await sync('ops-signl4', { incidentId: incidentId(WS_A, elsewhere), action: 'acknowledge', owner: 'eve@contoso.com' });
    expect(r2.status).toBe(404);
    expect((await emulatorIncident(stack.current, never)).properties.status).toBe('New');
    const other = await emulatorIncident(stack.current, elsewhere);
    expect(other.properties).toMatchObject({ status: 'New' });
    expect(other.properties.owner).toBeUndefined();
    // The destination it was delivered to may change it.
    expect((await sync('ops-pagerduty', { incidentId: elsewhere, action: 'close' })).status).toBe(200);
  });

  it('404 for an unknown destination (no list of the others); 400 naming the field for a bad body', async () => {
    const unknownDest = await sync('nope', { incidentId: newName(), action: 'close' }, SIGNL4);
    expect(unknownDest).toMatchObject({ status: 404, jsonBody: { error: 'unknown destination "nope"' } });
    expect(unknownDest.jsonBody).not.toHaveProperty('knownDestinations');
    const foreign = await sync('ops-signl4', {
      incidentId: incidentId({ ...WS_A, workspaceName: 'elsewhere' }, newName()),
      action: 'close',
    });
    expect(foreign.status).toBe(404);
    const bad = await sync('ops-signl4', { incidentId: newName(), action: 'resolve' });
    expect(bad).toMatchObject({ status: 400, jsonBody: { error: expect.stringMatching(/^action: /), field: 'action' } });
    const badOwner = await sync('ops-signl4', { incidentId: newName(), action: 'acknowledge', owner: 42 });
    expect(badOwner).toMatchObject({ status: 400, jsonBody: { field: 'owner' } });
    expect((await sync('ops-signl4', '{nope')).status).toBe(400);
    expect((await sync('ops-signl4', { incidentId: 'not a ref!', action: 'close' })).status).toBe(400);
  });
});

describe('status sync: updates', () => {
  it('close sets Closed with the classification, reason and comment, keeps labels, and no resolve echoes back to the closer', async () => {
    const s = stack.current;
    const name = newName();
    await delivered([{ name, severity: 'High', status: 'New' }]);

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
    await delivered([
      { name: a, severity: 'Low', status: 'New' },
      { name: b, ws: WS_B, severity: 'Medium', status: 'New' },
    ]);
    const closed = await sync('ops-signl4', { incidentId: a, action: 'close' });
    expect(closed.status).toBe(200);
    expect((await emulatorIncident(s, a)).properties).toMatchObject({ status: 'Closed', classification: 'Undetermined' });
    expect((await emulatorIncident(s, a)).properties.classificationReason).toBeUndefined();

    const ack = await sync('ops-pagerduty', { incidentId: incidentId(WS_B, b), action: 'acknowledge', owner: 'jane@contoso.com' });
    expect(ack.status).toBe(200);
    const inc = await emulatorIncident(s, b, 'sentinel-b');
    expect(inc.properties).toMatchObject({ status: 'Active', owner: { userPrincipalName: 'jane@contoso.com', email: 'jane@contoso.com' } });
    expect(inc.comments.map((c: { properties: { message: string } }) => c.properties.message)).toContain(
      'Sentinel Bridge: acknowledged in ops-pagerduty by jane@contoso.com; status set to Active.',
    );

    // By bare name, the second workspace is found too.
    const byName = await sync('ops-pagerduty', { incidentId: b, action: 'close', classification: 'BenignPositive' });
    expect(byName.jsonBody).toMatchObject({ workspace: 'sentinel-b', status: 'Closed', classification: 'BenignPositive' });
    expect((await sync('ops-pagerduty', { incidentId: b, action: 'acknowledge' })).status).toBe(409);
    // A destination's own closeClassification applies when the body names none (ops-pagerduty: TruePositive).
    const c = newName();
    await delivered([{ name: c, severity: 'Low', status: 'New' }]);
    await sync('ops-pagerduty', { incidentId: c, action: 'close' });
    expect((await emulatorIncident(s, c)).properties).toMatchObject({
      classification: 'TruePositive',
      classificationReason: 'SuspiciousActivity',
    });
  });

  it('a 412 on the update is retried with a fresh read and succeeds, keeping the concurrent change', async () => {
    const s = stack.current;
    const name = newName();
    await delivered([{ name, severity: 'High', status: 'New' }]);
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
    expect(
      inc.comments.filter((c: { properties: { message: string } }) => c.properties.message.startsWith('Sentinel Bridge: closed')),
    ).toHaveLength(1);
  });
});
