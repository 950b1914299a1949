import { deadLetterPoison } from '../shared/delivery/deliver.js';
import { QUEUES } from '../shared/storage/names.js';
import type { QueueFunction } from './types.js';

/** Messages the host gave up on (maxDequeueCount) are kept as dead letters, visible and replayable. */
export const eventsPoison: QueueFunction = {
  kind: 'queue',
  name: 'eventsPoison',
  queueName: QUEUES.eventsPoison,
  handler: (app, message) => deadLetterPoison(message, app.delivery),
};
