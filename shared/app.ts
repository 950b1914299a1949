// The composition root: builds every dependency of the app once from its configuration — logger, credential, storage
// clients, catalog, the reliability core, the Logs Ingestion sender, the Sentinel and Graph incident clients, the Log Analytics query runner — and hands each handler what
// it needs. The Functions entry point (functions/index.ts) makes the one app of the process; the local host, the
// bench and the tests make their own. Nothing else in shared/ keeps module-level state.
import type { Logger } from 'pino';
import { type AzureAccess, createAzureAccess } from './azure/credential.js';
import { HEALTH_TABLE } from './catalog/bridge.js';
import { buildCatalog, type Catalog } from './catalog/index.js';
import type { Config } from './config.js';
import type { DeliveryDeps } from './delivery/deliver.js';
import { LogsSender } from './delivery/sender.js';
import { createNotifier } from './destinations/notify.js';
import { sendToDestination } from './destinations/send.js';
import type { IncidentDeps } from './incidents/deps.js';
import { createGraphClient, type GraphClient } from './incidents/graphClient.js';
import { createKqlQueryRunner, type KqlQueryRunner } from './incidents/kqlQuery.js';
import { createSentinelClient, type SentinelClient } from './incidents/sentinelClient.js';
import { InflightBudget } from './ingest/budget.js';
import { GroupCommitter } from './ingest/enqueue.js';
import type { IngestDeps } from './ingest/handlers.js';
import { ReplayStore } from './ingest/replays.js';
import { createLogger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { OperationsDeps } from './operations/deps.js';
import { CostGuard, capSettings } from './reliability/costGuard.js';
import { queueEnvelopeWriter } from './reliability/envelopeWriter.js';
import { createReliability, type Reliability } from './reliability/index.js';
import { retryStep } from './reliability/retrySchedule.js';
import { createStorage, type Storage } from './storage/clients.js';
import { CONTAINERS, QUEUES, TABLES } from './storage/names.js';

export interface App extends OperationsDeps {
  config: Config;
  log: Logger;
  azure: AzureAccess;
  storage: Storage;
  catalog: Catalog;
  reliability: Reliability;
  ingest: IngestDeps;
}

/** What a test or the local host may supply instead of the real thing. */
export interface AppOverrides {
  /** The clock, in epoch milliseconds (default Date.now). */
  now?: () => number;
  log?: Logger;
  azure?: AzureAccess;
  sentinel?: SentinelClient;
  graph?: GraphClient;
  kql?: KqlQueryRunner;
  send?: typeof sendToDestination;
  /** Custom metrics (functions/telemetry.ts builds them over OpenTelemetry); none by default. */
  metrics?: Metrics;
  /** The event catalog (default: buildCatalog with WALLARM_TABLE), e.g. with the columns `npm run catalog:suggest` proposes. */
  catalog?: Catalog;
}

export function createApp(config: Config, overrides: AppOverrides = {}): App {
  const now = overrides.now ?? Date.now;
  const date = () => new Date(now());
  const log = overrides.log ?? createLogger(config.LOG_LEVEL);
  const azure = overrides.azure ?? createAzureAccess(config);
  const storage = createStorage(config.storage, azure.credential);
  const catalog = overrides.catalog ?? buildCatalog({ wallarmTable: config.WALLARM_TABLE });
  // Checked against the catalog before anything else is built: an unknown table is a ConfigError.
  const caps = capSettings(config, catalog, HEALTH_TABLE.table);
  // Locally the emulators' CA is trusted for destinations too (the sink's HTTPS); in Azure there is none.
  const extraCa = azure.tls.tlsOptions?.ca;
  const send: typeof sendToDestination =
    overrides.send ?? (extraCa ? (d, r, o) => sendToDestination(d, r, { ca: extraCa, ...o }) : sendToDestination);
  const reliability = createReliability(
    storage,
    {
      ratio: config.CIRCUIT_FAILURE_RATIO,
      minSamples: config.CIRCUIT_MIN_SAMPLES,
      windowHours: config.CIRCUIT_WINDOW_HOURS,
      // A ratio is trusted once every instance has written the counts it holds: one stats flush interval.
      confirmMs: config.STATS_FLUSH_SECONDS * 1000,
    },
    createNotifier(config, log, send),
    now,
    overrides.metrics,
  );
  const claimChecks = storage.container(CONTAINERS.claimChecks);
  const writer = queueEnvelopeWriter(storage.queue(QUEUES.events), claimChecks);
  const delivery: DeliveryDeps = {
    ...reliability,
    config,
    catalog,
    sender: new LogsSender(config, catalog, azure, reliability.originals, now),
    writer,
    claimChecks,
    log,
    costGuard: new CostGuard(storage.table(TABLES.circuit), caps, now),
  };
  const incidents: IncidentDeps = {
    config,
    ...incidentClients(config, azure, overrides),
    storage,
    reliability,
    log,
    now: date,
    send,
    retry: retryStep,
  };
  const ingest: IngestDeps = {
    config,
    catalog,
    committer: new GroupCommitter(writer, config.INGEST_GROUP_COMMIT_MS),
    groupWriter: writer,
    budget: new InflightBudget(config.INGEST_INFLIGHT_MB * 1024 * 1024),
    originals: reliability.originals,
    replays: new ReplayStore(storage.table(TABLES.replays), date),
    usage: reliability.usage,
    log,
    now: date,
  };
  return { config, log, azure, storage, catalog, reliability, ingest, delivery, incidents };
}

/** The incident APIs' clients (SecurityInsights, Graph, Log Analytics queries) over the app's one credential. */
function incidentClients(config: Config, azure: AzureAccess, overrides: AppOverrides): Pick<IncidentDeps, 'sentinel' | 'graph' | 'kql'> {
  const ca = azure.tls.tlsOptions ? { ca: azure.tls.tlsOptions.ca } : {};
  return {
    sentinel: overrides.sentinel ?? createSentinelClient(config.ARM_ENDPOINT, azure, { scope: config.cloud.resourceManagerScope }),
    graph: overrides.graph ?? createGraphClient({ endpoint: config.GRAPH_ENDPOINT, credential: azure.credential, ...ca }),
    kql: overrides.kql ?? createKqlQueryRunner({ credential: azure.credential, endpoint: config.LOG_ANALYTICS_QUERY_ENDPOINT, ...ca }),
  };
}
