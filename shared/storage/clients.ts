// Queue, table and blob clients from the configuration: a connection string locally (Azurite), the managed
// identity and service URIs in Azure — the same settings the Functions host reads for its own triggers.

import { setMaxListeners } from 'node:events';
import type { TokenCredential } from '@azure/core-auth';
import { isRestError, type PipelinePolicy } from '@azure/core-rest-pipeline';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { type QueueClient, QueueServiceClient } from '@azure/storage-queue';
import type { Config } from '../config.js';
import type { ContainerName, QueueName, TableName } from './names.js';

export interface Storage {
  queue(name: QueueName): QueueClient;
  table(name: TableName): TableClient;
  container(name: ContainerName): ContainerClient;
}

/**
 * Fail fast: a webhook sender waits for the answer (Wallarm gives up after 15 s), and the queue functions are retried
 * by the host anyway. The SDK defaults (4 tries from 4 s) would hold a request for minutes. Note that for queues and
 * blobs `tryTimeoutInMs` is only the server-side `timeout` parameter (storage-common's retry policy sets nothing on
 * the client): a storage account that accepts the connection and never answers holds the call for as long as that
 * lasts. Answer paths therefore give every call an overall deadline (`withinDeadline`, an AbortSignal the SDK honours);
 * table calls also get a client-side timeout per try (`TRY_TIMEOUT_MS`).
 */
const STORAGE_RETRY = { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000, tryTimeoutInMs: 10_000 };
const TRY_TIMEOUT_MS = 5_000;
const TABLE_RETRY = { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 2000 };

/** Aborts a table request that has no answer after TRY_TIMEOUT_MS (core-rest-pipeline's `request.timeout`). */
const tryTimeout: PipelinePolicy = {
  name: 'sentinelBridgeTryTimeout',
  sendRequest(request, next) {
    if (!request.timeout) request.timeout = TRY_TIMEOUT_MS;
    return next(request);
  },
};
const TABLE_OPTIONS = { retryOptions: TABLE_RETRY, additionalPolicies: [{ policy: tryTimeout, position: 'perRetry' as const }] };

/** Storage did not answer within an answer path's deadline. */
export class StorageDeadlineError extends Error {
  override readonly name = 'StorageDeadlineError';
  constructor(what: string, ms: number) {
    super(`storage did not answer within ${ms} ms (${what})`);
  }
}

const DEADLINE_LISTENERS = 100;

/**
 * Runs storage calls under one overall deadline: the signal given to `run` aborts them (pass it as `abortSignal`),
 * and the promise rejects with a StorageDeadlineError when the deadline passes even if a call ignores the signal.
 */
export async function withinDeadline<T>(ms: number, what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  // One deadline covers every write of a request (16 in parallel, each SDK call listening on it): not a leak.
  setMaxListeners(DEADLINE_LISTENERS, controller.signal);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new StorageDeadlineError(what, ms);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([run(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** An error that means storage is unavailable (no answer, a refused connection, a 5xx), not a bug of ours. */
export const isStorageUnavailable = (e: unknown): boolean =>
  e instanceof StorageDeadlineError ||
  (e instanceof Error && e.name === 'AbortError') ||
  (isRestError(e) && (e.statusCode === undefined || e.statusCode >= 500 || e.statusCode === 408));

function memo<V>(map: Map<string, V>, key: string, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}

/** Clients of the app's storage account; with identity-based settings, through the app's one credential. */
export function createStorage(s: Config['storage'], credential: TokenCredential): Storage {
  let queues: QueueServiceClient;
  let blobs: BlobServiceClient;
  let table: (name: string) => TableClient;
  if ('connectionString' in s) {
    queues = QueueServiceClient.fromConnectionString(s.connectionString, { retryOptions: STORAGE_RETRY });
    blobs = BlobServiceClient.fromConnectionString(s.connectionString, { retryOptions: STORAGE_RETRY });
    const insecure = /UseDevelopmentStorage=true|DefaultEndpointsProtocol=http;|=http:\/\//i.test(s.connectionString);
    table = (name) => TableClient.fromConnectionString(s.connectionString, name, { allowInsecureConnection: insecure, ...TABLE_OPTIONS });
  } else {
    queues = new QueueServiceClient(s.queueServiceUri, credential, { retryOptions: STORAGE_RETRY });
    blobs = new BlobServiceClient(s.blobServiceUri, credential, { retryOptions: STORAGE_RETRY });
    table = (name) => new TableClient(s.tableServiceUri, name, credential, TABLE_OPTIONS);
  }
  const queueClients = new Map<string, QueueClient>();
  const tableClients = new Map<string, TableClient>();
  return {
    queue: (name) => memo(queueClients, name, () => queues.getQueueClient(name)),
    table: (name) => memo(tableClients, name, () => table(name)),
    container: (name) => blobs.getContainerClient(name),
  };
}
