import { handleIncidentMessage } from '../shared/incidents/handlers.js';
import { QUEUES } from '../shared/storage/names.js';
import type { QueueFunction } from './types.js';

/** Forwards one incident event to one destination, then tags and comments the incident in Sentinel. */
export const forwardIncident: QueueFunction = {
  kind: 'queue',
  name: 'forwardIncident',
  queueName: QUEUES.incidents,
  handler: async (app, message) => {
    await handleIncidentMessage(message, app.incidents);
  },
};
