// What the incident side needs, built once by the composition root (shared/app.ts) and passed to every step.
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { sendToDestination } from '../destinations/send.js';
import type { Reliability } from '../reliability/index.js';
import type { RetryStep } from '../reliability/retrySchedule.js';
import type { Storage } from '../storage/clients.js';
import type { GraphClient } from './graphClient.js';
import type { KqlLimits, KqlQueryRunner } from './kqlQuery.js';
import type { CircuitSeam } from './outcomes.js';
import type { SentinelClient } from './sentinelClient.js';

export interface IncidentDeps {
  config: Config;
  sentinel: SentinelClient;
  /** Microsoft Graph security incidents, for workspaces with `"api": "graph"`. */
  graph: GraphClient;
  /** Log Analytics queries, for destinations with `enrich.queries`. */
  kql: KqlQueryRunner;
  /** Limits of each enrichment query (default ENRICH_QUERY_LIMITS; the queries run at once, so its timeout caps them all). */
  kqlLimits?: KqlLimits;
  storage: Storage;
  reliability: Reliability;
  log: Logger;
  now(): Date;
  send: typeof sendToDestination;
  /** The retry schedule of a failed delivery (shared/reliability/retrySchedule.ts). */
  retry(retry: number, retryAfterMs?: number): RetryStep | undefined;
  /** Per-destination circuit (default: the shared circuit over `reliability`). */
  circuit?: CircuitSeam;
  /** Deadline of one destination call (default 15 s). */
  timeoutMs?: number;
  /** Claims and enqueues in flight per workspace (default 8). */
  concurrency?: number;
  /** $top per list request (default the API's maximum: 1000 for Sentinel, 50 for Graph). */
  pageSize?: number;
}
