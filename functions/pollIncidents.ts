import { runIncidentPoll } from '../shared/incidents/handlers.js';
import type { TimerFunction } from './types.js';

/** Polls Sentinel for new and closed incidents and queues one message per destination (queue `incidents`). */
export const pollIncidents: TimerFunction = {
  kind: 'timer',
  name: 'pollIncidents',
  schedule: '%INCIDENT_POLL_SCHEDULE%',
  handler: async (app) => {
    await runIncidentPoll(app.incidents);
  },
};
