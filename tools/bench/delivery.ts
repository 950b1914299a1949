// 3. Delivery: N events end to end — packed on the queue by the real ingest handler, taken by the local host's
// queue trigger (host.json batchSize, leases, deletes) running the real delivery function, sent to the Logs Ingestion
// emulator — with every storage transaction counted by the proxies. Against a naive design: one message per event
// and a status row written for every message.
import pLimit from 'p-limit';
import { createApp } from '../../shared/app.js';
import type { JsonRecord } from '../../shared/catalog/types.js';
import type { Config } from '../../shared/config.js';
import { deliverEnvelope } from '../../shared/delivery/deliver.js';
import { handleEvents } from '../../shared/ingest/handlers.js';
import { parseEnvelope, rowsOf } from '../../shared/reliability/envelope.js';
import { queueEnvelopeWriter } from '../../shared/reliability/envelopeWriter.js';
import { appOf } from '../dev/apps.js';
import { LocalHost, queueSettingsFromHostJson } from '../dev/host.js';
import { watchEmulator } from './emulatorWatch.js';
import type { BenchEnv } from './env.js';
import { postRequest, sleep } from './env.js';
import { jsonArrayBody, wallarmHit } from './events.js';
import { check, figure, fmtBytes, fmtInt, fmtMs, fmtRate, printTable, summary } from './report.js';

interface UploadLogEntry {
  status: number;
  stored: number;
  wireBytes: number;
  bytes: number;
}

const STREAM = 'Custom-new_hits_CL';

interface RunResult {
  ms: number;
  /** Time the in-process emulator spent serializing its whole store (synchronous part of JsonStore.save). */
  emulatorSaveMs: number;
  /** CPU time (user + system) of this process during the run. */
  cpuMs: number;
  calls: number;
  failedCalls: number;
  wireBytes: number;
  storage: Record<'queue' | 'table' | 'blob', { total: number; ops: Record<string, number> }>;
}

/** Runs a queue function over the events queue with the local host until `expected` records are stored. */
async function runDelivery(
  env: BenchEnv,
  counted: Config,
  expected: number,
  handler: (message: unknown) => Promise<void>,
  timeoutMs: number,
): Promise<RunResult> {
  await env.emulator('DELETE', '/_emulator/records');
  await env.emulator('DELETE', '/_emulator/uploads');
  env.resetProxies();
  const s = appOf(counted).storage;
  const host = new LocalHost({
    port: 0,
    app: appOf(counted),
    functions: [{ kind: 'queue', name: 'deliverEvents', queueName: 'events', handler: (_app, message) => handler(message) }],
    queueSettings: queueSettingsFromHostJson('host.json'),
    queue: (name) => s.queue(name as 'events'),
    resolveSetting: (x) => x,
    log: (line) => console.log(`   ${line}`),
  });
  const saves = watchEmulator();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await host.start();
  let uploads: UploadLogEntry[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    uploads = (await env.emulator<UploadLogEntry[]>('GET', '/_emulator/uploads')).json;
    const stored = uploads.reduce((n, u) => n + u.stored, 0);
    if (stored >= expected || Date.now() > deadline) break;
    await sleep(25);
  }
  const ms = performance.now() - started;
  const cpuUsed = process.cpuUsage(cpu);
  const emulatorSaveMs = saves.saveMs();
  saves.stop();
  // Let the last deletes land before reading the counters (the queue counts in-flight messages too).
  const direct = appOf(env.config()).storage.queue('events');
  while (((await direct.getProperties()).approximateMessagesCount ?? 0) > 0 && Date.now() < deadline) await sleep(25);
  const snapshot = (p: BenchEnv['proxies']['queue']) => ({ total: p.total(), ops: p.byOperation() });
  const storageCounts = { queue: snapshot(env.proxies.queue), table: snapshot(env.proxies.table), blob: snapshot(env.proxies.blob) };
  await host.stop();
  // The emulator logs a call before it answers (it saves its store first): read the log again for final statuses.
  uploads = (await env.emulator<UploadLogEntry[]>('GET', '/_emulator/uploads')).json;
  return {
    ms,
    emulatorSaveMs,
    cpuMs: (cpuUsed.user + cpuUsed.system) / 1000,
    calls: uploads.length,
    failedCalls: uploads.filter((u) => u.status !== 204).length,
    wireBytes: uploads.reduce((n, u) => n + u.wireBytes, 0),
    storage: storageCounts,
  };
}

