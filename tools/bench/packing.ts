// 1. Packing: one POST of N Wallarm hits (~1 KiB each) → how many queue messages and bytes, against a naive design
// that writes one message per event, and one that packs plain JSON (no gzip) into 64 KiB messages.
import type { QueueClient } from '@azure/storage-queue';
import pLimit from 'p-limit';
import type { JsonRecord } from '../../shared/catalog/types.js';
import { handleEvents } from '../../shared/ingest/handlers.js';
import { parseEnvelope, QUEUE_MESSAGE_LIMIT, rowsOf } from '../../shared/reliability/envelope.js';
import { NEVER_EXPIRE } from '../../shared/reliability/envelopeWriter.js';
import { appOf } from '../dev/apps.js';
import type { BenchEnv } from './env.js';
import { postRequest } from './env.js';
import { jsonArrayBody, wallarmHit } from './events.js';
import { check, figure, fmtBytes, fmtInt, fmtMs, fmtRatio, printTable, summary } from './report.js';

export interface QueueContents {
  messages: number;
  bytes: number;
  rows: JsonRecord[];
  blobs: number;
}

/** Reads every message on the queue (receive, not delete: they stay invisible), decoded, then clears the queue. */
export async function readQueue(queue: QueueClient, env: BenchEnv, config = env.config()): Promise<QueueContents> {
  const out: QueueContents = { messages: 0, bytes: 0, rows: [], blobs: 0 };
  const claimChecks = appOf(config).storage.container('claim-checks');
  for (;;) {
    const { receivedMessageItems: items } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 300 });
    if (items.length === 0) break;
    for (const m of items) {
      out.messages += 1;
      out.bytes += Buffer.byteLength(m.messageText, 'utf8');
      const envelope = parseEnvelope(m.messageText);
      if (envelope.enc === 'blob') out.blobs += 1;
      out.rows.push(...(await rowsOf(envelope, claimChecks)));
    }
  }
  await queue.clearMessages();
  return out;
}

/** Greedy packing of plain JSON rows into messages of at most 64 KiB of text (what a no-gzip design could do). */
function plainJsonPacking(rows: readonly JsonRecord[]): { messages: number; bytes: number } {
  const overhead = Buffer.byteLength(
    JSON.stringify({ v: 1, id: crypto.randomUUID(), stream: 'Custom-new_hits_CL', count: 10000, rows: [] }),
  );
  let messages = 0;
  let bytes = 0;
  let current = overhead;
  for (const row of rows) {
    const size = Buffer.byteLength(JSON.stringify(row)) + 1;
    if (current + size > QUEUE_MESSAGE_LIMIT && current > overhead) {
      messages += 1;
      bytes += current;
      current = overhead;
    }
    current += size;
  }
  if (current > overhead) {
    messages += 1;
    bytes += current;
  }
  return { messages, bytes };
}

export async function benchPacking(env: BenchEnv, sizes: number[]): Promise<void> {
  const rows: (string | number)[][] = [];
  const baseTime = Math.floor(Date.now() / 1000) - 3600;
  for (const n of sizes) {
    const config = env.config();
    const queue = appOf(config).storage.queue('events');
    await queue.clearMessages();
    const body = jsonArrayBody((i) => wallarmHit(i, baseTime), n);
    const deps = appOf(config).ingest;
    const started = performance.now();
    const res = await handleEvents(postRequest('/api/events/wallarm', body, { source: 'wallarm' }), deps);
    const postMs = performance.now() - started;
    const accepted = (res.jsonBody as { accepted?: number } | undefined)?.accepted;
    check(
      res.status === 202 && accepted === n,
      `packing ${n}: expected 202 with ${n} accepted, got ${res.status} ${JSON.stringify(res.jsonBody).slice(0, 300)}`,
    );
    const q = await readQueue(queue, env, config);
    const ids = new Set(q.rows.map((r) => r.EventId));
    check(
      q.rows.length === n && ids.size === n,
      `packing ${n}: ${n} events posted, ${q.rows.length} rows (${ids.size} distinct EventIds) on the queue`,
    );

    // Naive: one message per event (the normalized row as JSON), written for real to time it.
    const texts = q.rows.map((r) => JSON.stringify(r));
    const naiveBytes = texts.reduce((a, t) => a + Buffer.byteLength(t), 0);
    const limit = pLimit(16);
    const naiveStarted = performance.now();
    await Promise.all(texts.map((t) => limit(() => queue.sendMessage(t, { messageTimeToLive: NEVER_EXPIRE }))));
    const naiveMs = performance.now() - naiveStarted;
    const naiveCount = (await queue.getProperties()).approximateMessagesCount ?? 0;
    check(naiveCount === n, `packing ${n}: naive run left ${naiveCount} messages, expected ${n}`);
    await queue.clearMessages();
    const plain = plainJsonPacking(q.rows);
    const label = `${fmtInt(n)} events in one POST`;
    figure(`packing: queue messages, ${label}`, 'messages', q.messages, n);
    figure(`packing: queue messages against plain-JSON packing, ${label}`, 'messages', q.messages, plain.messages);
    figure(`packing: bytes on the queue, ${label}`, 'bytes', q.bytes, naiveBytes);
    figure(`packing: POST time (naive: its enqueue alone), ${label}`, 'ms', postMs, naiveMs);

    rows.push(
      [
        `${fmtInt(n)} events, bridge (gzip packed)`,
        fmtBytes(body.length),
        fmtInt(q.messages),
        fmtBytes(q.bytes),
        fmtInt(n / q.messages),
        fmtMs(postMs),
        '1×',
      ],
      [`${fmtInt(n)} events, naive 1 msg/event`, '', fmtInt(n), fmtBytes(naiveBytes), '1', fmtMs(naiveMs), fmtRatio(n / q.messages)],
      [
        `${fmtInt(n)} events, naive JSON 64 KiB`,
        '',
        fmtInt(plain.messages),
        fmtBytes(plain.bytes),
        fmtInt(n / plain.messages),
        '(computed)',
        fmtRatio(plain.messages / q.messages),
      ],
    );
    if (n === sizes[0]) {
      summary.push(
        `Packing: ${fmtInt(n)} ~1 KiB events in one POST → ${q.messages} queue messages (${fmtBytes(q.bytes)}), vs ${fmtInt(n)} messages / ${fmtBytes(naiveBytes)} one-per-event and ${plain.messages} messages of plain JSON; the POST took ${fmtMs(postMs)} vs ${fmtMs(naiveMs)} just to enqueue ${fmtInt(n)} naive messages.`,
      );
    }
  }
  printTable(
    '1. Packing — one POST of N Wallarm hits (~1 KiB each) → queue',
    ['design', 'body', 'messages', 'bytes on queue', 'events/msg', 'time', 'messages vs bridge'],
    rows,
  );
  console.log('   time: bridge = the whole POST (decode, validate, normalize, gzip, enqueue); naive = only its enqueue (16 in flight).');
}
