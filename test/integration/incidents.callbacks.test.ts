// POST /api/incidents/{destination}/callback through the function handler: each vendor's documented example body
// (test/fixtures/callbacks, with our incident's reference put where the vendor puts it), signed as the vendor signs
// with this run's secret, against Azurite, the Sentinel ARM emulator and the PagerDuty REST emulator.
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { beforeEach, describe, expect, it } from 'vitest';
import { forwardIncident } from '../../functions/forwardIncident.js';
import { incidentCallback } from '../../functions/incidentCallback.js';
import type { sendToDestination } from '../../shared/destinations/send.js';
import { ACKNOWLEDGE_ACTION_ID, closeActionId } from '../../shared/destinations/slackActions.js';
import { handleIncidentCallback } from '../../shared/incidents/callbacks.js';
import { request } from '../support/http.js';
import {
  app,
  CALLBACK_SECRETS,
  call,
  context,
  drain,
  emulatorIncident,
  incidentId,
  newName,
  poll,
  received,
  reset,
  seed,
  sinkCall,
  useIncidentStack,
  WS_A,
} from './incidents.harness.js';

const stack = useIncidentStack();
beforeEach(() => reset(stack.current));

const fixture = (path: string) => JSON.parse(readFileSync(new URL(`../fixtures/callbacks/${path}`, import.meta.url), 'utf8'));
// biome-ignore lint/suspicious/noExplicitAny: fixtures are edited field by field
type Json = Record<string, any>;

const callback = (destination: string, body: string, headers: Record<string, string>, query = '') =>
  incidentCallback.handler(
    app(),
    request({ path: `/api/incidents/${destination}/callback${query}`, body, headers, params: { destination } }),
    context('incidentCallback'),
  );

async function delivered(only?: string[]): Promise<string> {
  const name = newName();
  await seed(stack.current, [{ name, severity: 'High', status: 'New' }]);
  await poll();
  await drain((m) =>
    !only || only.includes((m as { destination: string }).destination)
      ? forwardIncident.handler(app(), m, context('forwardIncident'))
      : Promise.resolve(),
  );
  await sinkCall(stack.current, 'DELETE', '/_emulator/received');
  return name;
}
const messages = async (name: string) =>
  ((await emulatorIncident(stack.current, name)).comments as { properties: { message: string } }[]).map((c) => c.properties.message);
const bridgeComments = async (name: string) => (await messages(name)).filter((m) => !m.startsWith('Sentinel Bridge forwarded'));

// SIGNL4: the secret rides in the URL.
const signl4 = (body: Json, secret = CALLBACK_SECRETS.signl4) =>
  callback('ops-signl4', JSON.stringify(body), { 'content-type': 'application/json' }, `?secret=${encodeURIComponent(secret)}`);
const signl4Body = (file: string, name: string) => {
  const b = fixture(`signl4/${file}`) as Json;
  b.alert.externalEventId = name;
  return b;
};

describe('SIGNL4 callbacks (documented examples)', () => {
  it('acknowledged → owner + Active; annotated → a comment; closed → Closed with the default classification; one comment each', async () => {
    const name = await delivered();
    const ack = await signl4(signl4Body('acknowledged.json', name));
    expect(ack).toMatchObject({ status: 200, jsonBody: { result: 'applied' } });
    expect((await emulatorIncident(stack.current, name)).properties).toMatchObject({
      status: 'Active',
      owner: { userPrincipalName: 'rene@signl4.com', email: 'rene@signl4.com' },
    });
    expect((await signl4(signl4Body('annotated.json', name))).status).toBe(200);
    const closed = await signl4(signl4Body('closed.json', name));
    expect(closed.status).toBe(200);
    const inc = await emulatorIncident(stack.current, name);
    expect(inc.properties).toMatchObject({ status: 'Closed', classification: 'Undetermined' });
    expect(await bridgeComments(name)).toEqual([
      'Sentinel Bridge: acknowledged in ops-signl4 by rene@signl4.com; status set to Active.',
      "Sentinel Bridge: note from rene@signl4.com in ops-signl4: OK, I'll take care about it.",
      'Sentinel Bridge: closed in ops-signl4 by rene@signl4.com as Undetermined.',
    ]);
    // The closure reaches the other destinations that resolve, not SIGNL4 which closed it.
    await poll();
    await drain();
    expect((await received(stack.current)).map((r) => r.path).sort()).toEqual(['/enriched', '/pagerduty', '/webhook']);
  });

  it('a duplicate delivery changes nothing twice and writes one comment', async () => {
    const name = await delivered();
    const body = signl4Body('acknowledged.json', name);
    expect((await signl4(body)).status).toBe(200);
    expect(await signl4(body)).toMatchObject({ status: 202, jsonBody: { result: 'duplicate' } });
    expect(await bridgeComments(name)).toHaveLength(1);
  });

  it('a wrong or missing secret → 401; escalated or created → 202 ignored', async () => {
    const name = await delivered();
    expect((await signl4(signl4Body('acknowledged.json', name), `${CALLBACK_SECRETS.signl4}x`)).status).toBe(401);
    expect((await callback('ops-signl4', JSON.stringify(signl4Body('acknowledged.json', name)), {})).status).toBe(401);
    expect(await signl4(signl4Body('escalated.json', name))).toMatchObject({ status: 202, jsonBody: { result: 'ignored' } });
    expect((await emulatorIncident(stack.current, name)).properties.status).toBe('New');
  });

  it('an incident never delivered to SIGNL4 → 202 ignored, nothing written', async () => {
    const name = await delivered(['ops-pagerduty']);
    const before = await emulatorIncident(stack.current, name);
    expect(await signl4(signl4Body('closed.json', name))).toMatchObject({ status: 202, jsonBody: { result: 'ignored' } });
    const after = await emulatorIncident(stack.current, name);
    expect(after.properties).toEqual(before.properties);
    expect(after.comments).toEqual(before.comments);
  });

  it('a body over 64 KB → 413; Teams cannot call back → 404', async () => {
    expect((await callback('ops-signl4', 'x'.repeat(65 * 1024), {}, `?secret=${CALLBACK_SECRETS.signl4}`)).status).toBe(413);
    expect((await callback('ops-teams', '{}', {})).status).toBe(404);
  });
});

