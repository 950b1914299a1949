import { runMaintenance } from '../shared/operations/maintenance.js';
import type { TimerFunction } from './types.js';

/** Hourly: flush counters, write the health record, probe disabled streams and destinations, sweep expired replay keys. */
export const hourlyMaintenance: TimerFunction = {
  kind: 'timer',
  name: 'hourlyMaintenance',
  schedule: '0 0 * * * *',
  handler: async (app) => {
    await runMaintenance(app);
    await app.ingest.replays.sweep();
  },
};
