// Two-way sync end to end on the local stack as a user runs it (`npm start`'s entry point as a child process, the
// sample settings): an incident seeded in the Sentinel emulator is polled and forwarded to the sample's SIGNL4,
// PagerDuty and Slack destinations (all at the sink); the sink, as the vendor, plays its "acknowledge" and
// "close"/"resolve" callbacks to the bridge's callback route, built and signed as the vendor does (POST /_emulator/play,
// tools/emulators/vendorCallbacks.ts); the Sentinel emulator then shows owner + Active, then Closed with the
// classification, one comment per change; the same delivery again changes nothing.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACKNOWLEDGE_ACTION_ID, closeActionId } from '../../shared/destinations/slackActions.js';
import { type CallbackSpec, pagerDutyCallback, type VendorRequest } from '../../tools/emulators/vendorCallbacks.js';
import { emulatorCall } from '../support/emulatorClient.js';
import { type LocalStackProcess, startLocalStackProcess } from '../support/localStack.js';

interface SampleDestination {
  name: string;
  type: string;
  url: string;
  callbackSecret?: string;
  closeClassification?: string;
  closeClassificationReason?: string;
}
const sample = (JSON.parse(readFileSync('local.settings.sample.json', 'utf8')) as { Values: Record<string, string> }).Values;
const destinations = JSON.parse(sample.DESTINATIONS ?? '[]') as SampleDestination[];
const destinationOf = (type: string): SampleDestination & { callbackSecret: string } => {
  const d = destinations.find((x) => x.type === type);
  if (!d?.callbackSecret) throw new Error(`local.settings.sample.json has no ${type} destination with a callbackSecret`);
  return d as SampleDestination & { callbackSecret: string };
};
const SIGNL4 = destinationOf('signl4');
const PAGERDUTY = destinationOf('pagerduty');
const SLACK = destinationOf('slack');

interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  json?: Record<string, unknown>;
}
interface Incident {
  properties: {
    status: string;
    owner?: { assignedTo?: string; email?: string; userPrincipalName?: string };
    classification?: string;
    classificationReason?: string;
    classificationComment?: string;
  };
  comments: { properties: { message: string } }[];
}

let stack: LocalStackProcess;
let ca: string;
// One incident per vendor: each round trip closes its own.
const names = { signl4: crypto.randomUUID(), pagerduty: crypto.randomUUID(), slack: crypto.randomUUID() };

const received = async () => (await emulatorCall(stack.sinkUrl, ca, 'GET', '/_emulator/received')).json as Received[];
const incident = async (name: string) =>
  (await emulatorCall(stack.sentinelUrl, ca, 'GET', `/_emulator/incidents/${name}`)).json as Incident;
const callbackUrl = (destination: string) => `${stack.hostUrl}/api/incidents/${destination}/callback`;
/** The comments a destination's callbacks wrote (not the forwarding ones). */
const syncComments = async (name: string, destination: string) =>
  (await incident(name)).comments
    .map((c) => c.properties.message)
    .filter((m) => m.startsWith('Sentinel Bridge: ') && m.includes(` in ${destination}`));
/** What the sink got at a destination's path for one incident. */
const at = (list: Received[], destination: SampleDestination, name: string) =>
  list.filter((r) => r.path === new URL(destination.url).pathname && r.body.includes(name));

interface Played {
  sent: VendorRequest;
  answer: { status: number; json?: unknown; text?: string };
}

/** The sink plays the callback as the vendor; a bridge 5xx fails the test with the stack's output. */
async function play(spec: CallbackSpec): Promise<Played> {
  const res = await emulatorCall<Played>(stack.sinkUrl, ca, 'POST', '/_emulator/play', spec, { timeoutMs: 20_000 });
  if (res.status !== 200 || res.json.answer.status >= 500)
    throw new Error(`playing ${spec.vendor}: ${res.status} ${res.text}\n${stack.output()}`);
  return res.json;
}
const replay = (sent: VendorRequest) => play({ vendor: 'replay', request: sent });

/** Acknowledge, then the same delivery again: the second one changes nothing. */
async function acknowledged(name: string, destination: string, spec: CallbackSpec): Promise<Incident> {
  const played = await play(spec);
  expect(played.answer).toMatchObject({ status: 200, json: { result: 'applied' } });
  const after = await incident(name);
  expect((await replay(played.sent)).answer).toMatchObject({ status: 202, json: { result: 'duplicate' } });
  expect(await incident(name)).toEqual(after);
  const comments = await syncComments(name, destination);
  expect(comments).toHaveLength(1);
  expect(comments[0]).toMatch(new RegExp(`^Sentinel Bridge: acknowledged in ${destination} by .+; status set to Active\\.`));
  return after;
}

