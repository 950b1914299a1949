// Replay and re-enable: parked and dead-lettered work goes back on the queue in arrival order, as fresh envelopes
// (the retry schedule starts over). Used by POST /api/replay and by the hourly probe.

import type { Holding } from '../reliability/holding.js';
import { isKind, targetOf } from '../reliability/targets.js';
import type { DeliveryDeps } from './deliver.js';

export interface ReplayOptions {
  /** Only this stream (target); default all. */
  stream?: string | undefined;
  include?: 'all' | 'deadletters' | 'parked';
}

export interface ReplayResult {
  reenabled: string[];
  parked: { items: number; events: number };
  deadLetters: { items: number; events: number };
  /** Dead letters that are not envelopes (unreadable messages) stay where they are. */
  skipped: number;
}

async function drain(
  deps: DeliveryDeps,
  holding: Holding,
  stream: string | undefined,
): Promise<{ items: number; events: number; skipped: number }> {
  const items = (await holding.list(stream)).sort((a, b) => a.key.localeCompare(b.key));
  let events = 0;
  let skipped = 0;
  let replayed = 0;
  for (const item of items) {
    // Only event streams go back on the events queue: incident messages have their own replay; unreadable messages stay.
    const target = targetOf(item.stream);
    if (target?.kind !== 'stream') {
      if (!target) skipped += 1;
      continue;
    }
    const rows = await holding.rows(item);
    await deps.writer.write(item.stream, rows, { meta: { id: item.envelopeId, retry: 0 } });
    await holding.remove(item);
    events += rows.length;
    replayed += 1;
  }
  return { items: replayed, events, skipped };
}

export async function replay(deps: DeliveryDeps, options: ReplayOptions = {}): Promise<ReplayResult> {
  const include = options.include ?? 'all';
  const disabled = (await deps.circuit.list()).filter(
    (t) => !t.enabled && isKind(t.target, 'stream') && (!options.stream || t.target === options.stream),
  );
  for (const t of disabled) await deps.circuit.enable(t.target);
  const parked = include === 'deadletters' ? { items: 0, events: 0, skipped: 0 } : await drain(deps, deps.parked, options.stream);
  const deadLetters = include === 'parked' ? { items: 0, events: 0, skipped: 0 } : await drain(deps, deps.deadLetters, options.stream);
  return {
    reenabled: disabled.map((t) => t.target),
    parked: { items: parked.items, events: parked.events },
    deadLetters: { items: deadLetters.items, events: deadLetters.events },
    skipped: parked.skipped + deadLetters.skipped,
  };
}
