// Operator routes: status, replay, "Test integration".
import { deliveryDeps } from '../shared/delivery/deliver.js';
import { lastPolls } from '../shared/incidents/handlers.js';
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
  handler: () => handleStatus(deliveryDeps(), () => lastPolls()),
};

export const replay: HttpFunction = {
  kind: 'http',
  name: 'replay',
  route: 'replay',
  methods: ['POST'],
  authLevel: 'function',
  handler: (request) => handleReplay(request, deliveryDeps()),
};

export const testIntegration: HttpFunction = {
  kind: 'http',
  name: 'testIntegration',
  route: 'test',
  methods: ['POST'],
  authLevel: 'function',
  handler: () => handleTestIntegration(deliveryDeps()),
};
