// Operator routes: status, replay, "Test integration". Admin level: only the master key (_master) opens them — a host
// key or a function key given to a webhook sender does not (learn.microsoft.com/azure/azure-functions/function-keys-how-to).
import { handleReplay } from '../shared/operations/replayRoute.js';
import { handleStatus } from '../shared/operations/status.js';
import { handleTestIntegration } from '../shared/operations/testIntegration.js';
import type { HttpFunction } from './types.js';

export const status: HttpFunction = {
  kind: 'http',
  name: 'status',
  route: 'status',
  methods: ['GET'],
  authLevel: 'admin',
  handler: (app) => handleStatus(app),
};

export const replay: HttpFunction = {
  kind: 'http',
  name: 'replay',
  route: 'replay',
  methods: ['POST'],
  authLevel: 'admin',
  handler: (app, request) => handleReplay(request, app),
};

export const testIntegration: HttpFunction = {
  kind: 'http',
  name: 'testIntegration',
  route: 'test',
  methods: ['POST'],
  authLevel: 'admin',
  handler: (app) => handleTestIntegration(app.delivery, app.incidents),
};
