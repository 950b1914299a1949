// Incidents out, end to end through the function handlers: Azurite + the Sentinel ARM emulator + the sink.

import { Webhook } from 'standardwebhooks';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.js';
import {
  handleIncidentMessage,
  handleIncidentPoison,
  probeIncidentDestination,
  replayIncidents,
  runIncidentPoll,
} from '../../shared/incidents/handlers.js';
import { deliveryIdOf } from '../../shared/incidents/messages.js';
import { createSentinelClient } from '../../shared/incidents/sentinelClient.js';
import { updateIncident } from '../../shared/incidents/tagging.js';
import { workspaceKey } from '../../shared/incidents/workspaces.js';
import { RETRY_CYCLES_MS } from '../../shared/reliability/retrySchedule.js';
import { appOf } from '../../tools/dev/apps.js';
import {
  app,
  drain,
  emulatorIncident,
  hoursAgo,
  newName,
  PD_KEY,
  poll,
  received,
  reset,
  type Seed,
  seed,
  sentinelCall,
  sinkCall,
  TAG,
  useIncidentStack,
  WEBHOOK_SECRET,
  WS_A,
  WS_B,
  wsId,
} from './incidents.harness.js';

const stack = useIncidentStack();
beforeEach(() => reset(stack.current));

const SEVERITIES = ['High', 'Medium', 'Low', 'Informational'] as const;
const PD_SEVERITY = { High: 'critical', Medium: 'error', Low: 'warning', Informational: 'info' } as const;
const DEST_PATHS = ['/signl4/teamsecret', '/pagerduty', '/teams', '/slack', '/webhook', '/enriched'];

/** Names of the incidents each sink path received, in arrival order. */
async function byPath(): Promise<Record<string, (string | undefined)[]>> {
  const out: Record<string, (string | undefined)[]> = {};
  for (const r of await received(stack.current)) {
    const j = r.json as Record<string, string | undefined>;
    const name =
      j['X-S4-ExternalID'] ??
      j.dedup_key ??
      j.subject ??
      JSON.stringify(j).match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/)?.[0];
    const list = out[r.path] ?? [];
    list.push(name);
    out[r.path] = list;
  }
  return out;
}

