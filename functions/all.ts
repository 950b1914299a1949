// Every function of the app, for the Functions host (index.ts) and the local host (tools/dev).
import { deliverEvents } from './deliverEvents.js';
import { eventsPoison } from './eventsPoison.js';
import { health } from './health.js';
import { hourlyMaintenance } from './hourlyMaintenance.js';
import { ingestEvents } from './ingestEvents.js';
import { legacyLogs } from './legacyLogs.js';
import { replay, status, testIntegration } from './operations.js';
import type { FunctionDefinition } from './types.js';

export const functions: readonly FunctionDefinition[] = [
  ingestEvents,
  legacyLogs,
  health,
  status,
  replay,
  testIntegration,
  deliverEvents,
  eventsPoison,
  hourlyMaintenance,
];
