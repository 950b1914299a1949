// 2. Group commit: many single-event POSTs (how Wallarm and most webhook senders post) over real HTTP to the local
// host running the real ingest handler → queue messages and the latency of the 202, against a naive design that
// writes one queue message per request. Wallarm gives up on a request after 15 s.
import http from 'node:http';
import type { App } from '../../shared/app.js';
import { GroupCommitter } from '../../shared/ingest/enqueue.js';
import { packJson } from '../../shared/reliability/envelope.js';
import { type GroupWriter, queueEnvelopeWriter } from '../../shared/reliability/envelopeWriter.js';
import { appOf } from '../dev/apps.js';
import type { BenchEnv } from './env.js';
import { wallarmHit } from './events.js';
import { ingestOnlyHost } from './ingestHost.js';
import { runLoad } from './load.js';
import { readQueue } from './packing.js';
import { check, figure, fmtInt, fmtMs, fmtRate, latencySummary, printTable, summary } from './report.js';

/** The naive baseline: the same decode/validate/normalize, then one queue message per request, no sharing. */
export class PerRequestCommitter extends GroupCommitter {
  constructor(private readonly perRequest: GroupWriter) {
    super(perRequest, 0);
  }

  override submit(streams: ReadonlyMap<string, readonly string[]>): Promise<void> {
    return Promise.all([...streams].map(([stream, json]) => this.perRequest.writeGroups(stream, packJson(json)))).then(() => undefined);
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
  const measured: Record<string, { messages: number; p50: number; p99: number; rate: number }> = {};
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
      measured[`${concurrency} ${design}`] = { messages: q.messages, p50: l.p50, p99: l.p99, rate: (total / result.wallMs) * 1000 };
    }
    const bridge = measured[`${concurrency} bridge`];
    const naive = measured[`${concurrency} naive`];
    if (bridge && naive) {
      const label = `${fmtInt(total)} single-event POSTs at concurrency ${concurrency}`;
      figure(`group commit: queue messages, ${label}`, 'messages', bridge.messages, naive.messages);
      figure(`group commit: 202 latency p50, ${label}`, 'ms', bridge.p50, naive.p50);
      figure(`group commit: 202 latency p99, ${label}`, 'ms', bridge.p99, naive.p99);
      figure(`group commit: throughput, ${label}`, 'requests/s', bridge.rate, naive.rate);
    }
  }
  printTable(
    `2. Group commit — ${fmtInt(total)} single-event POSTs over HTTP to the local host (INGEST_GROUP_COMMIT_MS=${env.config().INGEST_GROUP_COMMIT_MS})`,
    ['concurrency / design', 'messages', 'events/msg', 'p50', 'p95', 'p99', 'max', 'throughput'],
    rows,
  );
  console.log("   latency = until the 202, which is sent only after the message holding the event is written. Wallarm's timeout: 15 s.");
  console.log('   the load generator runs in the same process as the host (one event loop), so latencies include its own work.');
  const bridge50 = measured['50 bridge'];
  const naive50 = measured['50 naive'];
  if (bridge50 && naive50) {
    summary.push(
      `Group commit: ${fmtInt(total)} single-event POSTs at concurrency 50 → ${bridge50.messages} messages (naive ${naive50.messages}), p99 of the 202 ${fmtMs(bridge50.p99)} (naive ${fmtMs(naive50.p99)}).`,
    );
  }
}
