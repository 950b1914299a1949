// The hourly timer: delivery's upkeep (counters, health record, probing disabled streams) and the probe of disabled
// incident destinations.
import type { DeliveryDeps } from '../delivery/deliver.js';
import { runHourly } from '../delivery/hourly.js';
import { replay } from '../delivery/replay.js';
import { probeIncidentDestination } from '../incidents/handlers.js';
import { targetOf } from '../reliability/targets.js';
import type { OperationsDeps } from './deps.js';

/**
 * INGEST_CAP_RESUME=auto: a new UTC day replays what past days' caps parked, in order (it counts toward today's cap).
 * A stream whose target is disabled is left to the probe, whose re-enable replays its parked work.
 */
export async function resumeCapped(deps: DeliveryDeps): Promise<string[]> {
  await deps.costGuard.prune();
  if (deps.costGuard.settings.resume !== 'auto') return [];
  const resumed = new Set<string>();
  for (const { stream, day } of await deps.costGuard.waiting()) {
    if (!(await deps.circuit.state(stream)).enabled) continue;
    // One replay takes every parked item of the stream, whichever day parked it.
    if (!resumed.has(stream)) await replay(deps, { stream, include: 'parked' });
    await deps.costGuard.resolved(stream, day);
    resumed.add(stream);
  }
  return [...resumed];
}

export async function runMaintenance(deps: OperationsDeps): Promise<{ healthRows: number; reenabled: string[]; capResumed: string[] }> {
  await deps.delivery.costGuard.mergeAll();
  const events = await runHourly(deps.delivery);
  const reenabled = [...events.reenabled];
  for (const state of await deps.delivery.circuit.list()) {
    const target = targetOf(state.target);
    if (state.enabled || target?.kind !== 'destination') continue;
    if (await probeIncidentDestination(target.destination, deps.incidents)) reenabled.push(state.target);
  }
  return { healthRows: events.healthRows, reenabled, capResumed: await resumeCapped(deps.delivery) };
}
