// Incident deliveries share the delivery machinery (shared/delivery): call counts in `stats` and the auto-disable
// circuit per destination (target `destination:<name>`), dead letters and parked work in the Holding tables
// (stream `incidents:<destination>`, one held row = one queue message), the operator notification when a
// destination is disabled, and replay back onto the `incidents` queue.
import { type Config, config as currentConfig } from '../config.js';
import { createDeliveryDeps, type DeliveryDeps, deliveryDeps } from '../delivery/deliver.js';
import type { HeldInfo } from '../delivery/holding.js';
import { storage } from '../storage/clients.js';
import { decodeMessage, enqueueMessage, type IncidentMessage } from './messages.js';

export type IncidentDeliveryDeps = Pick<DeliveryDeps, 'stats' | 'circuit' | 'deadLetters' | 'parked' | 'notify'>;

/** Circuit and stats target of a destination. */
export const circuitTarget = (destination: string) => `destination:${destination}`;
/** Holding stream (dead letters, parked) of a destination's incident messages: the same name, so status shows one row. */
export const heldStream = circuitTarget;
export const HELD_PREFIX = 'destination:';

const cache = new WeakMap<Config, IncidentDeliveryDeps>();

/** The delivery machinery for this configuration: the process-wide one (flushed by the hourly timer) for the app's own. */
export function incidentDeliveryDeps(config: Config): IncidentDeliveryDeps {
  let d = cache.get(config);
  if (!d) {
    let own = false;
    try {
      own = config === currentConfig();
    } catch {
      own = false;
    }
    d = own ? deliveryDeps() : createDeliveryDeps(config);
    cache.set(config, d);
  }
  return d;
}

/** The circuit as the forwarder uses it. */
export interface CircuitSeam {
  /** True when the destination is known to be disabled (no I/O on the happy path). */
  isOpen(target: string): boolean | Promise<boolean>;
  /** Counts a call; after a failure says whether the destination is disabled now. */
  recordOutcome(target: string, ok: boolean, reason?: string): Promise<{ disabled: boolean }> | { disabled: boolean };
}

/** The shared circuit (shared/delivery/circuit.ts) for destinations; notifies operators when one is disabled. */
export function destinationCircuit(d: IncidentDeliveryDeps, windowHours: number): CircuitSeam {
  return {
    isOpen: (target) => d.circuit.knownDisabled(target),
    async recordOutcome(target, ok, reason = 'failed') {
      if (ok) {
        d.stats.add(target, { delivered: 1, okCalls: 1 });
        await d.stats.maybeFlush();
        return { disabled: false };
      }
      d.stats.add(target, { failed: 1, failedCalls: 1 });
      await d.stats.flush();
      const c = await d.circuit.afterFailure(target, reason);
      if (c.opened) {
        await d.notify({
          type: 'sentinelbridge.target.disabled',
          target,
          failureRatio: c.ratio,
          windowHours,
          reason,
          at: new Date().toISOString(),
          message: `Destination ${target} disabled after ${Math.round(c.ratio * 100)}% failures; new incidents are parked. Fix the cause, then POST /api/replay.`,
        });
      }
      return { disabled: c.disabled };
    },
  };
}

/** Keeps a message (or, unreadable, its raw text) as a dead letter or parked item of its destination. */
export async function holdIncident(
  d: IncidentDeliveryDeps,
  kind: 'deadletters' | 'parked',
  destination: string,
  message: unknown,
  info: Omit<HeldInfo, 'envelopeId'> & { envelopeId?: string },
): Promise<void> {
  const holding = kind === 'deadletters' ? d.deadLetters : d.parked;
  const m = message as Partial<IncidentMessage> | undefined;
  await holding.put(heldStream(destination), [message as Record<string, unknown>], {
    envelopeId: info.envelopeId ?? m?.deliveryId ?? 'unreadable',
    reason: info.reason,
    ...(info.status !== undefined ? { status: info.status } : {}),
    ...(info.attempts !== undefined ? { attempts: info.attempts } : {}),
  });
  d.stats.add(circuitTarget(destination), kind === 'deadletters' ? { deadLettered: 1 } : { parked: 1 });
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
  config: Config,
  options: { destination?: string; include?: 'all' | 'deadletters' | 'parked' } = {},
  d: IncidentDeliveryDeps = incidentDeliveryDeps(config),
): Promise<IncidentReplayResult> {
  const include = options.include ?? 'all';
  const wanted = (stream: string) => stream.startsWith(HELD_PREFIX) && (!options.destination || stream === heldStream(options.destination));
  const disabled = (await d.circuit.list()).filter(
    (t) => !t.enabled && t.target.startsWith('destination:') && (!options.destination || t.target === circuitTarget(options.destination)),
  );
  for (const t of disabled) await d.circuit.enable(t.target);
  const queue = storage(config).queue('incidents');
  const result: IncidentReplayResult = { reenabled: disabled.map((t) => t.target), parked: 0, deadLetters: 0, skipped: 0 };
  for (const kind of ['parked', 'deadletters'] as const) {
    if (include !== 'all' && include !== kind) continue;
    const holding = kind === 'parked' ? d.parked : d.deadLetters;
    const items = (await holding.list()).filter((i) => wanted(i.stream)).sort((a, b) => a.key.localeCompare(b.key));
    for (const item of items) {
      const messages = (await holding.rows(item)).map(decodeMessage);
      const good = messages.filter((m): m is IncidentMessage => !('error' in m));
      if (good.length !== messages.length) {
        result.skipped++;
        continue;
      }
      for (const m of good) await enqueueMessage(queue, { ...m, attempt: 0, enqueuedAt: new Date().toISOString() });
      await holding.remove(item);
      if (kind === 'parked') result.parked += good.length;
      else result.deadLetters += good.length;
    }
  }
  return result;
}