// PagerDuty: X-PagerDuty-Signature over the raw body; the incident id mapped through the REST API.
const pdSign = (body: string, secret: string = CALLBACK_SECRETS.pagerduty) =>
  `v1=${createHmac('sha256', secret).update(body).digest('hex')}`;
const pdEvent = (eventType: string, data: Json) =>
  JSON.stringify({
    event: {
      id: randomUUID(),
      event_type: eventType,
      resource_type: 'incident',
      occurred_at: new Date().toISOString(),
      agent: { id: 'PLH1HKV', summary: 'Tenex Engineer', type: 'user_reference' },
      data,
    },
  });

describe('PagerDuty Webhooks v3 callbacks (documented examples)', () => {
  it("acknowledged → owner + Active, annotated → a comment, resolved → Closed with the destination's classification", async () => {
    const s = stack.current;
    const name = await delivered();
    const pdId = 'PGR0VU2';
    await call(s.pagerduty.url, 'POST', '/_emulator/incidents', { id: pdId, alerts: [{ alert_key: name }] }, s.tls.ca);
    const incident = { ...fixture('pagerduty/data-incident.json'), id: pdId };
    const send = (body: string, secret?: string) =>
      callback('ops-pagerduty', body, { 'content-type': 'application/json', 'x-pagerduty-signature': pdSign(body, secret) });
    const ack = pdEvent('incident.acknowledged', incident);
    expect((await send(ack, 'wrong-secret-000000')).status).toBe(401);
    expect((await send(ack)).status).toBe(200);
    expect(await send(ack)).toMatchObject({ status: 202, jsonBody: { result: 'duplicate' } });
    expect((await emulatorIncident(s, name)).properties).toMatchObject({ status: 'Active', owner: { assignedTo: 'Tenex Engineer' } });
    const note = { ...fixture('pagerduty/data-incident_note.json') };
    note.incident = { ...note.incident, id: pdId };
    expect((await send(pdEvent('incident.annotated', note))).status).toBe(200);
    expect((await send(pdEvent('incident.resolved', { ...incident, status: 'resolved' }))).status).toBe(200);
    expect((await emulatorIncident(s, name)).properties).toMatchObject({
      status: 'Closed',
      classification: 'TruePositive',
      classificationReason: 'SuspiciousActivity',
    });
    const comments = await bridgeComments(name);
    expect(comments).toHaveLength(3);
    expect(comments[0]).toBe('Sentinel Bridge: acknowledged in ops-pagerduty by Tenex Engineer; status set to Active.');
    expect(comments[1]).toMatch(/^Sentinel Bridge: note from Tenex Engineer in ops-pagerduty: /);
    expect(comments[2]).toBe('Sentinel Bridge: closed in ops-pagerduty by Tenex Engineer as TruePositive (SuspiciousActivity).');
    // The REST API was asked once: the mapping is remembered.
    const asked = ((await call(s.pagerduty.url, 'GET', '/_emulator/received', undefined, s.tls.ca)).json as { path: string }[]).filter(
      (r) => r.path.startsWith(`/incidents/${pdId}/alerts`),
    );
    expect(asked).toHaveLength(1);
  });

  it('a PagerDuty incident the bridge never sent → 202 ignored; a tampered body → 401', async () => {
    const s = stack.current;
    await call(s.pagerduty.url, 'POST', '/_emulator/incidents', { id: 'PFOREIGN', alerts: [{ alert_key: 'not-ours' }] }, s.tls.ca);
    const body = pdEvent('incident.resolved', { ...fixture('pagerduty/data-incident.json'), id: 'PFOREIGN' });
    const headers = { 'content-type': 'application/json', 'x-pagerduty-signature': pdSign(body) };
    expect(await callback('ops-pagerduty', body, headers)).toMatchObject({ status: 202, jsonBody: { result: 'ignored' } });
    expect((await callback('ops-pagerduty', body.replace('resolved', 'acknowledged'), headers)).status).toBe(401);
  });
});

