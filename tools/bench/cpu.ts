// 4. Ingest CPU: parse → validate + normalize → pack (gzip into queue-sized groups), in process, no I/O — the work
// an ingest instance does per event before it writes to the queue.
import { buildCatalog } from '../../shared/catalog/index.js';
import { parseElements } from '../../shared/ingest/body.js';
import { validateElements } from '../../shared/ingest/validate.js';
import { packRows } from '../../shared/reliability/envelope.js';
import { jsonArrayBody, mcasRow, wallarmHit } from './events.js';
import { check, figure, fmtBytes, fmtInt, fmtRate, printTable, summary } from './report.js';

interface Phases {
  parse: number;
  validate: number;
  pack: number;
}

export async function benchCpu(n: number, rounds: number): Promise<void> {
  const catalog = buildCatalog();
  const baseTime = Math.floor(Date.now() / 1000) - 3600;
  const inputs = [
    { label: 'Wallarm hits (new_hits)', source: 'wallarm', body: jsonArrayBody((i) => wallarmHit(i, baseTime), n) },
    { label: 'MCAS discovery rows', source: 'mcas', body: jsonArrayBody(mcasRow, n) },
  ];
  const rows: (string | number)[][] = [];
  for (const input of inputs) {
    const source = catalog.source(input.source);
    if (!source) throw new Error(`no source ${input.source}`);
    const best: Phases = { parse: Infinity, validate: Infinity, pack: Infinity };
    let messages = 0;
    // Round 0 warms the JIT; the best of the others is reported (the least disturbed by GC and the other processes).
    for (let round = 0; round <= rounds; round += 1) {
      const t0 = performance.now();
      const elements = parseElements(input.body);
      const t1 = performance.now();
      const batch = validateElements(elements, { catalog, source, context: { receivedAt: new Date().toISOString() } });
      const t2 = performance.now();
      messages = 0;
      for (const streamRows of batch.streams.values()) messages += packRows(streamRows).length;
      const t3 = performance.now();
      check(
        batch.accepted === n && batch.rejected.length === 0,
        `cpu ${input.label}: ${batch.accepted}/${n} accepted, ${batch.rejected.length} rejected ${JSON.stringify(batch.rejected[0] ?? '')}`,
      );
      if (round === 0) continue;
      best.parse = Math.min(best.parse, t1 - t0);
      best.validate = Math.min(best.validate, t2 - t1);
      best.pack = Math.min(best.pack, t3 - t2);
    }
    const all = best.parse + best.validate + best.pack;
    const rate = (ms: number) => fmtRate((n / ms) * 1000);
    rows.push([
      input.label,
      fmtBytes(input.body.length),
      rate(best.parse),
      rate(best.validate),
      rate(best.pack),
      rate(all),
      `${(input.body.length / 1024 / 1024 / (all / 1000)).toFixed(1)} MiB/s`,
      fmtInt(messages),
    ]);
    figure(`ingest CPU: parse + validate/normalize + pack on one core, ${input.label}`, 'events/s', (n / all) * 1000);
    figure(`ingest CPU: validate/normalize alone, ${input.label}`, 'events/s', (n / best.validate) * 1000);
    summary.push(
      `Ingest CPU (${input.label}): ${rate(all)} on one core for parse + validate/normalize + pack (validate/normalize alone ${rate(best.validate)}).`,
    );
  }
  printTable(
    `4. Ingest CPU — ${fmtInt(n)} events, in process, no I/O (best of ${rounds} after a warm-up)`,
    ['input', 'body', 'parse', 'validate+normalize', 'pack (gzip)', 'all three', 'input rate', 'messages'],
    rows,
  );
}
