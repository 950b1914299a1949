// Creates every queue, table and container the app uses — what the Bicep does in Azure — for the local stack and tests.
import type { Storage } from '../../shared/storage/clients.js';
import { CONTAINERS, QUEUES, TABLES } from '../../shared/storage/names.js';

export async function ensureStorage(storage: Storage): Promise<void> {
  await Promise.all([
    ...Object.values(QUEUES).map((q) => storage.queue(q).createIfNotExists()),
    ...Object.values(TABLES).map((t) => storage.table(t).createTable()),
    ...Object.values(CONTAINERS).map((c) => storage.container(c).createIfNotExists()),
  ]);
}