/** Close, then the same delivery again: still one close comment. */
async function closed(name: string, destination: string, spec: CallbackSpec): Promise<Incident> {
  const played = await play(spec);
  expect(played.answer).toMatchObject({ status: 200, json: { result: 'applied' } });
  const after = await incident(name);
  expect((await replay(played.sent)).answer.json).toMatchObject({ result: 'duplicate' });
  expect(await incident(name)).toEqual(after);
  const comments = await syncComments(name, destination);
  expect(comments).toHaveLength(2);
  expect(comments[1]).toMatch(new RegExp(`^Sentinel Bridge: closed in ${destination} by .+ as ${after.properties.classification}`));
  return after;
}

beforeAll(async () => {
  stack = await startLocalStackProcess();
  ca = readFileSync(stack.caFile, 'utf8');
  const now = new Date().toISOString();
  const seed = Object.entries(names).map(([vendor, name]) => ({
    name,
    properties: { title: `Round trip through ${vendor}`, severity: 'High', status: 'New', createdTimeUtc: now },
  }));
  expect((await emulatorCall(stack.sentinelUrl, ca, 'POST', '/_emulator/incidents', seed)).status).toBeLessThan(300);
  const run = await fetch(`${stack.hostUrl}/admin/functions/pollIncidents`, { method: 'POST', body: '{"input":""}' });
  expect(run.status).toBe(202);
  // Every destination has every incident (and its forwarding comment) before a callback may act on it.
  await stack.waitFor(
    'each incident at every destination',
    received,
    (list) => Object.values(names).every((n) => destinations.every((d) => at(list, d, n).length === 1)),
    30_000,
  );
  await stack.waitFor(
    'the forwarding comments',
    () => Promise.all(Object.values(names).map(incident)),
    (all) => all.every((i) => i.comments?.length === destinations.length),
  );
}, 90_000);

afterAll(async () => {
  const code = await stack?.stop();
  expect(code).toBe(0);
});

