// Every function of the app, for the Functions host (index.ts) and the local host (tools/dev).
import { deliverEvents } from './deliverEvents.js';
import { eventsPoison } from './eventsPoison.js';
import { forwardIncident } from './forwardIncident.js';
import { health } from './health.js';
import { hourlyMaintenance } from './hourlyMaintenance.js';
import { incidentCallback } from './incidentCallback.js';
import { incidentStatus } from './incidentStatus.js';
import { incidentsPoison } from './incidentsPoison.js';
import { ingestEvents } from './ingestEvents.js';
import { legacyLogs } from './legacyLogs.js';
import { replay, status, testIntegration } from './operations.js';
import { pollIncidents } from './pollIncidents.js';
import { schemaDrift } from './schemaDrift.js';
import type { FunctionDefinition } from './types.js';

export const functions: readonly FunctionDefinition[] = [
  // In: events
  ingestEvents,
  legacyLogs,
  deliverEvents,
  eventsPoison,
  // Out: incidents
  pollIncidents,
  forwardIncident,
  incidentsPoison,
  incidentStatus,
  incidentCallback,
  // Operations
  health,
  status,
  schemaDrift,
  replay,
  testIntegration,
  hourlyMaintenance,
];
