import { handleIncidentPoison } from '../shared/incidents/handlers.js';
import { QUEUES } from '../shared/storage/names.js';
import type { QueueFunction } from './types.js';

/** Incident messages the host gave up on become dead letters of their destination, visible and replayable. */
export const incidentsPoison: QueueFunction = {
  kind: 'queue',
  name: 'incidentsPoison',
  queueName: QUEUES.incidentsPoison,
  handler: (app, message) => handleIncidentPoison(message, app.incidents),
};