describe('two-way sync on the local stack', () => {
  it('SIGNL4: the alert as SIGNL4 takes it; its acknowledge → owner + Active; its close → Closed as the destination says', async () => {
    const name = names.signl4;
    const [alert] = at(await received(), SIGNL4, name);
    expect(alert?.json).toMatchObject({ 'X-S4-ExternalID': name, 'X-S4-Status': 'new', Title: expect.stringContaining('Round trip') });

    const user = { name: 'Rene', email: 'rene@example.com', id: crypto.randomUUID() };
    const signl4 = (action: 'acknowledge' | 'close', secret = SIGNL4.callbackSecret): CallbackSpec => ({
      vendor: 'signl4',
      url: callbackUrl(SIGNL4.name),
      secret,
      externalId: name,
      action,
      user,
    });
    expect((await play(signl4('close', 'not-the-callback-secret'))).answer.status).toBe(401);

    const active = await acknowledged(name, SIGNL4.name, signl4('acknowledge'));
    expect(active.properties).toMatchObject({ status: 'Active', owner: { email: user.email, userPrincipalName: user.email } });

    const done = await closed(name, SIGNL4.name, signl4('close'));
    expect(done.properties).toMatchObject({
      status: 'Closed',
      classification: SIGNL4.closeClassification ?? 'Undetermined',
      classificationComment: `Closed from ${SIGNL4.name} through Sentinel Bridge`,
      owner: { email: user.email },
    });
    expect(done.properties.classificationReason).toBe(SIGNL4.closeClassificationReason);
  });

  it("PagerDuty: an Events v2 trigger; v3 webhooks name PagerDuty's incident, mapped through its alerts' alert_key", async () => {
    const name = names.pagerduty;
    const [event] = at(await received(), PAGERDUTY, name);
    expect(event?.json).toMatchObject({ event_action: 'trigger', dedup_key: name, payload: { severity: 'critical' } });

    // PagerDuty opened its own incident for the alert: the REST API lists the alert under it, alert_key = dedup_key.
    const pagerdutyId = `Q${crypto.randomUUID().replace(/-/g, '').slice(0, 13).toUpperCase()}`;
    const seeded = await emulatorCall(stack.pagerdutyUrl, ca, 'POST', '/_emulator/incidents', {
      id: pagerdutyId,
      alerts: [{ alert_key: String(event?.json?.dedup_key) }],
    });
    expect(seeded.status).toBe(200);

    const agent = { name: 'Ana Responder', id: 'PANA123' };
    const pagerduty = (action: 'acknowledge' | 'close'): CallbackSpec => ({
      vendor: 'pagerduty',
      url: callbackUrl(PAGERDUTY.name),
      secrets: PAGERDUTY.callbackSecret,
      incidentId: pagerdutyId,
      action,
      agent,
    });
    // Signed, then changed on the way: refused.
    const signed = pagerDutyCallback({
      url: callbackUrl(PAGERDUTY.name),
      secrets: PAGERDUTY.callbackSecret,
      incidentId: pagerdutyId,
      action: 'close',
    });
    expect((await replay({ ...signed, body: signed.body.replace(pagerdutyId, 'PTAMPER') })).answer.status).toBe(401);

    const active = await acknowledged(name, PAGERDUTY.name, pagerduty('acknowledge'));
    expect(active.properties).toMatchObject({ status: 'Active', owner: { assignedTo: agent.name } });
    // The bridge asked the REST emulator, with its read-only key, for the incident's alerts.
    const asked = (await emulatorCall(stack.pagerdutyUrl, ca, 'GET', '/_emulator/received')).json as Received[];
    expect(asked.filter((r) => r.path.startsWith(`/incidents/${pagerdutyId}/alerts`))).toHaveLength(1);
    expect(asked[0]?.headers.accept).toBe('application/vnd.pagerduty+json;version=2');

    const done = await closed(name, PAGERDUTY.name, pagerduty('close'));
    expect(done.properties).toMatchObject({
      status: 'Closed',
      classification: PAGERDUTY.closeClassification ?? 'Undetermined',
      classificationComment: `Closed from ${PAGERDUTY.name} through Sentinel Bridge`,
    });
  });

  it('Slack: the message carries the buttons; Acknowledge and Close as … update the incident and the message (response_url)', async () => {
    const name = names.slack;
    const [message] = at(await received(), SLACK, name);
    type Element = { action_id?: string; value?: string };
    const buttons = ((message?.json?.blocks ?? []) as { type: string; elements?: Element[] }[])
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements ?? []);
    const ack = buttons.find((b) => b.action_id === ACKNOWLEDGE_ACTION_ID);
    expect(ack?.value).toMatch(new RegExp(`/incidents/${name}$`, 'i'));
    expect(buttons.map((b) => b.action_id)).toContain(closeActionId('FalsePositive'));

    const responsePath = `/slack/actions/${crypto.randomUUID()}`;
    const responseUrl = `${stack.sinkUrl.replace(/^http:/, 'https:')}${responsePath}`;
    const user = { name: 'jtorrance', id: 'UA8RXUSPL' };
    const click = (action: 'acknowledge' | 'close', now?: Date): CallbackSpec => ({
      vendor: 'slack',
      url: callbackUrl(SLACK.name),
      signingSecret: SLACK.callbackSecret,
      incidentRef: ack?.value ?? name,
      action,
      classification: 'FalsePositive',
      user,
      responseUrl,
      ...(now ? { now } : {}),
    });
    // Signed ten minutes ago: outside Slack's five-minute window.
    expect((await play(click('acknowledge', new Date(Date.now() - 600_000)))).answer.status).toBe(401);

    const active = await acknowledged(name, SLACK.name, click('acknowledge'));
    expect(active.properties).toMatchObject({ status: 'Active', owner: { assignedTo: user.name } });
    const done = await closed(name, SLACK.name, click('close'));
    expect(done.properties).toMatchObject({ status: 'Closed', classification: 'FalsePositive' });

    // Each change (not the repeats) replaced the message in place, over HTTPS to the response_url.
    const updates = (await received()).filter((r) => r.path === responsePath);
    expect(updates).toHaveLength(2);
    for (const u of updates) expect(u.json).toMatchObject({ replace_original: true });
    expect(updates[1]?.body).toMatch(/Closed by <@UA8RXUSPL> as FalsePositive/);
    // Once closed, no sync button is left: only the link to the portal.
    const left = JSON.stringify(updates[1]?.json).match(/"action_id":"[^"]+"/g) ?? [];
    expect(left.filter((a) => a.includes(ACKNOWLEDGE_ACTION_ID) || a.includes('close.'))).toEqual([]);
    expect(JSON.stringify(updates[0]?.json)).not.toContain(ACKNOWLEDGE_ACTION_ID);
  });
});
