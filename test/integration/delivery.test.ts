// Delivery against Azurite and the Logs Ingestion emulator, driven through the real SDK client.
import { beforeEach, describe, expect, it } from 'vitest';
import type { JsonRecord } from '../../shared/catalog/types.js';
import type { DeliveryDeps } from '../../shared/delivery/deliver.js';
import { deadLetterPoison, deliverEnvelope } from '../../shared/delivery/deliver.js';
import { runHourly } from '../../shared/delivery/hourly.js';
import { handleEvents } from '../../shared/ingest/handlers.js';
import { handleReplay } from '../../shared/operations/replayRoute.js';
import { handleStatus } from '../../shared/operations/status.js';
import { handleTestIntegration } from '../../shared/operations/testIntegration.js';
import { MAX_RETRIES } from '../../shared/reliability/retrySchedule.js';
import { useDeliveryStack } from '../support/deliveryStack.js';
import { jsonRequest, request } from '../support/http.js';
import { drainQueue } from '../support/worker.js';

const stack = useDeliveryStack({ CIRCUIT_MIN_SAMPLES: '5', INGEST_GROUP_COMMIT_MS: '0' });
const STREAM = 'Custom-WebhookEvents_CL';

/** An hour before the stack's clock, on the whole second (the product keeps milliseconds as given). */
const eventTime = () => new Date(Math.floor(stack.clock.now / 1000) * 1000 - 3600_000).toISOString();

const events = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({
    type: 'order',
    tag,
    seq: i,
    customer: { id: `c-${i}`, tier: 'gold' },
    time: eventTime(),
  }));

async function post(body: unknown[]): Promise<void> {
  const res = await handleEvents(jsonRequest('/api/events/generic', body, { source: 'generic' }), stack.app.ingest);
  expect(res.status).toBe(202);
}

async function records(stream = STREAM): Promise<JsonRecord[]> {
  return (await stack.emulator('GET', `/_emulator/records?stream=${stream}`)).json as JsonRecord[];
}

const queue = () => stack.app.storage.queue('events');
/** The operator routes over one instance's delivery deps (and the stack's incident side). */
const ops = (deps: DeliveryDeps) => ({ delivery: deps, incidents: stack.app.incidents });
const run = (deps = stack.deps, waitForDelayedMs = 0) => drainQueue(queue(), (m) => deliverEnvelope(m, deps), { waitForDelayedMs });

beforeEach(async () => {
  await stack.emulator('DELETE', '/_emulator/records');
  await stack.emulator('DELETE', '/_emulator/faults');
});

