import { handleEvents } from '../shared/ingest/handlers.js';
import type { HttpFunction } from './types.js';

export const ingestEvents: HttpFunction = {
  kind: 'http',
  name: 'ingestEvents',
  route: 'events/{source?}',
  methods: ['POST'],
  authLevel: 'function',
  handler: (app, request) => handleEvents(request, app.ingest),
};
