// Read-modify-write of one Table Storage entity, safe across instances: the write is conditional on the ETag read,
// and a writer that lost the race (412, or 409 when both created it) reads again and re-applies its change.
import { isRestError } from '@azure/core-rest-pipeline';
import type { TableClient, TableEntity } from '@azure/data-tables';

type Stored<T> = T & { partitionKey: string; rowKey: string; etag?: string };

/**
 * Applies `next` to the current entity (undefined when there is none) and writes the result; lost races are retried.
 * `next` returns undefined when the entity needs no change: nothing is written.
 */
export async function mergeEntity<T extends object>(
  table: TableClient,
  partitionKey: string,
  rowKey: string,
  next: (current: Stored<T> | undefined) => T | undefined,
  abortSignal?: AbortSignal,
): Promise<void> {
  const options = abortSignal ? { abortSignal } : {};
  for (let attempt = 0; ; attempt++) {
    try {
      let current: Stored<T> | undefined;
      try {
        current = await table.getEntity<Stored<T>>(partitionKey, rowKey, options);
      } catch (e) {
        if (!(isRestError(e) && e.statusCode === 404)) throw e;
      }
      const changed = next(current);
      if (changed === undefined) return;
      const entity = { ...changed, partitionKey, rowKey } as TableEntity<T>;
      // Conditional on the ETag read (every entity read from the service has one): another writer's change is never lost.
      if (current) await table.updateEntity(entity, 'Replace', { ...options, etag: current.etag });
      else await table.createEntity(entity, options);
      return;
    } catch (e) {
      const status = isRestError(e) ? e.statusCode : undefined;
      if ((status === 412 || status === 409) && attempt < 10) continue;
      throw e;
    }
  }
}
