// The hourly timer: delivery's upkeep (counters, health record, probing disabled streams) and the probe of disabled
// incident destinations.
import { runHourly } from '../delivery/hourly.js';
import { probeIncidentDestination } from '../incidents/handlers.js';
import { targetOf } from '../reliability/targets.js';
import type { OperationsDeps } from './deps.js';

export async function runMaintenance(deps: OperationsDeps): Promise<{ healthRows: number; reenabled: string[] }> {
  const events = await runHourly(deps.delivery);
  const reenabled = [...events.reenabled];
  for (const state of await deps.delivery.circuit.list()) {
    const target = targetOf(state.target);
    if (state.enabled || target?.kind !== 'destination') continue;
    if (await probeIncidentDestination(target.destination, deps.incidents)) reenabled.push(state.target);
  }
  return { healthRows: events.healthRows, reenabled };
}
