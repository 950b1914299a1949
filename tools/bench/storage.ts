// 6. End to end through the local host: POSTs to the real ingest function, the queue trigger (host.json batchSize,
// newBatchThreshold and the Functions host's polling back-off up to maxPollingInterval) running the real delivery
// function, records in the Logs Ingestion emulator. Counts every storage transaction through the proxies — idle polls
// included — per 1,000 events, and the latency from each POST to its record being visible in the emulator. Against the
// naive design: one queue message per request. Each run starts right after an idle poll at the maximum interval, as
// a burst after a quiet spell does.
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { deliverEvents } from '../../functions/deliverEvents.js';
import { ingestEvents } from '../../functions/ingestEvents.js';
import type { App } from '../../shared/app.js';
import type { JsonRecord } from '../../shared/catalog/types.js';
import { queueEnvelopeWriter } from '../../shared/reliability/envelopeWriter.js';
import { appOf } from '../dev/apps.js';
import { LocalHost, queueSettingsFromHostJson } from '../dev/host.js';
import { watchEmulator } from './emulatorWatch.js';
import type { BenchEnv } from './env.js';
import { sleep } from './env.js';
import { jsonArrayBody, wallarmHit } from './events.js';
import { PerRequestCommitter } from './groupCommit.js';
import { runLoad } from './load.js';
import { check, figure, fmtInt, fmtMs, latencySummary, printTable, summary } from './report.js';

const STREAM = 'Custom-new_hits_CL';

interface Scenario {
  key: string;
  label: string;
  requests: number;
  perRequest: number;
  concurrency: number;
  gzip: boolean;
}

export const STORAGE_SCENARIOS: readonly Scenario[] = [
  { key: 'batched', label: '10 concurrent gzip POSTs of 100', requests: 10, perRequest: 100, concurrency: 10, gzip: true },
  { key: 'single', label: '1,000 single-event POSTs, c=50', requests: 1000, perRequest: 1, concurrency: 50, gzip: false },
];

interface Run {
  events: number;
  ops: Record<string, number>;
  total: number;
  e2eMs: number[];
  ackMs: number[];
}

async function until(cond: () => boolean, timeoutMs: number, stepMs = 5): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) return false;
    await sleep(stepMs);
  }
  return true;
}

/** Waits until the trigger polls at its maximum interval, and returns right after one of those idle polls. */
async function afterIdlePollAtMax(env: BenchEnv, maxMs: number): Promise<void> {
  const idle = () => env.proxies.queue.byOperation()['idle receive'] ?? 0;
  let seen = idle();
  let last = performance.now();
  const ok = await until(() => {
    const now = idle();
    if (now === seen) return false;
    const gap = performance.now() - last;
    seen = now;
    last = performance.now();
    return gap >= maxMs * 0.9;
  }, maxMs * 6);
  check(ok, `storage: the queue trigger never reached its ${maxMs} ms polling interval`);
}

async function runScenario(env: BenchEnv, sc: Scenario, design: 'bridge' | 'naive', offset: number): Promise<Run> {
  const baseTime = Math.floor(Date.now() / 1000) - 3600;
  const events = sc.requests * sc.perRequest;
  const requestOf = new Map<string, number>();
  const bodies = Array.from({ length: sc.requests }, (_, r) => {
    const first = offset + r * sc.perRequest;
    for (let i = 0; i < sc.perRequest; i += 1) {
      const hit = (wallarmHit(first + i, baseTime).details as { hit: { request_id: string } }).hit;
      requestOf.set(hit.request_id, r);
    }
    const json = jsonArrayBody((i) => wallarmHit(i, baseTime), sc.perRequest, first);
    return sc.gzip ? gzipSync(json) : json;
  });
  await env.emulator('DELETE', '/_emulator/records');
  const counted = env.config({}, true);
  const base = appOf(counted);
  const { storage } = base;
  const app: App =
    design === 'bridge'
      ? base
      : {
          ...base,
          ingest: {
            ...base.ingest,
            committer: new PerRequestCommitter(queueEnvelopeWriter(storage.queue('events'), storage.container('claim-checks'))),
          },
        };
  const settings = queueSettingsFromHostJson('host.json');
  const host = new LocalHost({
    port: 0,
    app,
    functions: [ingestEvents, deliverEvents],
    queueSettings: settings,
    queue: (name) => storage.queue(name as 'events'),
    resolveSetting: (x) => x,
    log: (line) => console.log(`   ${line}`),
  });
  const watch = watchEmulator();
  const agent = new http.Agent({ keepAlive: true, maxSockets: sc.concurrency });
  try {
    env.resetProxies();
    await host.start();
    await afterIdlePollAtMax(env, settings.maxPollingIntervalMs);
    env.resetProxies();
    const load = await runLoad({
      url: `${host.url}/api/events/wallarm`,
      total: sc.requests,
      concurrency: sc.concurrency,
      agent,
      body: (i) => bodies[i] as Buffer,
      headers: sc.gzip ? { 'content-encoding': 'gzip' } : {},
    });
    const ok = load.statuses.get(202) ?? 0;
    check(ok === sc.requests, `storage ${sc.key} ${design}: ${ok}/${sc.requests} answered 202 (${JSON.stringify([...load.statuses])})`);
    const ops = () => env.proxies.queue.byOperation();
    const done = await until(() => watch.visibleAt(STREAM).length >= events && (ops().delete ?? 0) >= (ops().send ?? 0), 60_000, 2);
    const snapshot = { ...ops() };
    const total = env.proxies.queue.total() + env.proxies.table.total() + env.proxies.blob.total();
    for (const p of [env.proxies.table, env.proxies.blob])
      for (const [op, n] of Object.entries(p.byOperation())) snapshot[`${p.service} ${op}`] = n;
    check(done, `storage ${sc.key} ${design}: not every event reached the emulator and left the queue within 120 s`);
    const records = (await env.emulator<JsonRecord[]>('GET', `/_emulator/records?stream=${STREAM}`)).json;
    const visible = watch.visibleAt(STREAM);
    const e2eMs: number[] = [];
    records.forEach((rec, k) => {
      const r = requestOf.get(String(rec.RequestId));
      const at = visible[k];
      if (r !== undefined && at !== undefined) e2eMs.push(at - (load.startedAt[r] ?? at));
    });
    check(
      e2eMs.length === events && records.length === events,
      `storage ${sc.key} ${design}: ${events} events posted, ${records.length} records, ${e2eMs.length} matched`,
    );
    return { events, ops: snapshot, total, e2eMs, ackMs: load.latenciesMs };
  } finally {
    agent.destroy();
    watch.stop();
    await host.stop();
  }
}

