import { deliverEnvelope } from '../shared/delivery/deliver.js';
import { QUEUES } from '../shared/storage/names.js';
import type { QueueFunction } from './types.js';

export const deliverEvents: QueueFunction = {
  kind: 'queue',
  name: 'deliverEvents',
  queueName: QUEUES.events,
  handler: (app, message) => deliverEnvelope(message, app.delivery),
};