// Slack: X-Slack-Signature over "v0:{ts}:{body}", the button value is our reference, response_url gets the update.
describe('Slack interactivity callbacks (documented example)', () => {
  /** What the route sends to response_url (hooks.slack.com in the fixture): recorded, not sent. */
  const sent: { url: string; body: string }[] = [];
  const recordingSend: typeof sendToDestination = async (destination, message) => {
    sent.push({ url: destination.url, body: message.body });
    return { ok: true, status: 200 };
  };
  const slack = (payload: Json, secret: string = CALLBACK_SECRETS.slack, ts = String(Math.floor(Date.now() / 1000))) => {
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const signature = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
    const req = request({
      path: '/api/incidents/ops-slack/callback',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-signature': signature, 'x-slack-request-timestamp': ts },
      params: { destination: 'ops-slack' },
    });
    return handleIncidentCallback(req, { ...app().incidents, send: recordingSend });
  };
  const click = (name: string, actionId: string) => {
    const p = fixture('slack/block_actions.json') as Json;
    p.actions = [{ ...p.actions[0], action_id: actionId, value: incidentId(WS_A, name), action_ts: `${Date.now()}.${Math.random()}` }];
    return p;
  };

  it('Acknowledge then Close as True positive; the message is updated through response_url; stale or wrong signatures → 401', async () => {
    const s = stack.current;
    const name = await delivered();
    expect((await slack(click(name, ACKNOWLEDGE_ACTION_ID), 'wrong')).status).toBe(401);
    const stale = String(Math.floor(Date.now() / 1000) - 600);
    expect((await slack(click(name, ACKNOWLEDGE_ACTION_ID), undefined, stale)).status).toBe(401);
    expect(sent).toHaveLength(0);
    expect((await slack(click(name, ACKNOWLEDGE_ACTION_ID))).status).toBe(200);
    expect((await emulatorIncident(s, name)).properties).toMatchObject({ status: 'Active', owner: { assignedTo: 'jtorrance' } });
    expect((await slack(click(name, closeActionId('TruePositive')))).status).toBe(200);
    expect((await emulatorIncident(s, name)).properties).toMatchObject({
      status: 'Closed',
      classification: 'TruePositive',
      classificationReason: 'SuspiciousActivity',
    });
    expect(sent.map((m) => m.url)).toEqual([
      fixture('slack/block_actions.json').response_url,
      fixture('slack/block_actions.json').response_url,
    ]);
    expect(JSON.parse(sent[1]?.body ?? '{}')).toMatchObject({ replace_original: true });
    expect(sent[1]?.body).toMatch(/Closed by <@UA8RXUSPL> as TruePositive/);
  });
});

describe('generic webhook receivers (Standard Webhooks)', () => {
  it('a signed status JSON acknowledges; the same webhook-id again is a duplicate; another secret → 401', async () => {
    const name = await delivered();
    const body = JSON.stringify({ incidentId: name, action: 'acknowledge', owner: 'ana@contoso.com' });
    const headers = (secret: string) => {
      const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
      const at = new Date();
      return {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign(id, at, body),
      };
    };
    expect((await callback('ops-webhook', body, headers(`whsec_${Buffer.from(randomUUID()).toString('base64')}`))).status).toBe(401);
    expect((await callback('ops-webhook', body, headers(CALLBACK_SECRETS.webhook))).status).toBe(200);
    expect((await callback('ops-webhook', body, headers(CALLBACK_SECRETS.webhook))).jsonBody).toMatchObject({ result: 'duplicate' });
    expect((await emulatorIncident(stack.current, name)).properties).toMatchObject({
      status: 'Active',
      owner: { email: 'ana@contoso.com' },
    });
  });
});
