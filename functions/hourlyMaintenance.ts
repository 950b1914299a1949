import { deliveryDeps } from '../shared/delivery/deliver.js';
import { runHourly } from '../shared/delivery/hourly.js';
import type { TimerFunction } from './types.js';

export const hourlyMaintenance: TimerFunction = {
  kind: 'timer',
  name: 'hourlyMaintenance',
  schedule: '0 0 * * * *',
  handler: async () => {
    await runHourly(deliveryDeps());
  },
};
