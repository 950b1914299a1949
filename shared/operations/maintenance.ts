// The hourly timer: delivery's upkeep (counters, health record, probing disabled streams) and the probe of disabled
// incident destinations.
import type { DeliveryDeps } from '../delivery/deliver.js';
import { runHourly } from '../delivery/hourly.js';
import { probeIncidentDestination } from '../incidents/handlers.js';
import { HELD_PREFIX } from '../incidents/outcomes.js';

export async function runMaintenance(deps: DeliveryDeps): Promise<{ healthRows: number; reenabled: string[] }> {
  const events = await runHourly(deps);
  const reenabled = [...events.reenabled];
  for (const target of await deps.circuit.list()) {
    if (target.enabled || !target.target.startsWith(HELD_PREFIX)) continue;
    const destination = target.target.slice(HELD_PREFIX.length);
    if (await probeIncidentDestination(destination, { config: deps.config })) reenabled.push(target.target);
  }
  return { healthRows: events.healthRows, reenabled };
}
