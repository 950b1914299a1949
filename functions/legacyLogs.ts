import { handleLegacyLogs } from '../shared/ingest/handlers.js';
import type { HttpFunction } from './types.js';

/** The retired HTTP Data Collector API's path: the SharedKey signature is the authentication. */
export const legacyLogs: HttpFunction = {
  kind: 'http',
  name: 'legacyLogs',
  route: 'logs',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: (app, request) => handleLegacyLogs(request, app.ingest),
};
