// Operator routes: status, replay, "Test integration".
import { handleReplay } from '../shared/operations/replayRoute.js';
import { handleStatus } from '../shared/operations/status.js';
import { handleTestIntegration } from '../shared/operations/testIntegration.js';
import type { HttpFunction } from './types.js';

export const status: HttpFunction = {
  kind: 'http',
  name: 'status',
  route: 'status',
  methods: ['GET'],
  authLevel: 'function',
  handler: (app) => handleStatus(app),
};

export const replay: HttpFunction = {
  kind: 'http',
  name: 'replay',
  route: 'replay',
  methods: ['POST'],
  authLevel: 'function',
  handler: (app, request) => handleReplay(request, app),
};

export const testIntegration: HttpFunction = {
  kind: 'http',
  name: 'testIntegration',
  route: 'test',
  methods: ['POST'],
  authLevel: 'function',
  handler: (app) => handleTestIntegration(app.delivery, app.incidents),
};