async function verifyRecords(env: BenchEnv, expected: number, label: string): Promise<void> {
  const records = (await env.emulator<JsonRecord[]>('GET', `/_emulator/records?stream=${STREAM}`)).json;
  const ids = new Set(records.map((r) => r.EventId));
  check(
    records.length === expected && ids.size === expected,
    `${label}: ${expected} events sent, ${records.length} records (${ids.size} distinct EventIds) in the emulator`,
  );
  const dropped = (await env.emulator<unknown[]>('GET', `/_emulator/dropped?stream=${STREAM}`)).json;
  check(dropped.length === 0, `${label}: the emulator dropped values: ${JSON.stringify(dropped).slice(0, 400)}`);
}

const ops = (o: Record<string, number>) =>
  Object.entries(o)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || '—';

export async function benchDelivery(env: BenchEnv, total: number, naiveTotal: number): Promise<void> {
  const baseTime = Math.floor(Date.now() / 1000) - 3600;
  const direct = env.config();
  const queue = appOf(direct).storage.queue('events');
  await queue.clearMessages();

  // Bridge: the events arrive as webhook batches of 1,000 and are packed by the real ingest handler.
  const ingest = appOf(direct).ingest;
  for (let off = 0; off < total; off += 1000) {
    const body = jsonArrayBody((i) => wallarmHit(i, baseTime), Math.min(1000, total - off), 2_000_000 + off);
    const res = await handleEvents(postRequest('/api/events/wallarm', body, { source: 'wallarm' }), ingest);
    check(res.status === 202, `delivery: enqueueing a batch answered ${res.status}`);
  }
  const messages = (await queue.getProperties()).approximateMessagesCount ?? 0;
  const counted = env.config({}, true);
  const deps = createApp(counted).delivery;
  const bridge = await runDelivery(env, counted, total, (m) => deliverEnvelope(m, deps), 120_000);
  await verifyRecords(env, total, 'delivery (bridge)');

  // Naive: one message per event, and a status row for every message (here: the ledger row, written on success).
  const rows: JsonRecord[] = [];
  {
    const body = jsonArrayBody((i) => wallarmHit(i, baseTime), naiveTotal, 3_000_000);
    const res = await handleEvents(postRequest('/api/events/wallarm', body, { source: 'wallarm' }), appOf(env.config()).ingest);
    check(res.status === 202, `delivery (naive): enqueueing answered ${res.status}`);
    const packed = appOf(direct).storage.container('claim-checks');
    for (;;) {
      const { receivedMessageItems: items } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 300 });
      if (!items.length) break;
      for (const m of items) rows.push(...(await rowsOf(parseEnvelope(m.messageText), packed)));
    }
    await queue.clearMessages();
    const writer = queueEnvelopeWriter(queue, packed);
    const limit = pLimit(16);
    await Promise.all(rows.map((r) => limit(() => writer.write(STREAM, [r]))));
  }
  const naiveDeps = createApp(counted).delivery;
  const naive = await runDelivery(
    env,
    counted,
    naiveTotal,
    async (message) => {
      const envelope = parseEnvelope(message);
      const result = await naiveDeps.sender.send(envelope.stream, await rowsOf(envelope, naiveDeps.claimChecks));
      if (result.failures.length) throw new Error(result.failures[0]?.info.reason);
      await naiveDeps.ledger.record({
        stream: envelope.stream,
        envelopeId: envelope.id,
        state: 'delivered',
        attempts: 1,
        updatedAt: new Date().toISOString(),
      });
    },
    120_000,
  );
  await verifyRecords(env, naiveTotal, 'delivery (naive)');

  const per1k = (n: number, events: number) => ((n * 1000) / events).toFixed(1);
  const line = (label: string, r: RunResult, events: number) => [
    label,
    fmtInt(events),
    fmtMs(r.ms),
    fmtRate((events / r.ms) * 1000),
    per1k(r.calls, events),
    per1k(r.storage.queue.total, events),
    per1k(r.storage.table.total, events),
    per1k(r.storage.blob.total, events),
    per1k(r.storage.queue.total + r.storage.table.total + r.storage.blob.total, events),
  ];
  printTable(
    '3. Delivery — queue → delivery function → Logs Ingestion emulator (figures per 1,000 events unless stated)',
    ['design', 'events', 'time', 'throughput', 'Logs calls', 'queue tx', 'table tx', 'blob tx', 'storage tx'],
    [line('bridge (packed, no table writes)', bridge, total), line('naive (1 msg/event + status row)', naive, naiveTotal)],
  );
  console.log(
    `   bridge: ${fmtInt(messages)} queue messages for ${fmtInt(total)} events; ${bridge.calls} Logs Ingestion calls (${bridge.failedCalls} failed), ${fmtBytes(bridge.wireBytes)} gzip on the wire`,
  );
  console.log(
    `   bridge storage operations: queue {${ops(bridge.storage.queue.ops)}}; table {${ops(bridge.storage.table.ops)}}; blob {${ops(bridge.storage.blob.ops)}}`,
  );
  console.log(
    `   naive storage operations:  queue {${ops(naive.storage.queue.ops)}}; table {${ops(naive.storage.table.ops)}}; blob {${ops(naive.storage.blob.ops)}}`,
  );
  console.log('   time runs from the host start to the last record stored in the emulator.');
  for (const [label, r, events] of [
    ['bridge', bridge, total],
    ['naive', naive, naiveTotal],
  ] as const) {
    const own = r.ms - r.emulatorSaveMs;
    console.log(
      `   ${label}: this process used ${fmtMs(r.cpuMs)} CPU in ${fmtMs(r.ms)}; ${fmtMs(r.emulatorSaveMs)} of it the in-process emulator re-serializing its whole store on each call → without it ≈ ${fmtRate((events / own) * 1000)} (estimate)`,
    );
  }
  console.log(
    `   naive was measured on ${fmtInt(naiveTotal)} events (10,000 single-record calls would mostly time the emulator's disk writes).`,
  );
  check(bridge.failedCalls === 0, `delivery: ${bridge.failedCalls} Logs Ingestion calls failed`);
  const storageTx = (r: RunResult) => r.storage.queue.total + r.storage.table.total + r.storage.blob.total;
  const perK = (n: number, events: number) => (n * 1000) / events;
  const label = `${fmtInt(total)} packed events (naive: ${fmtInt(naiveTotal)})`;
  figure(`delivery: throughput, ${label}`, 'events/s', (total / bridge.ms) * 1000, (naiveTotal / naive.ms) * 1000);
  figure(`delivery: Logs Ingestion calls per 1,000 events, ${label}`, 'calls', perK(bridge.calls, total), perK(naive.calls, naiveTotal));
  figure(
    `delivery: storage transactions per 1,000 events (queue trigger busy), ${label}`,
    'transactions',
    perK(storageTx(bridge), total),
    perK(storageTx(naive), naiveTotal),
  );
  figure(
    `delivery: table transactions per 1,000 events, ${label}`,
    'transactions',
    perK(bridge.storage.table.total, total),
    perK(naive.storage.table.total, naiveTotal),
  );
  summary.push(
    `Delivery: ${fmtInt(total)} events in ${fmtMs(bridge.ms)} (${fmtRate((total / bridge.ms) * 1000)}), ${per1k(bridge.calls, total)} Logs Ingestion calls and ${per1k(storageTx(bridge), total)} storage transactions per 1,000 events (${per1k(bridge.storage.table.total, total)} table); naive: ${per1k(naive.calls, naiveTotal)} calls and ${per1k(storageTx(naive), naiveTotal)} storage transactions per 1,000 at ${fmtRate((naiveTotal / naive.ms) * 1000)}.`,
  );
}