describe('delivery', () => {
  it('delivers posted events with every column and makes no table operation on the happy path', async () => {
    await post(events(300, 'happy'));
    stack.tableProxy.reset();
    const deps = stack.newInstance();
    await run(deps);
    const got = await records();
    expect(got).toHaveLength(300);
    const first = got.find((r) => (r.RawData as JsonRecord | undefined)?.seq === 0);
    expect(first).toMatchObject({
      Source: 'generic',
      EventType: 'order',
      TimeGenerated: eventTime(),
      EventTime: eventTime(),
    });
    expect(first?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first?.ReceivedAt).toBeTruthy();
    expect(first?.RawData).toMatchObject({ tag: 'happy', customer: { id: 'c-0', tier: 'gold' } });
    expect(new Set(got.map((r) => r.EventId)).size).toBe(300);
    const dropped = (await stack.emulator('GET', '/_emulator/dropped')).json as unknown[];
    expect(dropped).toEqual([]);
    console.log(`happy path: 300 events delivered with ${stack.tableProxy.total()} table operations`);
    expect(stack.tableProxy.byOperation()).toEqual({});
    // Status reads the counters this instance has not flushed yet.
    const status = (await handleStatus(ops(deps))).jsonBody as { targets: { name: string; lastSuccess: string | null }[] };
    expect(status.targets.find((t) => t.name === STREAM)?.lastSuccess).toBe(new Date(stack.clock.now).toISOString());
  });

  it('retries 500, 429 with Retry-After and a reset connection, then delivers each record once; the ledger shows the attempts', async () => {
    await stack.emulator('POST', '/_emulator/faults', [
      { status: 500, count: 1 },
      { status: 429, retryAfter: 1, count: 1 },
      { reset: true, count: 1 },
    ]);
    await post(events(50, 'faults'));
    const deps = stack.newInstance();
    await run(deps, 20_000);
    const got = await records();
    expect(got).toHaveLength(50);
    expect(new Set(got.map((r) => (r.RawData as JsonRecord).seq)).size).toBe(50);
    const ledger = await deps.ledger.list(STREAM);
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ state: 'delivered', attempts: 4 });
    expect(ledger[0]?.lastError).toMatch(/network error|ECONNRESET|socket/i);
    expect(ledger[0]?.lastStatus).toBe(429);
  }, 30_000);

  it('dead-letters a persistent 403 with the role advice, shows it in status, and replay delivers it once the fault clears', async () => {
    await stack.emulator('POST', '/_emulator/faults', { status: 403, count: 3 });
    await post(events(10, 'forbidden'));
    const deps = stack.newInstance();
    await run(deps);
    expect(await records()).toHaveLength(0);
    const dead = await deps.deadLetters.list(STREAM);
    expect(dead).toHaveLength(1);
    expect(dead[0]?.reason).toContain('Monitoring Metrics Publisher');
    const status = (await handleStatus(ops(deps))).jsonBody as { targets: { name: string; deadLetters: number }[]; deadLetters: number };
    expect(status.deadLetters).toBe(10);
    expect(status.targets.find((t) => t.name === STREAM)?.deadLetters).toBe(10);

    await stack.emulator('DELETE', '/_emulator/faults');
    const replayed = await handleReplay(request({ path: '/api/replay', body: JSON.stringify({ stream: STREAM }) }), ops(deps));
    expect(replayed.jsonBody).toMatchObject({ deadLetters: { items: 1, events: 10 } });
    await run(deps);
    expect(await records()).toHaveLength(10);
    expect(await deps.deadLetters.list(STREAM)).toHaveLength(0);
  });

  it('disables a target at ≥60% failures, parks new work without calling it, notifies, and replay delivers everything', async () => {
    const notes: Record<string, unknown>[] = [];
    // Counts written at once, so the circuit opens on the first reading (its confirmation across instances is
    // circuit.instances.test.ts).
    const deps = { ...stack.newInstance({ STATS_FLUSH_SECONDS: 0 }), notify: async (e: Record<string, unknown>) => void notes.push(e) };
    await stack.emulator('POST', '/_emulator/faults', { status: 500, count: 1000 });
    for (let i = 0; i < 5; i++) await post(events(4, `circuit-${i}`));
    // Only fresh messages now; their retries come back after a delay.
    await run(deps);
    expect(notes.map((n) => n.type)).toEqual(['sentinelbridge.target.disabled']);
    expect(notes[0]).toMatchObject({ target: STREAM });
    const state = await deps.circuit.state(STREAM);
    expect(state.enabled).toBe(false);

    const uploadsBefore = ((await stack.emulator('GET', '/_emulator/uploads')).json as unknown[]).length;
    await post(events(6, 'while-disabled'));
    await run(deps, 5_000);
    const uploadsAfter = ((await stack.emulator('GET', '/_emulator/uploads')).json as unknown[]).length;
    expect(uploadsAfter).toBe(uploadsBefore);
    const parked = await deps.parked.list(STREAM);
    expect(parked.reduce((n, p) => n + p.count, 0)).toBe(26);

    const status = (await handleStatus(ops(deps))).jsonBody as {
      targets: { name: string; enabled: boolean; parked: number; failureRatio12h: number }[];
    };
    expect(status.targets.find((t) => t.name === STREAM)).toMatchObject({ enabled: false, parked: 26, failureRatio12h: 1 });

    await stack.emulator('DELETE', '/_emulator/faults');
    const replayed = await handleReplay(request({ path: '/api/replay', body: '' }), ops(deps));
    expect(replayed.jsonBody).toMatchObject({ reenabled: [STREAM], parked: { events: 26 } });
    await run(deps);
    const got = await records();
    expect(got).toHaveLength(26);
    expect(new Set(got.map((r) => r.EventId)).size).toBe(26);
    expect((await deps.circuit.state(STREAM)).enabled).toBe(true);

    // Re-enabled, the record starts afresh: the failures earlier in this hour no longer count.
    await stack.emulator('POST', '/_emulator/faults', { status: 500, count: 1 });
    await post(events(1, 'after-reenable'));
    await run(deps, 5_000);
    expect((await deps.circuit.state(STREAM)).enabled).toBe(true);
    expect(await deps.circuit.window(STREAM)).toEqual({ okCalls: 7, failedCalls: 1 }); // 6 replayed batches + the retry
  }, 30_000);

  it('refuses a replay body over 4 KB (413) or not UTF-8 (400), and replays nothing then', async () => {
    const deps = stack.newInstance();
    const big = await handleReplay(request({ path: '/api/replay', body: `{"stream":"${'x'.repeat(5000)}"}` }), ops(deps));
    expect(big.status).toBe(413);
    expect(JSON.stringify(big.jsonBody)).toContain('at most 4096 bytes');
    const bad = await handleReplay(request({ path: '/api/replay', body: Buffer.from([0x7b, 0xff, 0x7d]) }), ops(deps));
    expect(bad).toMatchObject({ status: 400, jsonBody: { error: 'the body is not valid UTF-8' } });
  });

  it('dead-letters after the last retry of the schedule, and turns poison messages into dead letters', async () => {
    const deps = stack.newInstance();
    await stack.emulator('POST', '/_emulator/faults', { status: 503, count: 1 });
    const rows = (n: number, tag: string) =>
      events(n, tag).map((e, i) => ({
        TimeGenerated: e.time,
        EventId: `${tag}-${i}`,
        ReceivedAt: e.time,
        Source: 'generic',
        EventType: 'order',
        RawData: e,
      }));
    await deps.writer.write(STREAM, rows(3, 'last-retry'), { meta: { id: 'last-retry', retry: MAX_RETRIES } });
    await run(deps);
    const [exhausted] = await deps.deadLetters.list(STREAM);
    expect(exhausted).toMatchObject({ envelopeId: 'last-retry', count: 3, status: 503 });
    expect(exhausted?.reason).toMatch(new RegExp(`^retries exhausted after ${MAX_RETRIES + 1} attempts: HTTP 503`));
    expect((await deps.ledger.list(STREAM)).find((e) => e.envelopeId === 'last-retry')).toMatchObject({
      state: 'deadLettered',
      attempts: MAX_RETRIES + 1,
      lastStatus: 503,
    });

    const poison = stack.app.storage.queue('events-poison');
    await deps.writer.write(STREAM, rows(2, 'poison'), { meta: { id: 'poison' } });
    const [m] = (await queue().receiveMessages()).receivedMessageItems;
    await poison.sendMessage(m?.messageText ?? '');
    await queue().deleteMessage(m?.messageId ?? '', m?.popReceipt ?? '');
    await drainQueue(poison, (msg) => deadLetterPoison(msg, deps));
    await deadLetterPoison('not an envelope', deps);
    const dead = await deps.deadLetters.list(STREAM);
    expect(dead.find((d) => d.envelopeId === 'poison')?.reason).toMatch(/events-poison/);
    const unreadable = await deps.deadLetters.list('_unreadable');
    expect(unreadable[0]?.reason).toMatch(/not a readable bridge envelope: not JSON/);

    await handleReplay(request({ path: '/api/replay', body: '{"include":"deadletters"}' }), ops(deps));
    await run(deps);
    expect((await records()).map((r) => r.EventId).sort()).toEqual([
      'last-retry-0',
      'last-retry-1',
      'last-retry-2',
      'poison-0',
      'poison-1',
    ]);
    expect(await deps.deadLetters.list('_unreadable')).toHaveLength(1);
  });

  it('the hourly run writes one health record per stream for the hour that ended (once) and probes a disabled stream back', async () => {
    const deps = stack.newInstance({ STATS_FLUSH_SECONDS: 0 });
    const hourAgo = stack.clock.now;
    deps.stats.add('Custom-ip_blocked_CL', { accepted: 7, delivered: 6, failed: 1, okCalls: 2, failedCalls: 1 });
    // A disabled stream with parked work: the probe sends the oldest batch, re-enables, replays the rest.
    const parkedStream = 'Custom-vuln_high_CL';
    await deps.stats.flush();
    const row = {
      TimeGenerated: new Date(hourAgo).toISOString(),
      EventId: 'probe-1',
      ReceivedAt: new Date(hourAgo).toISOString(),
      Source: 'wallarm',
      EventType: 'vuln_high',
    };
    await deps.parked.put(parkedStream, [row], { envelopeId: 'p1', reason: 'target disabled' });
    await deps.parked.put(parkedStream, [{ ...row, EventId: 'probe-2' }], { envelopeId: 'p2', reason: 'target disabled' });
    deps.stats.add(parkedStream, { failedCalls: 10 });
    await deps.stats.flush();
    expect(await deps.circuit.afterFailure(parkedStream, 'x')).toMatchObject({ opened: true });

    stack.clock.now += 3600_000;
    const notes: unknown[] = [];
    const hourly = await runHourly({ ...deps, notify: async (e) => void notes.push(e) });
    expect(hourly.reenabled).toEqual([parkedStream]);
    expect(hourly.healthRows).toBeGreaterThanOrEqual(2);
    expect(await runHourly(deps)).toMatchObject({ healthRows: 0 }); // the hour is written once
    await run(deps);
    const health = await records('Custom-SentinelBridgeHealth_CL');
    expect(health.find((h) => h.Stream === 'Custom-ip_blocked_CL')).toMatchObject({
      Accepted: 7,
      Delivered: 6,
      Failed: 1,
      TargetEnabled: true,
      TimeGenerated: `${new Date(hourAgo).toISOString().slice(0, 13)}:00:00.000Z`,
    });
    expect(health.find((h) => h.Stream === parkedStream)).toMatchObject({ TargetEnabled: false });
    expect((await records(parkedStream)).map((r) => r.EventId).sort()).toEqual(['probe-1', 'probe-2']);
    expect(await deps.parked.list(parkedStream)).toEqual([]);
    expect(notes).toMatchObject([{ type: 'sentinelbridge.target.enabled', target: parkedStream }]);
  });

  it('counts only the rolling window: failures older than the window do not disable the target', async () => {
    const stream = 'Custom-McasShadowItReporting_CL';
    const deps = stack.newInstance();
    deps.stats.add(stream, { failedCalls: 4 });
    await deps.stats.flush();
    expect((await deps.circuit.afterFailure(stream, 'x')).disabled).toBe(false);
    stack.clock.now += 13 * 3600_000;
    deps.stats.add(stream, { failedCalls: 1 });
    await deps.stats.flush();
    const after = await deps.circuit.afterFailure(stream, 'x');
    expect(after).toMatchObject({ disabled: false, opened: false });
    expect((await deps.circuit.window(stream)).failedCalls).toBe(1);
    deps.stats.add(stream, { failedCalls: 4 });
    await deps.stats.flush();
    // Over the limit: suspect first, disabled when a failure one flush interval later still finds it so.
    expect(await deps.circuit.afterFailure(stream, 'x')).toMatchObject({ disabled: false, suspect: true });
    stack.clock.now += stack.config.STATS_FLUSH_SECONDS * 1000;
    expect(await deps.circuit.afterFailure(stream, 'x')).toMatchObject({ disabled: true, opened: true });
  });

  it('"Test integration" succeeds per stream and names a missing stream with advice', async () => {
    const ok = (await handleTestIntegration(stack.deps)).jsonBody as { ok: boolean; streams: { stream: string; ok: boolean }[] };
    expect(ok.ok).toBe(true);
    expect(ok.streams.length).toBeGreaterThan(20);

    const broken = { ...stack.newInstance() };
    const rules = stack.config.LOGS_INGESTION_RULES.map((r) => ({
      ...r,
      streams: r.streams.map((s) => (s === STREAM ? 'Custom-NoSuchTable_CL' : s)),
    }));
    const config = { ...stack.config, LOGS_INGESTION_RULES: rules };
    const { LogsSender } = await import('../../shared/delivery/sender.js');
    broken.sender = new LogsSender(config, broken.catalog, stack.app.azure, broken.originals, () => stack.clock.now);
    const result = (await handleTestIntegration({ ...broken, config })).jsonBody as {
      ok: boolean;
      streams: { stream: string; ok: boolean; status?: number; advice?: string }[];
    };
    expect(result.ok).toBe(false);
    const missing = result.streams.find((s) => s.stream === 'Custom-NoSuchTable_CL');
    expect(missing).toMatchObject({ ok: false, status: 404 });
    expect(missing?.advice).toMatch(/stream\/DCR not found/);
  });
});
