import { handleIncidentStatus } from '../shared/incidents/handlers.js';
import type { HttpFunction } from './types.js';

/** Status sync from a destination: acknowledge or close an incident delivered to it (function key + x-bridge-secret = its callbackSecret). */
export const incidentStatus: HttpFunction = {
  kind: 'http',
  name: 'incidentStatus',
  route: 'incidents/{destination}/status',
  methods: ['POST'],
  authLevel: 'function',
  handler: (app, request) => handleIncidentStatus(request, app.incidents),
};
