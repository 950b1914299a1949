// Every function of the app, for the Functions host (index.ts) and the local host (tools/dev).
import { health } from './health.js';
import { ingestEvents } from './ingestEvents.js';
import { legacyLogs } from './legacyLogs.js';
import type { FunctionDefinition } from './types.js';

export const functions: readonly FunctionDefinition[] = [ingestEvents, legacyLogs, health];
