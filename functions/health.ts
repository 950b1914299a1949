import { handleHealth, healthChecks } from '../shared/operations/health.js';
import type { HttpFunction } from './types.js';

export const health: HttpFunction = {
  kind: 'http',
  name: 'health',
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: (app) => handleHealth(healthChecks(app.config, app.storage, app.azure.tls)),
};
