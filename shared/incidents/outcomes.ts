// Incident deliveries on the reliability core (shared/reliability): call counts and the auto-disable circuit per
// destination, dead letters and parked work in the Holding tables (one held row = one queue message), and replay
// back onto the `incidents` queue.
import type { QueueClient } from '@azure/storage-queue';
import type { HeldInfo } from '../reliability/holding.js';
import { type Reliability, recordCall } from '../reliability/index.js';
import { destinationTarget, isKind, targetKey } from '../reliability/targets.js';
import { decodeMessage, enqueueMessage, type IncidentMessage } from './messages.js';

/** Circuit, stats and holding key of a destination: one key, so status shows one row per destination. */
export const destinationKey = (destination: string) => targetKey(destinationTarget(destination));

/** The circuit as the forwarder uses it (the hourly probe passes one that is always closed). */
export interface CircuitSeam {
  /** True when the destination is known to be disabled (no I/O on the happy path). */
  isOpen(destination: string): boolean | Promise<boolean>;
  /** Counts a call; after a failure says whether the destination is disabled now. */
  recordOutcome(destination: string, ok: boolean, reason?: string): Promise<{ disabled: boolean }> | { disabled: boolean };
}

/** The shared circuit for destinations. */
export function destinationCircuit(rel: Reliability): CircuitSeam {
  return {
    isOpen: (destination) => rel.circuit.knownDisabled(destinationKey(destination)),
    recordOutcome: (destination, ok, reason = 'failed') =>
      recordCall(rel, destinationTarget(destination), ok ? { ok: true, delivered: 1 } : { ok: false, failed: 1, reason }, 'incidents'),
  };
}

/** Keeps a message (or, unreadable, its raw text) as a dead letter or parked item of its destination. */
export async function holdIncident(
  rel: Reliability,
  kind: 'deadletters' | 'parked',
  destination: string,
  message: unknown,
  info: Omit<HeldInfo, 'envelopeId'> & { envelopeId?: string },
): Promise<void> {
  const holding = kind === 'deadletters' ? rel.deadLetters : rel.parked;
  const m = message as Partial<IncidentMessage> | undefined;
  await holding.put(destinationKey(destination), [message as Record<string, unknown>], {
    envelopeId: info.envelopeId ?? m?.deliveryId ?? 'unreadable',
    reason: info.reason,
    ...(info.status !== undefined ? { status: info.status } : {}),
    ...(info.attempts !== undefined ? { attempts: info.attempts } : {}),
  });
  rel.stats.add(destinationKey(destination), kind === 'deadletters' ? { deadLettered: 1 } : { parked: 1 });
}

export interface IncidentReplayResult {
  reenabled: string[];
  parked: number;
  deadLetters: number;
  /** Held items that are not incident messages (kept). */
  skipped: number;
}

/**
 * Re-enables disabled destinations and puts their parked and dead-lettered incident messages back on the queue, in
 * arrival order, with the retry count reset. The delivery rows still prevent a second send of anything delivered.
 */
export async function replayIncidents(
  rel: Reliability,
  queue: QueueClient,
  options: { destination?: string; include?: 'all' | 'deadletters' | 'parked' } = {},
): Promise<IncidentReplayResult> {
  const include = options.include ?? 'all';
  const wanted = (key: string) => (options.destination ? key === destinationKey(options.destination) : isKind(key, 'destination'));
  const disabled = (await rel.circuit.list()).filter((t) => !t.enabled && wanted(t.target));
  for (const t of disabled) await rel.circuit.enable(t.target);
  const result: IncidentReplayResult = { reenabled: disabled.map((t) => t.target), parked: 0, deadLetters: 0, skipped: 0 };
  for (const kind of ['parked', 'deadletters'] as const) {
    if (include !== 'all' && include !== kind) continue;
    const holding = kind === 'parked' ? rel.parked : rel.deadLetters;
    const items = (await holding.list()).filter((i) => wanted(i.stream)).sort((a, b) => a.key.localeCompare(b.key));
    for (const item of items) {
      const messages = (await holding.rows(item)).map(decodeMessage);
      const good = messages.filter((m): m is IncidentMessage => !('error' in m));
      if (good.length !== messages.length) {
        result.skipped++;
        continue;
      }
      for (const m of good) await enqueueMessage(queue, { ...m, attempt: 0, enqueuedAt: new Date(rel.now()).toISOString() });
      await holding.remove(item);
      if (kind === 'parked') result.parked += good.length;
      else result.deadLetters += good.length;
    }
  }
  return result;
}
