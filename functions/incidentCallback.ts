import { handleIncidentCallback } from '../shared/incidents/callbacks.js';
import type { HttpFunction } from './types.js';

/** A destination's own callback (SIGNL4, PagerDuty v3, Slack, Standard Webhooks): its function key + its callbackSecret. */
export const incidentCallback: HttpFunction = {
  kind: 'http',
  name: 'incidentCallback',
  route: 'incidents/{destination}/callback',
  methods: ['POST'],
  authLevel: 'function',
  handler: (app, request) =>
    handleIncidentCallback(request, { ...app.incidents, ...(app.azure.tls.tlsOptions ? { tlsOptions: app.azure.tls.tlsOptions } : {}) }),
};
