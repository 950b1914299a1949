// 5. Memory: peak RSS of an ingest process (the local host running the real ingest function, in a child process so
// nothing else shares its heap) while it takes POSTs at the 30 MB body limit: one, and four at once, beside the
// naive pipeline (whole text, whole tree, every row, then packing); plus gzip and just over the limit.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { appOf } from '../dev/apps.js';
import type { BenchEnv } from './env.js';
import { bodyOfSize, wallarmHit } from './events.js';
import { check, figure, fmtBytes, fmtInt, fmtMs, printTable, summary } from './report.js';

const LIMIT = 30 * 1024 * 1024;
/** A budget that holds two bodies at the limit, not four: the 4-at-once run then shows the 503s. */
const LOW_BUDGET_MB = 64;

/** VmRSS / VmHWM of a process, in bytes (Linux /proc). */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Resets the kernel's peak-RSS mark (VmHWM) of a process; false when not allowed. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

interface Answer {
  status: number;
  text: string;
  retryAfter: string | undefined;
}

function post(url: string, body: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            retryAfter: res.headers['retry-after'],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Run {
  label: string;
  design: 'bridge' | 'naive';
  body: Buffer;
  concurrent: number;
  headers: Record<string, string>;
  /** Every answer must be one of these. */
  expect: number[];
  budgetMb?: number;
  /** The label of the naive run this one is compared with. */
  baseline?: string;
}

export async function benchMemory(env: BenchEnv): Promise<void> {
  const baseTime = Math.floor(Date.now() / 1000) - 3600;
  const { body, events } = bodyOfSize((i) => wallarmHit(4_000_000 + i, baseTime), LIMIT);
  const gz = gzipSync(body);
  const over = Buffer.concat([body.subarray(0, body.length - 1), Buffer.from(`,${JSON.stringify(wallarmHit(1, baseTime))}]`)]);
  const queue = appOf(env.config()).storage.queue('events');
  await queue.clearMessages();
  const one = `1 × ${fmtBytes(body.length)} JSON array`;
  const four = `4 × ${fmtBytes(body.length)} at once`;
  // Each naive run comes before the bridge's runs that take it as their baseline.
  const runs: Run[] = [
    { label: one, design: 'naive', body, concurrent: 1, headers: {}, expect: [202] },
    { label: one, design: 'bridge', body, concurrent: 1, headers: {}, expect: [202], baseline: one },
    { label: four, design: 'naive', body, concurrent: 4, headers: {}, expect: [202] },
    { label: four, design: 'bridge', body, concurrent: 4, headers: {}, expect: [202, 503], baseline: four },
    {
      label: `${four}, INGEST_INFLIGHT_MB=${LOW_BUDGET_MB}`,
      design: 'bridge',
      body,
      concurrent: 4,
      headers: {},
      expect: [202, 503],
      budgetMb: LOW_BUDGET_MB,
      baseline: four,
    },
    {
      label: `1 × gzip (${fmtBytes(gz.length)} on the wire)`,
      design: 'bridge',
      body: gz,
      concurrent: 1,
      headers: { 'content-encoding': 'gzip' },
      expect: [202],
    },
    {
      label: `1 × ${fmtBytes(over.length)} (just over the limit)`,
      design: 'bridge',
      body: over,
      concurrent: 1,
      headers: {},
      expect: [413],
    },
  ];
  const rows: (string | number)[][] = [];
  /** Peak RSS − RSS before of each naive run, by label. */
  const naive = new Map<string, number>();
  let peakReset = true;
  for (const run of runs) {
    // A fresh process per run: V8 keeps the heap it grew, so a second run in the same process would start high.
    const child = await startChild(env, baseTime, run.design, run.budgetMb);
    try {
      await queue.clearMessages();
      await new Promise((r) => setTimeout(r, 300));
      const before = memoryOf(child.pid).rss;
      peakReset = resetPeak(child.pid) && peakReset;
      let sampled = before;
      const sampler = setInterval(() => {
        sampled = Math.max(sampled, memoryOf(child.pid).rss);
      }, 5);
      const started = performance.now();
      const answers = await Promise.all(Array.from({ length: run.concurrent }, () => post(child.url, run.body, run.headers)));
      const ms = performance.now() - started;
      clearInterval(sampler);
      const after = memoryOf(child.pid);
      const peak = peakReset ? Math.max(after.hwm, sampled) : sampled;
      const messages = (await queue.getProperties()).approximateMessagesCount ?? 0;
      await queue.clearMessages();
      const name = `${run.label}, ${run.design}`;
      let accepted = 0;
      for (const a of answers) {
        check(
          run.expect.includes(a.status),
          `memory ${name}: expected ${run.expect.join(' or ')}, got ${a.status} ${a.text.slice(0, 200)}`,
        );
        if (a.status === 503) check(a.retryAfter !== undefined, `memory ${name}: a 503 without Retry-After`);
        if (a.status !== 202) continue;
        const n = (JSON.parse(a.text) as { accepted?: number }).accepted ?? 0;
        check(n === events, `memory ${name}: ${events} events posted, ${n} accepted`);
        accepted += n;
      }
      const statuses = answers.map((a) => a.status).join(' ');
      rows.push([
        run.label,
        run.design,
        statuses,
        fmtInt(accepted),
        fmtMs(ms),
        fmtBytes(before),
        fmtBytes(peak),
        fmtBytes(peak - before),
        fmtInt(messages),
      ]);
      const grown = peak - before;
      if (run.design === 'naive') {
        naive.set(run.label, grown);
        continue;
      }
      const baseline = run.baseline === undefined ? undefined : naive.get(run.baseline);
      const mib = (n: number | undefined) => (n === undefined ? undefined : n / 1024 / 1024);
      figure(`memory: peak RSS − RSS before, ${run.label}`, 'MiB', grown / 1024 / 1024, mib(baseline));
      figure(`memory: peak RSS, ${run.label}`, 'MiB', peak / 1024 / 1024);
      // By the decoded body: what the pipeline holds (a gzip body's wire size says nothing of it).
      figure(`memory: (peak RSS − RSS before) ÷ decoded body bytes, ${run.label}`, '×', grown / (body.length * run.concurrent));
      if (run.concurrent > 1)
        figure(`memory: answered 202 of ${run.concurrent}, ${run.label}`, 'requests', answers.filter((a) => a.status === 202).length);
      figure(`memory: answer time (all answered), ${run.label}`, 'ms', ms);
      if (run.label === one)
        summary.push(
          `Memory: a ${fmtBytes(body.length)} POST (${fmtInt(events)} events) peaks at ${fmtBytes(peak)} RSS (+${fmtBytes(grown)} over idle, ${(grown / body.length).toFixed(1)}× the body; naive +${fmtBytes(baseline ?? Number.NaN)}), answered in ${fmtMs(ms)}.`,
        );
    } finally {
      await child.stop();
    }
  }
  printTable(
    '5. Memory — POSTs at the 30 MB body limit, RSS of the ingest process (local host in a child process)',
    ['body', 'design', 'answers', 'accepted', 'time', 'RSS before', 'peak RSS', 'peak − before', 'messages'],
    rows,
  );
  console.log(
    `   peak = ${peakReset ? "the kernel's VmHWM (reset before each run) and " : ''}VmRSS sampled every 5 ms; a fresh process per run.`,
  );
}

/** The ingest child process of a design, started and warmed up. */
async function startChild(
  env: BenchEnv,
  baseTime: number,
  design: Run['design'],
  budgetMb: number | undefined,
): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tools/bench/memoryChild.ts', ...(design === 'naive' ? ['--naive'] : [])], {
    env: {
      ...process.env,
      AzureWebJobsStorage: env.connectionString,
      LOG_LEVEL: 'silent',
      ...(budgetMb === undefined ? {} : { INGEST_INFLIGHT_MB: String(budgetMb) }),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`memory child did not start: ${out}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(`${m[1]}/api/events/wallarm`);
      }
    });
    child.once('exit', (code) => reject(new Error(`memory child exited with ${code}: ${out}`)));
  });
  // Warm-up: the first requests load modules and open connections.
  for (let i = 0; i < 3; i += 1)
    await post(url, Buffer.from(JSON.stringify(Array.from({ length: 200 }, (_, k) => wallarmHit(k, baseTime)))));
  return {
    url,
    pid: child.pid as number,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