describe('poll → forward → tag and comment', () => {
  it('forwards exactly the matching incidents (all pages, both workspaces) once each, in each format, then tags and comments them', async () => {
    const s = stack.current;
    const seeds: Seed[] = [];
    // Workspace A: every severity × status, created 1–3 hours ago; plus New ones older than the 24 h look-back.
    for (const severity of SEVERITIES)
      for (const status of ['New', 'Active', 'Closed'])
        seeds.push({ name: newName(), severity, status, createdTimeUtc: hoursAgo(1 + seeds.length / 10) });
    seeds.push(
      { name: newName(), severity: 'High', status: 'New', createdTimeUtc: hoursAgo(25) },
      { name: newName(), severity: 'Low', status: 'New', createdTimeUtc: hoursAgo(72) },
    );
    // One with alerts and entities (for the enriched destination) and an existing auto-assigned label.
    const rich = seeds.find((x) => x.status === 'New' && x.severity === 'High') as Seed;
    rich.labels = [{ labelName: 'phishing', labelType: 'AutoAssigned' }];
    rich.alerts = [
      {
        name: 'alert-1',
        kind: 'SecurityAlert',
        properties: { alertDisplayName: 'Suspicious sign-in', severity: 'High', status: 'New', productName: 'Azure Sentinel' },
      },
    ];
    rich.entities = [
      { name: 'ent-1', kind: 'Account', properties: { friendlyName: 'jane', accountName: 'jane', upnSuffix: 'contoso.com' } },
    ];
    // Workspace B: two new ones.
    seeds.push(
      { name: newName(), ws: WS_B, severity: 'Medium', status: 'New' },
      { name: newName(), ws: WS_B, severity: 'Informational', status: 'New' },
    );
    await seed(s, seeds);

    const matching = seeds.filter((x) => x.status === 'New' && Date.parse(x.createdTimeUtc ?? hoursAgo(1)) > Date.now() - 24 * 3600_000);
    expect(matching).toHaveLength(6);
    const others = seeds.filter((x) => !matching.includes(x));

    await poll();
    const queue = app().storage.queue('incidents');
    expect((await queue.getProperties()).approximateMessagesCount).toBe(matching.length * DEST_PATHS.length);
    expect(await drain()).toBe(matching.length * DEST_PATHS.length);

    // Each destination got each matching incident exactly once, and nothing else.
    const paths = await byPath();
    for (const p of DEST_PATHS) expect([...(paths[p] ?? [])].sort(), p).toEqual(matching.map((m) => m.name).sort());

    // Each in its destination's format.
    const all = await received(s);
    const find = (path: string, name: string) => {
      const hit = all.find((r) => r.path === path && JSON.stringify(r.json).includes(name));
      expect(hit, `${path} ${name}`).toBeDefined();
      // biome-ignore lint/suspicious/noExplicitAny: destination bodies are asserted field by field
      return hit as (typeof all)[number] & { json: any };
    };
    for (const m of matching) {
      const ws = m.ws ?? WS_A;
      const signl4 = find('/signl4/teamsecret', m.name).json;
      expect(signl4).toMatchObject({ 'X-S4-ExternalID': m.name, 'X-S4-Status': 'new' });
      expect(signl4.Title).toContain(`Incident ${m.name.slice(0, 8)}`);
      const pd = find('/pagerduty', m.name).json;
      expect(pd).toMatchObject({
        routing_key: PD_KEY,
        event_action: 'trigger',
        dedup_key: m.name,
        payload: { severity: PD_SEVERITY[m.severity as keyof typeof PD_SEVERITY], source: wsId(ws) },
      });
      const teams = find('/teams', m.name).json;
      expect(teams.type).toBe('message');
      expect(teams.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
      const slack = find('/slack', m.name).json;
      expect(typeof slack.text).toBe('string');
      expect(Array.isArray(slack.blocks)).toBe(true);
      const hook = find('/webhook', m.name);
      expect(hook.headers['content-type']).toBe('application/cloudevents+json');
      expect(hook.json).toMatchObject({ specversion: '1.0', type: 'sentinelbridge.incident.created', subject: m.name, source: wsId(ws) });
      expect(() => new Webhook(WEBHOOK_SECRET).verify(hook.body, hook.headers as Record<string, string>)).not.toThrow();
      expect(hook.json.data.enrichment).toBeUndefined();
      const enriched = find('/enriched', m.name).json;
      if (m === rich) {
        expect(enriched.data.enrichment.alerts).toEqual([
          expect.objectContaining({ name: 'alert-1', title: 'Suspicious sign-in', severity: 'High' }),
        ]);
        expect(enriched.data.enrichment.entities).toEqual([
          expect.objectContaining({ kind: 'Account', friendlyName: 'jane', upnSuffix: 'contoso.com' }),
        ]);
      }
    }

    // In Sentinel: the tag once (existing labels kept), one comment per destination naming it.
    for (const m of matching) {
      const inc = await emulatorIncident(s, m.name);
      const labels = inc.properties.labels.map((l: { labelName: string }) => l.labelName);
      expect(labels.filter((l: string) => l === TAG)).toHaveLength(1);
      if (m === rich) expect(inc.properties.labels).toContainEqual({ labelName: 'phishing', labelType: 'AutoAssigned' });
      const messages: string[] = inc.comments.map((c: { properties: { message: string } }) => c.properties.message);
      expect(messages).toHaveLength(DEST_PATHS.length);
      for (const d of ['ops-signl4', 'ops-pagerduty', 'ops-teams', 'ops-slack', 'ops-webhook', 'ops-enriched']) {
        expect(
          messages.filter((t) => t.includes(`"${d}"`)),
          d,
        ).toHaveLength(1);
      }
      expect(inc.properties.status).toBe('New');
    }
    for (const o of others) {
      const inc = await emulatorIncident(s, o.name);
      expect(inc.properties.labels.map((l: { labelName: string }) => l.labelName)).not.toContain(TAG);
      expect(inc.comments).toEqual([]);
    }

    // State partitioned per workspace.
    const claims = app().storage.table('claims');
    for (const ws of [WS_A, WS_B]) {
      const rows = [];
      for await (const e of claims.listEntities({ queryOptions: { filter: `PartitionKey eq '${workspaceKey(ws)}'` } }))
        rows.push(e.rowKey as string);
      const expected = matching.filter((m) => (m.ws ?? WS_A) === ws).map((m) => `incident|${m.name}|created`);
      expect(rows.filter((r) => r.endsWith('|created') && r.startsWith('incident|')).sort()).toEqual(expected.sort());
      expect(rows).toContain('poll');
    }

    // A second poll forwards nothing new.
    const before = all.length;
    await poll();
    expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
    expect(await drain()).toBe(0);
    expect((await received(s)).length).toBe(before);
  });

  it('two concurrent polls (two instances) forward each incident once', async () => {
    const s = stack.current;
    const seeds: Seed[] = Array.from({ length: 12 }, (_, i) => ({
      name: newName(),
      severity: SEVERITIES[i % 4] as string,
      status: 'New',
      ws: i % 3 === 0 ? WS_B : WS_A,
    }));
    await seed(s, seeds);
    // The second instance has its own configuration object, so its own storage and Sentinel clients.
    await Promise.all([poll(), runIncidentPoll(appOf(loadConfig(process.env)).incidents), poll()]);
    expect((await app().storage.queue('incidents').getProperties()).approximateMessagesCount).toBe(seeds.length * DEST_PATHS.length);
    await drain();
    const paths = await byPath();
    for (const p of DEST_PATHS) expect([...(paths[p] ?? [])].sort(), p).toEqual(seeds.map((x) => x.name).sort());
    for (const x of seeds.slice(0, 3))
      expect((await emulatorIncident(s, x.name, (x.ws ?? WS_A).workspaceName)).comments).toHaveLength(DEST_PATHS.length);
  });

  it('a destination failing three times still receives the incident once; Sentinel is commented once', async () => {
    const s = stack.current;
    const name = newName();
    await seed(s, [{ name, severity: 'High', status: 'New' }]);
    const onlySignl4 = loadConfig({
      ...process.env,
      DESTINATIONS: JSON.stringify([{ name: 'ops-signl4', type: 'signl4', url: `${s.sink.url}/signl4/teamsecret` }]),
    });
    await runIncidentPoll(appOf(onlySignl4).incidents);
    await sinkCall(s, 'POST', '/_emulator/faults', { status: 503, count: 3 });

    // The real schedule: the first failure re-enqueues with the first delay (1 s) as the visibility timeout.
    const queue = app().storage.queue('incidents');
    const first = (await queue.receiveMessages()).receivedMessageItems[0];
    expect(first).toBeDefined();
    const outcome = await handleIncidentMessage(JSON.parse(first?.messageText ?? ''), appOf(onlySignl4).incidents);
    await queue.deleteMessage(first?.messageId ?? '', first?.popReceipt ?? '');
    expect(outcome).toMatchObject({ result: 'retry', delayMs: RETRY_CYCLES_MS[0]?.[0] });
    expect((await queue.receiveMessages()).receivedMessageItems).toHaveLength(0); // not visible yet
    await new Promise((r) => setTimeout(r, 1100));

    // Then two more failures and a success (short delays for the test; the schedule is the function's seam).
    const outcomes: string[] = [];
    await drain(async (m) => {
      const o = await handleIncidentMessage(m, { ...appOf(onlySignl4).incidents, retry: (n) => ({ retry: n, cycle: 1, delayMs: 200 }) });
      outcomes.push(o.result);
    });
    expect(outcomes).toEqual(['retry', 'retry', 'delivered']);
    const hits = (await received(s)).filter((r) => r.path === '/signl4/teamsecret');
    expect(hits).toHaveLength(4); // three refused, one accepted
    expect(new Set(hits.map((h) => (h.json as Record<string, string>)['X-S4-ExternalID']))).toEqual(new Set([name]));
    const inc = await emulatorIncident(s, name);
    expect(inc.comments).toHaveLength(1);
    expect(inc.comments[0].properties.message).toContain('"ops-signl4"');
  });

  it('a refusal that retrying cannot fix is dead-lettered at once, with the reason', async () => {
    const s = stack.current;
    const name = newName();
    await seed(s, [{ name, severity: 'Low', status: 'New' }]);
    const onlySlack = loadConfig({
      ...process.env,
      DESTINATIONS: JSON.stringify([{ name: 'ops-slack', type: 'slack', url: `${s.sink.url}/slack` }]),
    });
    await runIncidentPoll(appOf(onlySlack).incidents);
    await sinkCall(s, 'POST', '/_emulator/faults', { status: 404, count: 1 });
    const outcomes: unknown[] = [];
    await drain(async (m) => outcomes.push(await handleIncidentMessage(m, appOf(onlySlack).incidents)));
    expect(outcomes).toEqual([{ result: 'dead-lettered', reason: expect.stringMatching(/HTTP 404/) }]);
    const held = await app().reliability.deadLetters.list('destination:ops-slack');
    const item = held.find((h) => h.envelopeId === deliveryIdOf(WS_A, name, 'created', 'ops-slack'));
    expect(item).toMatchObject({ count: 1, attempts: 1, status: 404, reason: expect.stringMatching(/no such webhook/) });
    expect(await app().reliability.deadLetters.rows(item as NonNullable<typeof item>)).toEqual([
      expect.objectContaining({ incident: name, destination: 'ops-slack', event: 'created' }),
    ]);
    expect((await emulatorIncident(s, name)).comments).toEqual([]);
  });
});

describe('closure', () => {
  it('sends the resolve to SIGNL4 and PagerDuty (and the closed CloudEvent to webhooks) once when Sentinel closes a forwarded incident', async () => {
    const s = stack.current;
    const name = newName();
    const never = newName();
    await seed(s, [{ name, severity: 'Medium', status: 'New' }]);
    await poll();
    await drain();
    await sinkCall(s, 'DELETE', '/_emulator/received');

    // Closed in Sentinel (an analyst), and another closed incident the bridge never forwarded.
    await seed(s, [{ name: never, severity: 'High', status: 'Closed' }]);
    const closed = await updateIncident(app().incidents.sentinel, WS_A, name, (p) => ({
      ...p,
      status: 'Closed',
      classification: 'TruePositive',
      classificationReason: 'SuspiciousActivity',
    }));
    expect(closed?.incident.properties.status).toBe('Closed');

    await poll();
    await drain();
    const got = await received(s);
    expect(got.map((r) => r.path).sort()).toEqual(['/enriched', '/pagerduty', '/signl4/teamsecret', '/webhook']);
    expect(got.find((r) => r.path === '/signl4/teamsecret')?.json).toMatchObject({ 'X-S4-ExternalID': name, 'X-S4-Status': 'resolved' });
    expect(got.find((r) => r.path === '/pagerduty')?.json).toEqual({ routing_key: PD_KEY, event_action: 'resolve', dedup_key: name });
    expect(got.find((r) => r.path === '/webhook')?.json).toMatchObject({ type: 'sentinelbridge.incident.closed', subject: name });
    expect(JSON.stringify(got)).not.toContain(never);

    await poll();
    expect(await drain()).toBe(0);
    expect(await received(s)).toHaveLength(got.length);
  });
});

describe('idempotency', () => {
  it('a duplicate message (at-least-once queue) sends nothing twice and comments once', async () => {
    const s = stack.current;
    const name = newName();
    await seed(s, [{ name, severity: 'High', status: 'New' }]);
    await poll();
    const queue = app().storage.queue('incidents');
    const { peekedMessageItems: receivedMessageItems } = await queue.peekMessages({ numberOfMessages: 32 });
    expect(receivedMessageItems).toHaveLength(DEST_PATHS.length);
    for (const m of receivedMessageItems) await queue.sendMessage(m.messageText); // every message twice
    const outcomes: string[] = [];
    await drain(async (m) => outcomes.push((await handleIncidentMessage(m, app().incidents)).result));
    expect(outcomes.filter((o) => o === 'delivered')).toHaveLength(DEST_PATHS.length);
    // A copy that arrives while the first is still tagging may finish the tagging too (idempotent): never a second send.
    expect(outcomes.filter((o) => o !== 'delivered').every((o) => o === 'duplicate' || o === 'annotated')).toBe(true);
    expect(await received(s)).toHaveLength(DEST_PATHS.length);
    expect((await emulatorIncident(s, name)).comments).toHaveLength(DEST_PATHS.length);
  });

  it('a poll that died between claiming and enqueueing is taken over by a later poll once the claim is stale', async () => {
    const s = stack.current;
    const [stale, fresh] = [newName(), newName()];
    await seed(s, [
      { name: stale, severity: 'High', status: 'New' },
      { name: fresh, severity: 'Low', status: 'New' },
    ]);
    const claims = app().storage.table('claims');
    const row = (name: string, minutesAgo: number) => ({
      partitionKey: workspaceKey(WS_A),
      rowKey: `incident|${name}|created`,
      state: 'claimed',
      claimedAt: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
    });
    await claims.createEntity(row(stale, 5));
    await claims.createEntity(row(fresh, 0));
    await poll();
    await drain();
    const names = new Set(Object.values(await byPath()).flat());
    expect(names).toEqual(new Set([stale])); // the fresh claim belongs to a poll still running
    expect((await claims.getEntity(workspaceKey(WS_A), `incident|${stale}|created`)).state).toBe('enqueued');
  });

  it('when Sentinel fails after the send, the retry only tags and comments — the destination is not called again', async () => {
    const s = stack.current;
    const name = newName();
    await seed(s, [{ name, severity: 'Medium', status: 'New' }]);
    const onlyTeams = loadConfig({
      ...process.env,
      DESTINATIONS: JSON.stringify([{ name: 'ops-teams', type: 'teams', url: `${s.sink.url}/teams` }]),
    });
    await runIncidentPoll(appOf(onlyTeams).incidents);
    const sentinel = createSentinelClient(onlyTeams.ARM_ENDPOINT, appOf(onlyTeams).azure, { maxRetries: 0 });
    // The forwarder's read of the incident passes; the tagging that follows the send fails.
    await sentinelCall(s, 'POST', '/_emulator/faults', [
      { latencyMs: 1, count: 1 },
      { status: 500, count: 1 },
    ]);
    const outcomes: string[] = [];
    await drain(async (m) => {
      outcomes.push(
        (await handleIncidentMessage(m, { ...appOf(onlyTeams).incidents, sentinel, retry: (n) => ({ retry: n, cycle: 1, delayMs: 100 }) }))
          .result,
      );
    });
    expect(outcomes).toEqual(['retry', 'annotated']);
    expect((await received(s)).filter((r) => r.path === '/teams')).toHaveLength(1);
    const inc = await emulatorIncident(s, name);
    expect(inc.comments).toHaveLength(1);
    expect(inc.properties.labels.map((l: { labelName: string }) => l.labelName)).toEqual([TAG]);
  });
});

describe('auto-disable and replay', () => {
  it('a failing destination is disabled by the shared circuit, its incidents parked, and the probe re-enables it and delivers them once', async () => {
    const s = stack.current;
    const dest = `cb-${newName().slice(0, 8)}`;
    const names = [newName(), newName()];
    await seed(
      s,
      names.map((name) => ({ name, severity: 'High', status: 'New' })),
    );
    const cb = loadConfig({
      ...process.env,
      DESTINATIONS: JSON.stringify([{ name: dest, type: 'signl4', url: `${s.sink.url}/cb` }]),
      CIRCUIT_MIN_SAMPLES: '2',
      CIRCUIT_FAILURE_RATIO: '0.5',
      // Counts written at once, so the circuit opens on the first reading (confirmation: circuit.instances.test.ts).
      STATS_FLUSH_SECONDS: '0',
    });
    await runIncidentPoll(appOf(cb).incidents);
    await sinkCall(s, 'POST', '/_emulator/faults', { status: 500, count: 2 });
    const fast = { ...appOf(cb).incidents, retry: (n: number) => ({ retry: n, cycle: 1, delayMs: 100 }) };
    const outcomes: string[] = [];
    await drain(async (m) => outcomes.push((await handleIncidentMessage(m, fast)).result));
    // Handled concurrently, the first failure may be retried before the second opens the circuit, or both may see it
    // open: either way both incidents end parked and nothing is sent twice.
    expect(outcomes.filter((o) => o === 'parked')).toHaveLength(2);
    expect(outcomes.every((o) => o === 'parked' || o === 'retry')).toBe(true);
    const state = await appOf(cb).reliability.circuit.state(`destination:${dest}`);
    expect(state.enabled).toBe(false);
    expect((await appOf(cb).reliability.parked.list(`destination:${dest}`)).map((p) => p.count)).toEqual([1, 1]);

    // The hourly probe: the oldest parked incident goes past the open circuit; while it fails the destination stays off.
    await sinkCall(s, 'POST', '/_emulator/faults', { status: 502, count: 1 });
    expect(await probeIncidentDestination(dest, fast)).toBe(false);
    expect((await appOf(cb).reliability.circuit.state(`destination:${dest}`)).enabled).toBe(false);
    expect(await appOf(cb).reliability.parked.list(`destination:${dest}`)).toHaveLength(2);
    // Once it goes through, the destination is re-enabled and the rest replayed.
    expect(await probeIncidentDestination(dest, fast)).toBe(true);
    expect((await appOf(cb).reliability.circuit.state(`destination:${dest}`)).enabled).toBe(true);
    await drain((m) => handleIncidentMessage(m, fast));
    const ok = (await received(s)).filter((r) => r.path === '/cb');
    expect(ok).toHaveLength(5); // two refused, one refused probe, then each once
    expect(
      ok
        .slice(3)
        .map((r) => (r.json as Record<string, string>)['X-S4-ExternalID'])
        .sort(),
    ).toEqual([...names].sort());
    for (const name of names) expect((await emulatorIncident(s, name)).comments).toHaveLength(1);
    expect(await appOf(cb).reliability.parked.list(`destination:${dest}`)).toEqual([]);
  });

  it('a poison message becomes a replayable dead letter of its destination', async () => {
    const s = stack.current;
    const name = newName();
    await seed(s, [{ name, severity: 'Low', status: 'New' }]);
    const only = loadConfig({
      ...process.env,
      DESTINATIONS: JSON.stringify([{ name: 'ops-poison', type: 'slack', url: `${s.sink.url}/poison` }]),
    });
    await runIncidentPoll(appOf(only).incidents);
    const queue = app().storage.queue('incidents');
    const [m] = (await queue.receiveMessages()).receivedMessageItems;
    await queue.deleteMessage(m?.messageId ?? '', m?.popReceipt ?? '');
    await handleIncidentPoison(JSON.parse(m?.messageText ?? ''), appOf(only).incidents);
    expect((await appOf(only).reliability.deadLetters.list('destination:ops-poison'))[0]?.reason).toMatch(/incidents-poison/);
    expect(
      await replayIncidents(appOf(only).reliability, app().storage.queue('incidents'), {
        destination: 'ops-poison',
        include: 'deadletters',
      }),
    ).toMatchObject({ deadLetters: 1 });
    await drain((x) => handleIncidentMessage(x, appOf(only).incidents));
    expect((await received(s)).filter((r) => r.path === '/poison')).toHaveLength(1);
  });
});
