// Cost guard against Azurite and the Logs Ingestion emulator: a 1 MB daily cap parks the excess in order, notifies
// once a day, shows in /api/status and the health record; the next UTC day (INGEST_CAP_RESUME=auto) and
// POST /api/replay send the parked rows in order, none lost and none twice.
import { beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../shared/app.js';
import type { JsonRecord } from '../../shared/catalog/types.js';
import { deliverEnvelope } from '../../shared/delivery/deliver.js';
import { HEALTH_STREAM, writeHealthRecord } from '../../shared/delivery/hourly.js';
import type { sendToDestination } from '../../shared/destinations/send.js';
import { handleEvents } from '../../shared/ingest/handlers.js';
import { runMaintenance } from '../../shared/operations/maintenance.js';
import { handleReplay } from '../../shared/operations/replayRoute.js';
import { handleStatus } from '../../shared/operations/status.js';
import { MB, rowBytes } from '../../shared/reliability/costGuard.js';
import { hourKey } from '../../shared/reliability/stats.js';
import { useDeliveryStack } from '../support/deliveryStack.js';
import { jsonRequest, request } from '../support/http.js';
import { drainQueue } from '../support/worker.js';

const stack = useDeliveryStack({
  INGEST_DAILY_CAP_MB: '1',
  INGEST_CAP_RESUME: 'auto',
  // One chunk in flight at a time: the emulator stores rows in the order they were sent.
  DELIVERY_MAX_CONCURRENCY: '1',
  NOTIFY_WEBHOOK_URL: 'http://127.0.0.1:9/notify',
});
const STREAM = 'Custom-WebhookEvents_CL';
const DAY_MS = 86_400_000;

const notes: Record<string, unknown>[] = [];
/** The notifier's POSTs to NOTIFY_WEBHOOK_URL, caught. */
const send: typeof sendToDestination = async (_destination, req) => {
  notes.push(JSON.parse(String(req.body)) as Record<string, unknown>);
  return { ok: true, status: 200 };
};
let app: App;
beforeAll(() => {
  app = createApp(stack.config, { now: () => stack.clock.now, send });
});

/** ~10 KB each, numbered in posting order. */
let posted = 0;
async function post(n: number, to: App = app): Promise<void> {
  const time = new Date(Math.floor(stack.clock.now / 1000) * 1000 - 3600_000).toISOString();
  const body = Array.from({ length: n }, () => ({ type: 'order', seq: posted++, time, pad: 'x'.repeat(10_000) }));
  const res = await handleEvents(jsonRequest('/api/events/generic', body, { source: 'generic' }), to.ingest);
  expect(res.status).toBe(202);
}

const records = async (stream = STREAM) => (await stack.emulator('GET', `/_emulator/records?stream=${stream}`)).json as JsonRecord[];
const seqs = async () => (await records()).map((r) => (r.RawData as { seq: number }).seq);
const run = (on: App = app) => drainQueue(on.storage.queue('events'), (m) => deliverEnvelope(m, on.delivery));
const sizeOf = (rows: JsonRecord[]) => rows.reduce((n, r) => n + rowBytes(r), 0);
const parkedCount = async () => (await app.delivery.parked.list(STREAM)).reduce((n, p) => n + p.count, 0);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

interface CostGuardStatus {
  resume: string;
  tables: { stream: string; capMb: number; deliveredTodayMb: number; capped: boolean }[];
  waiting: { stream: string; day: string }[];
}

describe('cost guard', () => {
  it('parks past a 1 MB cap, notifies once, resumes the next day and on replay, in order, losing nothing', async () => {
    // Day one: ~3 MB in ten requests.
    for (let i = 0; i < 10; i++) await post(30);
    await run();
    const day1 = await records();
    const bytes = sizeOf(day1);
    console.log(`day one: ${day1.length} of ${posted} rows delivered, ${bytes} bytes`);
    expect(bytes).toBeLessThanOrEqual(MB);
    // As much as fits is sent: the next row would have crossed the cap.
    expect(bytes + rowBytes(day1[0] as JsonRecord)).toBeGreaterThan(MB);
    expect(await seqs()).toEqual(range(0, day1.length));
    expect(await parkedCount()).toBe(posted - day1.length);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ type: 'sentinelbridge.target.capped', target: STREAM, table: 'WebhookEvents_CL', capMb: 1 });

    // Still over the cap: more events are parked behind the others, and nobody is told again.
    await post(10);
    await run();
    expect(await records()).toHaveLength(day1.length);
    expect(await parkedCount()).toBe(posted - day1.length);
    expect(notes).toHaveLength(1);

    const status = (await handleStatus({ delivery: app.delivery, incidents: app.incidents })).jsonBody as {
      targets: { name: string; enabled: boolean; parked: number }[];
      costGuard: CostGuardStatus;
    };
    expect(status.targets.find((t) => t.name === STREAM)).toMatchObject({ enabled: true, parked: posted - day1.length });
    const capped = status.costGuard.tables.find((t) => t.stream === STREAM);
    expect(capped).toMatchObject({ capMb: 1, capped: true });
    expect(capped?.deliveredTodayMb).toBeLessThanOrEqual(1);
    expect(capped?.deliveredTodayMb).toBeGreaterThan(0.98);
    // The health table is not capped unless INGEST_TABLE_CAPS_MB names it.
    expect(status.costGuard.tables.map((t) => t.stream)).not.toContain(HEALTH_STREAM);

    // The health record of the hour says the cap was reached.
    await app.delivery.stats.flush();
    await writeHealthRecord(app.delivery, hourKey(stack.clock.now));
    await run();
    const health = (await records(HEALTH_STREAM)).find((r) => r.Stream === STREAM);
    expect(health).toMatchObject({ Parked: posted - day1.length, RawData: { dailyCapMb: 1, capped: true } });

    // The next UTC day: the hourly run replays the parked rows, in order; they count toward the new day's cap.
    const day1Start = Math.floor(stack.clock.now / DAY_MS) * DAY_MS;
    stack.clock.now = day1Start + DAY_MS + 60_000;
    const hourly = await runMaintenance(app);
    expect(hourly.capResumed).toEqual([STREAM]);
    await run();
    const day2Rows = (await records()).slice(day1.length);
    const day2 = day2Rows.length;
    expect(sizeOf(day2Rows)).toBeLessThanOrEqual(MB);
    expect(sizeOf(day2Rows) + rowBytes(day1[0] as JsonRecord)).toBeGreaterThan(MB);
    expect(await seqs()).toEqual(range(0, day1.length + day2));
    expect(notes).toHaveLength(2);
    expect(notes[1]).toMatchObject({ type: 'sentinelbridge.target.capped', day: new Date(stack.clock.now).toISOString().slice(0, 10) });
    // Resumed once: a second run finds nothing waiting.
    expect((await runMaintenance(app)).capResumed).toEqual([]);

    // An operator's replay lifts the cap for the rest of the day and sends everything left.
    const replayed = await handleReplay(request({ path: '/api/replay', body: JSON.stringify({ stream: STREAM }) }), {
      delivery: app.delivery,
      incidents: app.incidents,
    });
    expect(replayed.jsonBody).toMatchObject({ capLifted: [STREAM], parked: { events: posted - day1.length - day2 } });
    await run();
    const all = await records();
    expect(all.map((r) => (r.RawData as { seq: number }).seq)).toEqual(range(0, posted));
    expect(new Set(all.map((r) => r.EventId)).size).toBe(posted);
    expect(await parkedCount()).toBe(0);
    expect(notes).toHaveLength(2);

    // Lifted: today's new events go straight out.
    await post(5);
    await run();
    expect(await seqs()).toEqual(range(0, posted));
    const after = ((await handleStatus({ delivery: app.delivery, incidents: app.incidents })).jsonBody as { costGuard: CostGuardStatus })
      .costGuard;
    expect(after.tables.find((t) => t.stream === STREAM)).toMatchObject({ capped: false });
    expect(after.waiting).toEqual([]);
  }, 60_000);

  it('shares the day between instances: a fresh instance counts what another delivered, and one of them notifies', async () => {
    // Another UTC day, earlier (the emulator, like the service, keeps TimeGenerated within two days of receipt).
    stack.clock.now = Math.floor(stack.clock.now / DAY_MS) * DAY_MS - 2 * DAY_MS + 12 * 3600_000;
    await stack.emulator('DELETE', '/_emulator/records');
    posted = 0;
    notes.length = 0;
    const a = createApp(stack.config, { now: () => stack.clock.now, send });
    const b = createApp(stack.config, { now: () => stack.clock.now, send });
    await post(60, a);
    await run(a);
    expect(await records()).toHaveLength(60);
    // A's merge (its one-minute cadence) puts its bytes in the table.
    await a.delivery.costGuard.mergeAll();

    await post(60, b);
    await run(b);
    const delivered = await records();
    expect(delivered.length).toBeLessThan(120);
    expect(sizeOf(delivered)).toBeLessThanOrEqual(MB);
    expect(sizeOf(delivered) + rowBytes(delivered[0] as JsonRecord)).toBeGreaterThan(MB);
    expect(notes.map((n) => n.type)).toEqual(['sentinelbridge.target.capped']);

    // A has not merged since, but past what it knows of the cap it reads the table: it parks, and tells no one again.
    // (A second later: parked work of two instances is ordered by time.)
    stack.clock.now += 1000;
    await post(60, a);
    await run(a);
    expect(await records()).toHaveLength(delivered.length);
    expect(notes).toHaveLength(1);
    expect(await parkedCount()).toBe(posted - delivered.length);

    await handleReplay(request({ path: '/api/replay', body: '' }), { delivery: b.delivery, incidents: b.incidents });
    await run(a);
    expect(await seqs()).toEqual(range(0, posted));
  }, 60_000);

  it('costs a capped table one table read per instance and day on the happy path, then a merge a minute', async () => {
    // A day no test has used (the emulator may move TimeGenerated now; only counts are checked here).
    stack.clock.now -= DAY_MS;
    await stack.emulator('DELETE', '/_emulator/records');
    posted = 0;
    const fresh = createApp(stack.config, { now: () => stack.clock.now, send });
    for (let i = 0; i < 4; i++) await post(5, fresh);
    stack.tableProxy.reset();
    await run(fresh);
    expect(await records()).toHaveLength(20);
    // The day's row, read once (it does not exist yet); nothing is written.
    expect(stack.tableProxy.byOperation()).toEqual({ get: 1 });

    stack.clock.now += 61_000;
    await post(5, fresh);
    stack.tableProxy.reset();
    await run(fresh);
    // A minute on, the batch is followed by one merge: read the row, write it.
    expect(stack.tableProxy.byOperation()).toEqual({ get: 1, insert: 1 });
  });

  it('merges the bytes of instances writing the same row at once, losing none (ETag)', async () => {
    stack.clock.now -= DAY_MS;
    const row = { EventId: 'e', RawData: { pad: 'y'.repeat(1000) } };
    const guards = Array.from({ length: 5 }, () => createApp(stack.config, { now: () => stack.clock.now }).delivery.costGuard);
    // Each reads the day's row on its first batch, then has three rows reserved and not yet merged.
    for (const g of guards) expect((await g.admit(STREAM, [row, row, row])).send).toHaveLength(3);
    await Promise.all(guards.map((g) => g.mergeAll()));
    const [usage] = (await guards[0]?.usage())?.filter((c) => c.stream === STREAM) ?? [];
    expect(usage?.usedBytes).toBe(15 * rowBytes(row));
  });

  it("a replay of a past day's parked rows lifts today's cap too (manual resume)", async () => {
    stack.clock.now -= DAY_MS;
    const guard = createApp({ ...stack.config, INGEST_CAP_RESUME: 'manual' }, { now: () => stack.clock.now }).delivery.costGuard;
    const big = { EventId: 'big', RawData: { pad: 'z'.repeat(MB) } };
    expect(await guard.admit(STREAM, [big])).toMatchObject({ send: [], park: [big] });
    expect(await guard.markCapped(STREAM)).toBe(true);
    const day = new Date(stack.clock.now).toISOString().slice(0, 10).replace(/-/g, '');

    stack.clock.now += DAY_MS;
    expect(await guard.waiting()).toEqual([{ stream: STREAM, day }]);
    // Manual: the hourly run leaves it waiting.
    await guard.prune();
    expect(await guard.waiting()).toEqual([{ stream: STREAM, day }]);
    expect(await guard.lift()).toEqual([STREAM]);
    expect(await guard.waiting()).toEqual([]);
    expect(await guard.admit(STREAM, [big])).toMatchObject({ send: [big], park: [] });
    expect((await guard.usage()).find((c) => c.stream === STREAM)).toMatchObject({ capped: false });
  });
});