const per1k = (n: number, events: number) => (n * 1000) / events;

export async function benchStorage(env: BenchEnv): Promise<void> {
  const rows: (string | number)[][] = [];
  const settings = queueSettingsFromHostJson('host.json');
  let offset = 6_000_000;
  for (const sc of STORAGE_SCENARIOS) {
    const runs: Partial<Record<'bridge' | 'naive', Run>> = {};
    for (const design of ['bridge', 'naive'] as const) {
      const r = await runScenario(env, sc, design, offset);
      offset += 10_000;
      runs[design] = r;
      const e2e = latencySummary(r.e2eMs);
      const ack = latencySummary(r.ackMs);
      const op = (name: string) => r.ops[name] ?? 0;
      const other = r.total - op('send') - op('delete') - op('receive') - op('idle receive');
      rows.push([
        `${sc.label}, ${design === 'bridge' ? 'bridge' : 'naive 1 msg/request'}`,
        fmtInt(op('send')),
        fmtInt(op('delete')),
        fmtInt(op('receive')),
        fmtInt(op('idle receive')),
        fmtInt(other),
        per1k(r.total, r.events).toFixed(0),
        fmtMs(ack.p95),
        fmtMs(e2e.p50),
        fmtMs(e2e.p95),
      ]);
    }
    const { bridge, naive } = runs;
    if (!bridge || !naive) continue;
    const e2e = latencySummary(bridge.e2eMs);
    const naiveE2e = latencySummary(naive.e2eMs);
    figure(
      `storage transactions per 1,000 events, ${sc.label}`,
      'transactions',
      per1k(bridge.total, bridge.events),
      per1k(naive.total, naive.events),
    );
    figure(`POST → record in the emulator p50, ${sc.label}`, 'ms', e2e.p50, naiveE2e.p50);
    figure(`POST → record in the emulator p95, ${sc.label}`, 'ms', e2e.p95, naiveE2e.p95);
    summary.push(
      `Storage, end to end (${sc.label}): ${per1k(bridge.total, bridge.events).toFixed(0)} storage transactions per 1,000 events with idle polls (naive ${per1k(naive.total, naive.events).toFixed(0)}); POST → record in the emulator p50 ${fmtMs(e2e.p50)}, p95 ${fmtMs(e2e.p95)}.`,
    );
  }
  const idlePerHour = 3_600_000 / settings.maxPollingIntervalMs;
  figure('idle queue polls per hour and instance at maxPollingInterval (computed)', 'receives/h', idlePerHour);
  printTable(
    `6. End to end — 1,000 Wallarm hits (~1 KiB) through the local host: storage transactions (all services, idle polls included) and latency; maxPollingInterval ${settings.maxPollingIntervalMs} ms, batchSize ${settings.batchSize}, newBatchThreshold ${settings.newBatchThreshold}`,
    ['scenario / design', 'sends', 'deletes', 'receives', 'idle polls', 'other', 'tx/1,000', '202 p95', 'e2e p50', 'e2e p95'],
    rows,
  );
  console.log('   each run starts right after an idle poll at maxPollingInterval; counted until the last message is deleted.');
  console.log('   e2e = from sending the POST to its record being visible in the emulator; 202 = until the answer.');
  console.log(`   idle, one instance polls ${fmtInt(idlePerHour)} times an hour (maxPollingInterval ${settings.maxPollingIntervalMs} ms).`);
}
