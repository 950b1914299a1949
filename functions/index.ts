// Entry point for the Azure Functions host: registers every definition with @azure/functions.
import { app } from '@azure/functions';
import { config } from '../shared/config.js';
import { functions } from './all.js';

// Fail fast: a bad setting stops the app at start-up with a message naming it, not at the first request.
config();

for (const f of functions) {
  switch (f.kind) {
    case 'http':
      app.http(f.name, { route: f.route, methods: f.methods, authLevel: f.authLevel, handler: f.handler });
      break;
    case 'queue':
      app.storageQueue(f.name, { queueName: f.queueName, connection: 'AzureWebJobsStorage', handler: f.handler });
      break;
    case 'timer':
      app.timer(f.name, { schedule: f.schedule, handler: f.handler });
      break;
  }
}
