// `npm run bench`: figures for the design's claims — packing, group commit, delivery cost, ingest CPU, memory at the
// body limit — on real components (Azurite, the Logs Ingestion emulator, the real handlers and the local host's queue
// trigger), each against the naive design it replaces. Prints figures; no thresholds, except that an absurd figure
// (an event lost, a request refused) makes the exit code non-zero. `--only=packing,cpu` runs a subset; `--json FILE`
// writes every figure as {figures: [{name, unit, value, baseline, ratio}], run} (docs/BENCHMARKS.md shows them).
// See docs/BENCHMARKS.md for a run on the reference machine and what the figures mean.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { benchCpu } from './cpu.js';
import { benchDelivery } from './delivery.js';
import { startBenchEnv } from './env.js';
import { benchGroupCommit } from './groupCommit.js';
import { benchMemory } from './memory.js';
import { benchPacking } from './packing.js';
import { benchPoll } from './poll.js';
import { type FiguresFile, figures, problems, summary } from './report.js';
import { benchStorage } from './storage.js';

const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const wanted = (name: string) => !only || only.includes(name);
const jsonAt = process.argv.indexOf('--json');
const jsonFile = jsonAt >= 0 ? process.argv[jsonAt + 1] : undefined;
if (jsonAt >= 0 && !jsonFile) throw new Error('--json needs a file name: npm run bench -- --json docs/bench.json');
const loadAtStart = os.loadavg();

const started = performance.now();
console.log('Sentinel Bridge benchmarks');
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
console.log(`machine: ${machine}; load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`);

const env = await startBenchEnv();
const phase = async (name: string, run: () => Promise<void>) => {
  if (!wanted(name)) return;
  const t = performance.now();
  try {
    await run();
  } catch (e) {
    problems.push(`${name}: ${(e as Error).stack ?? e}`);
    console.log(`  !! ${name} failed: ${(e as Error).stack ?? e}`);
  }
  console.log(`   (${name}: ${((performance.now() - t) / 1000).toFixed(1)} s)`);
};
try {
  await phase('packing', () => benchPacking(env, [1_000, 10_000]));
  await phase('groupcommit', () => benchGroupCommit(env, 1_000, [1, 50, 200]));
  await phase('delivery', () => benchDelivery(env, 10_000, 1_000));
  await phase('cpu', () => benchCpu(10_000, 3));
  await phase('memory', () => benchMemory(env));
  await phase('storage', () => benchStorage(env));
  await phase('poll', () => benchPoll(env, 10_000));
} finally {
  await env.stop();
}

console.log('\nSummary');
for (const line of summary) console.log(`- ${line}`);
const seconds = (performance.now() - started) / 1000;
console.log(
  `Total bench time: ${seconds.toFixed(0)} s; load average at the end ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}.`,
);
if (jsonFile) {
  const file: FiguresFile = {
    figures,
    run: { date: new Date().toISOString(), machine, loadAverage: { start: loadAtStart, end: os.loadavg() }, seconds },
  };
  writeFileSync(jsonFile, `${JSON.stringify(file, null, 2)}\n`);
  console.log(`${figures.length} figures written to ${jsonFile}.`);
}
if (problems.length) {
  console.log(`\n${problems.length} problem(s):`);
  for (const p of problems) console.log(`- ${p}`);
  process.exit(1);
}
process.exit(0);
