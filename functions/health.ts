import { handleHealth } from '../shared/operations/health.js';
import type { HttpFunction } from './types.js';

export const health: HttpFunction = {
  kind: 'http',
  name: 'health',
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: () => handleHealth(),
};
