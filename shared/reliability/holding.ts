// Where work waits when it cannot be delivered now: dead letters (retries exhausted, or an answer a retry cannot
// fix) and parked work (target disabled). The rows go to a blob, a small table row lists them with the reason, in
// arrival order, so they can be shown in /api/status and replayed.
import { odata, type TableClient } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import type { JsonRecord } from '../catalog/types.js';
import { gunzipRows, gzipRows } from './envelope.js';
import { UNREADABLE_KEY } from './targets.js';

export interface HeldInfo {
  envelopeId: string;
  reason: string;
  status?: number;
  attempts?: number;
  firstFailureAt?: string;
}

export interface HeldItem extends HeldInfo {
  stream: string;
  key: string;
  count: number;
  heldAt: string;
  blob: string;
}

interface HeldEntity {
  partitionKey: string;
  rowKey: string;
  envelopeId: string;
  reason: string;
  status?: number;
  attempts?: number;
  firstFailureAt?: string;
  count: number;
  heldAt: string;
  blob: string;
}

function rawMessageText(message: unknown): string {
  if (typeof message === 'string') return message;
  if (Buffer.isBuffer(message)) return message.toString('utf8');
  return JSON.stringify(message) ?? String(message);
}

/** Sortable and unique: time, this instance's sequence (keeps order within one millisecond), then a random suffix. */
const rowKeyAt = (ms: number, seq: number) =>
  `${new Date(ms).toISOString().replace(/[:.]/g, '')}_${seq.toString(36).padStart(8, '0')}_${Math.random().toString(36).slice(2, 10)}`;
// Table keys may not contain / \ # ?; stream names never do, but keep them safe.
const safeKey = (s: string) => s.replace(/[/\\#?]/g, '_');

export class Holding {
  private seq = 0;

  constructor(
    readonly kind: 'deadletters' | 'parked',
    private readonly table: TableClient,
    private readonly container: ContainerClient,
    private readonly now: () => number,
  ) {}

  async put(stream: string, rows: readonly JsonRecord[], info: HeldInfo): Promise<void> {
    const key = rowKeyAt(this.now(), this.seq++);
    const blob = `${this.kind}/${safeKey(stream)}/${key}.json.gz`;
    await this.container.getBlockBlobClient(blob).uploadData(gzipRows(rows));
    const entity: HeldEntity = {
      partitionKey: safeKey(stream),
      rowKey: key,
      count: rows.length,
      heldAt: new Date(this.now()).toISOString(),
      blob,
      envelopeId: info.envelopeId,
      reason: info.reason.slice(0, 4000),
    };
    if (info.status !== undefined) entity.status = info.status;
    if (info.attempts !== undefined) entity.attempts = info.attempts;
    if (info.firstFailureAt) entity.firstFailureAt = info.firstFailureAt;
    await this.table.createEntity(entity);
  }

  /**
   * Keeps a queue message that cannot be read under `_unreadable` (no replay puts it back): its text as it arrived
   * (the JSON of a value the host already parsed) in the row `{message}`, with the reason.
   */
  async putUnreadable(message: unknown, reason: string): Promise<void> {
    await this.put(UNREADABLE_KEY, [{ message: rawMessageText(message) }], { envelopeId: 'unreadable', reason });
  }

  async list(stream?: string): Promise<HeldItem[]> {
    const options = stream ? { queryOptions: { filter: odata`PartitionKey eq ${safeKey(stream)}` } } : {};
    const out: HeldItem[] = [];
    for await (const e of this.table.listEntities<Partial<HeldEntity> & Pick<HeldEntity, 'partitionKey' | 'rowKey'>>(options)) {
      out.push({
        stream: e.partitionKey,
        key: e.rowKey,
        // A row written without a count (by an older version, from a message that was no row array) counts as 0.
        count: Number.isSafeInteger(e.count) ? (e.count as number) : 0,
        heldAt: e.heldAt ?? '',
        blob: e.blob ?? '',
        envelopeId: e.envelopeId ?? '',
        reason: e.reason ?? '',
        ...(e.status !== undefined ? { status: e.status } : {}),
        ...(e.attempts !== undefined ? { attempts: e.attempts } : {}),
        ...(e.firstFailureAt ? { firstFailureAt: e.firstFailureAt } : {}),
      });
    }
    return out;
  }

  async rows(item: HeldItem): Promise<JsonRecord[]> {
    return gunzipRows(await this.container.getBlockBlobClient(item.blob).downloadToBuffer());
  }

  /** Removes an item after its rows were re-enqueued. */
  async remove(item: HeldItem): Promise<void> {
    await this.table.deleteEntity(item.stream, item.key);
    await this.container.getBlockBlobClient(item.blob).deleteIfExists();
  }
}
