// 5. Memory: peak RSS of an ingest process (the local host running the real ingest function, in a child process so
// nothing else shares its heap) while it takes one POST at the 30 MB body limit, plain and gzip-encoded.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { appOf } from '../dev/apps.js';
import type { BenchEnv } from './env.js';
import { bodyOfSize, wallarmHit } from './events.js';
import { check, figure, fmtBytes, fmtInt, fmtMs, printTable, summary } from './report.js';

const LIMIT = 30 * 1024 * 1024;

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

function post(url: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function benchMemory(env: BenchEnv): Promise<void> {
  const baseTime = Math.floor(Date.now() / 1000) - 3600;
  const { body, events } = bodyOfSize((i) => wallarmHit(4_000_000 + i, baseTime), LIMIT);
  const gz = gzipSync(body);
  const over = Buffer.concat([body.subarray(0, body.length - 1), Buffer.from(`,${JSON.stringify(wallarmHit(1, baseTime))}]`)]);
  const config = env.config();
  const queue = appOf(config).storage.queue('events');
  await queue.clearMessages();

  const runs: { label: string; body: Buffer; headers: Record<string, string>; expect: number }[] = [
    { label: `${fmtBytes(body.length)} JSON array`, body, headers: {}, expect: 202 },
    { label: `same, gzip (${fmtBytes(gz.length)} on the wire)`, body: gz, headers: { 'content-encoding': 'gzip' }, expect: 202 },
    { label: `${fmtBytes(over.length)} (just over the limit)`, body: over, headers: {}, expect: 413 },
  ];
  const rows: (string | number)[][] = [];
  let peakReset = true;
  for (const run of runs) {
    // A fresh process per body: V8 keeps the heap it grew, so a second POST in the same process would start high.
    const child = await startChild(env, baseTime);
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
      const res = await post(child.url, run.body, run.headers);
      const ms = performance.now() - started;
      clearInterval(sampler);
      const after = memoryOf(child.pid);
      const peak = peakReset ? Math.max(after.hwm, sampled) : sampled;
      const messages = (await queue.getProperties()).approximateMessagesCount ?? 0;
      await queue.clearMessages();
      const accepted = run.expect === 202 ? (JSON.parse(res.text) as { accepted?: number }).accepted : undefined;
      check(res.status === run.expect, `memory ${run.label}: expected ${run.expect}, got ${res.status} ${res.text.slice(0, 200)}`);
      if (run.expect === 202) check(accepted === events, `memory ${run.label}: ${events} events posted, ${accepted} accepted`);
      rows.push([
        run.label,
        fmtInt(run.expect === 202 ? events : 0),
        String(res.status),
        fmtMs(ms),
        fmtBytes(before),
        fmtBytes(peak),
        fmtBytes(peak - before),
        fmtInt(messages),
      ]);
      figure(`memory: peak RSS, ${run.label}`, 'MiB', peak / 1024 / 1024);
      figure(`memory: peak RSS − RSS before, ${run.label}`, 'MiB', (peak - before) / 1024 / 1024);
      figure(`memory: answer time, ${run.label}`, 'ms', ms);
      if (run.expect === 202 && !run.headers['content-encoding'])
        summary.push(
          `Memory: a ${fmtBytes(body.length)} POST (${fmtInt(events)} events) peaks at ${fmtBytes(peak)} RSS (+${fmtBytes(peak - before)} over idle), answered in ${fmtMs(ms)}.`,
        );
    } finally {
      await child.stop();
    }
  }
  printTable(
    '5. Memory — one POST at the 30 MB body limit, RSS of the ingest process (local host in a child process)',
    ['body', 'events', 'status', 'time', 'RSS before', 'peak RSS', 'peak − before', 'messages'],
    rows,
  );
  console.log(
    `   peak = ${peakReset ? "the kernel's VmHWM (reset before each POST) and " : ''}VmRSS sampled every 5 ms; a fresh process per body.`,
  );
}

/** The ingest child process, started and warmed up. */
async function startChild(env: BenchEnv, baseTime: number): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tools/bench/memoryChild.ts'], {
    env: { ...process.env, AzureWebJobsStorage: env.connectionString, LOG_LEVEL: 'silent' },
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
