// GET /api/schema/drift?table=…: operator route (admin level, as /api/status) — the schema drift report and the
// catalog change that fixes it.
import { handleSchemaDrift } from '../shared/operations/status.js';
import type { HttpFunction } from './types.js';

export const schemaDrift: HttpFunction = {
  kind: 'http',
  name: 'schemaDrift',
  route: 'schema/drift',
  methods: ['GET'],
  authLevel: 'admin',
  handler: (app, request) => handleSchemaDrift(request, app),
};
