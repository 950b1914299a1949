// Replay store (issue 10 §5): a signed ingest request is accepted once inside its replay window. One row per signed
// request in the `replays` table, inserted if absent: Table Storage refuses a second insert of the same key (409)
// whichever instance makes it, so the rule holds across every instance of the app. Cost: one table transaction per
// signed request (two when it fails and the row is given back), plus the hourly sweep of expired rows.
//   PartitionKey `{kind}-{first two hex digits of the key hash}` (spread over 256 partitions)
//   RowKey       sha256 of the key (the webhook-id, or the whole Authorization value) — never the value itself
//   expiresAt    end of the window: after it the timestamp check refuses the request anyway, and the sweep deletes it
import { createHash } from 'node:crypto';
import { odata, type TableClient, type TableTransaction } from '@azure/data-tables';

export type ReplayKind = 'webhook' | 'sharedkey';

interface ReplayRow {
  expiresAt: string;
  /** The batch the first request became (the answer to a repeat names it). */
  batchId?: string;
}

export type Remembered = { first: true } | { first: false; batchId?: string };

const statusOf = (e: unknown) => (e as { statusCode?: number })?.statusCode;

function keysOf(kind: ReplayKind, value: string) {
  const rowKey = createHash('sha256').update(value, 'utf8').digest('hex');
  return { partitionKey: `${kind}-${rowKey.slice(0, 2)}`, rowKey };
}

export class ReplayStore {
  constructor(
    private readonly table: TableClient,
    private readonly now: () => Date,
  ) {}

  /** Records the request; `first: false` when it was recorded before and its window has not ended. */
  async remember(kind: ReplayKind, value: string, expiresAt: Date, batchId?: string): Promise<Remembered> {
    const keys = keysOf(kind, value);
    const row: ReplayRow = { expiresAt: expiresAt.toISOString(), ...(batchId ? { batchId } : {}) };
    try {
      await this.table.createEntity({ ...keys, ...row });
      return { first: true };
    } catch (e) {
      if (statusOf(e) !== 409) throw e;
    }
    const seen = await this.table.getEntity<ReplayRow>(keys.partitionKey, keys.rowKey);
    if (Date.parse(seen.expiresAt) > this.now().getTime()) return { first: false, ...(seen.batchId ? { batchId: seen.batchId } : {}) };
    // An expired row the sweep has not reached yet: this is a new window; take it over (of two racing, one wins).
    try {
      await this.table.updateEntity({ ...keys, ...row }, 'Replace', { etag: seen.etag });
      return { first: true };
    } catch (e) {
      if (statusOf(e) === 412) return { first: false };
      throw e;
    }
  }

  /** Gives the key back after the request failed (a 503 the sender retries): the retry is not a replay. */
  async forget(kind: ReplayKind, value: string): Promise<void> {
    const keys = keysOf(kind, value);
    await this.table.deleteEntity(keys.partitionKey, keys.rowKey).catch((e: unknown) => {
      if (statusOf(e) !== 404) throw e;
    });
  }

  /** Deletes expired rows (hourly), in batches of one partition; returns how many. */
  async sweep(): Promise<number> {
    const filter = odata`expiresAt lt ${this.now().toISOString()}`;
    const byPartition = new Map<string, string[]>();
    for await (const row of this.table.listEntities({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } })) {
      if (!row.partitionKey || !row.rowKey) continue;
      const list = byPartition.get(row.partitionKey) ?? [];
      list.push(row.rowKey);
      byPartition.set(row.partitionKey, list);
    }
    let deleted = 0;
    for (const [partitionKey, rowKeys] of byPartition) {
      // A table transaction holds at most 100 operations, all in one partition.
      for (let i = 0; i < rowKeys.length; i += 100) {
        const batch = rowKeys.slice(i, i + 100);
        await this.table.submitTransaction(
          batch.map((rowKey): TableTransaction['actions'][number] => ['delete', { partitionKey, rowKey }]),
        );
        deleted += batch.length;
      }
    }
    return deleted;
  }
}
