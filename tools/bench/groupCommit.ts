// 2. Group commit: many single-event POSTs (how Wallarm and most webhook senders post) over real HTTP to the local
// host running the real ingest handler → queue messages and the latency of the 202, against a naive design that
// writes one queue message per request. Wallarm gives up on a request after 15 s.
import http from 'node:http';
import type { App } from '../../shared/app.js';
import type { JsonRecord } from '../../shared/catalog/types.js';
import { GroupCommitter } from '../../shared/ingest/enqueue.js';
import { type EnvelopeWriter, queueEnvelopeWriter } from '../../shared/reliability/envelopeWriter.js';
import { appOf } from '../dev/apps.js';
import type { BenchEnv } from './env.js';
import { wallarmHit } from './events.js';
import { ingestOnlyHost } from './ingestHost.js';
import { runLoad } from './load.js';
import { readQueue } from './packing.js';
import { check, fmtInt, fmtMs, fmtRate, latencySummary, printTable, summary } from './report.js';

/** The naive baseline: the same decode/validate/normalize, then one queue message per request, no sharing. */
class PerRequestCommitter extends GroupCommitter {
  constructor(private readonly perRequest: EnvelopeWriter) {
    super(perRequest, 0);
  }

  override submit(streams: ReadonlyMap<string, readonly JsonRecord[]>): Promise<void> {
    return Promise.all([...streams].map(([stream, rows]) => this.perRequest.write(stream, rows))).then(() => undefined);
  }
}

const WALLARM_TIMEOUT_MS = 15_000;

async function withHost<T>(app: App, run: (url: string) => Promise<T>): Promise<T> {
  const host = ingestOnlyHost(app, () => undefined);
  await host.start();
  try {
    return await run(`${host.url}/api/events/wallarm`);
  } finally {
    await host.stop();
  }
}

export async function benchGroupCommit(env: BenchEnv, total: number, concurrencies: number[]): Promise<void> {
  const baseTime = Math.floor(Date.now() / 1000) - 3600;
  const bodies = Array.from({ length: total }, (_, i) => Buffer.from(JSON.stringify([wallarmHit(500_000 + i, baseTime)])));
  const rows: (string | number)[][] = [];
  const at50: Record<string, { messages: number; p99: number }> = {};
  for (const concurrency of concurrencies) {
    for (const design of ['bridge', 'naive'] as const) {
      const config = env.config();
      const base = appOf(config);
      const { storage } = base;
      const perRequest = new PerRequestCommitter(queueEnvelopeWriter(storage.queue('events'), storage.container('claim-checks')));
      const app: App = design === 'bridge' ? base : { ...base, ingest: { ...base.ingest, committer: perRequest } };
      const queue = storage.queue('events');
      const result = await withHost(app, async (url) => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
        try {
          // Warm-up: opens the connections the measured run reuses, warms the JIT and the storage client.
          await runLoad({
            url,
            total: Math.max(100, concurrency * 2),
            concurrency,
            agent,
            body: (i) => bodies[i % bodies.length] as Buffer,
          });
          await queue.clearMessages();
          return await runLoad({ url, total, concurrency, agent, body: (i) => bodies[i] as Buffer });
        } finally {
          agent.destroy();
        }
      });
      const q = await readQueue(queue, env, config);
      const ok = result.statuses.get(202) ?? 0;
      check(
        ok === total && result.errors.length === 0,
        `group commit c=${concurrency} ${design}: ${ok}/${total} answered 202 (${JSON.stringify([...result.statuses])}, ${result.errors.length} errors)`,
      );
      check(
        q.rows.length === total,
        `group commit c=${concurrency} ${design}: ${total} events acknowledged, ${q.rows.length} on the queue`,
      );
      const l = latencySummary(result.latenciesMs);
      const late = result.latenciesMs.filter((ms) => ms > WALLARM_TIMEOUT_MS).length;
      check(late === 0, `group commit c=${concurrency} ${design}: ${late} requests took longer than Wallarm's 15 s timeout`);
      rows.push([
        `c=${concurrency} ${design === 'bridge' ? 'bridge (group commit)' : 'naive 1 msg/request'}`,
        fmtInt(q.messages),
        (total / q.messages).toFixed(1),
        fmtMs(l.p50),
        fmtMs(l.p95),
        fmtMs(l.p99),
        fmtMs(l.max),
        fmtRate((total / result.wallMs) * 1000, 'req/s'),
      ]);
      if (concurrency === 50) at50[design] = { messages: q.messages, p99: l.p99 };
    }
  }
  printTable(
    `2. Group commit — ${fmtInt(total)} single-event POSTs over HTTP to the local host (INGEST_GROUP_COMMIT_MS=${env.config().INGEST_GROUP_COMMIT_MS})`,
    ['concurrency / design', 'messages', 'events/msg', 'p50', 'p95', 'p99', 'max', 'throughput'],
    rows,
  );
  console.log("   latency = until the 202, which is sent only after the message holding the event is written. Wallarm's timeout: 15 s.");
  console.log('   the load generator runs in the same process as the host (one event loop), so latencies include its own work.');
  if (at50.bridge && at50.naive) {
    summary.push(
      `Group commit: ${fmtInt(total)} single-event POSTs at concurrency 50 → ${at50.bridge.messages} messages (naive ${at50.naive.messages}), p99 of the 202 ${fmtMs(at50.bridge.p99)} (naive ${fmtMs(at50.naive.p99)}).`,
    );
  }
}
