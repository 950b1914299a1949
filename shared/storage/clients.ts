// Queue, table and blob clients from the configuration: a connection string locally (Azurite), the managed
// identity and service URIs in Azure — the same settings the Functions host reads for its own triggers.

import type { TokenCredential } from '@azure/core-auth';
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
 * Fail fast: a webhook sender waits for the 202 (Wallarm gives up after 15 s), and the queue functions are retried by
 * the host anyway. The SDK defaults (4 tries from 4 s, 30 s per try) would hold a request for minutes.
 */
const STORAGE_RETRY = { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000, tryTimeoutInMs: 10_000 };
const TABLE_RETRY = { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 2000 };

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
    table = (name) =>
      TableClient.fromConnectionString(s.connectionString, name, { allowInsecureConnection: insecure, retryOptions: TABLE_RETRY });
  } else {
    queues = new QueueServiceClient(s.queueServiceUri, credential, { retryOptions: STORAGE_RETRY });
    blobs = new BlobServiceClient(s.blobServiceUri, credential, { retryOptions: STORAGE_RETRY });
    table = (name) => new TableClient(s.tableServiceUri, name, credential, { retryOptions: TABLE_RETRY });
  }
  const queueClients = new Map<string, QueueClient>();
  const tableClients = new Map<string, TableClient>();
  return {
    queue: (name) => memo(queueClients, name, () => queues.getQueueClient(name)),
    table: (name) => memo(tableClients, name, () => table(name)),
    container: (name) => blobs.getContainerClient(name),
  };
}
