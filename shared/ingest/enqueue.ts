// Writing packed envelopes to the events queue, and group commit: concurrent requests on one instance share
// queue messages, and each request is answered only after every message holding its events is written.
import type { ContainerClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';
import pLimit from 'p-limit';
import type { JsonRecord } from '../catalog/types.js';
import { type Envelope, GZIP_BUDGET, inlineEnvelope, messageText, newEnvelopeId, packRows } from './envelope.js';

/** Messages never expire: an accepted event waits in the queue until it is delivered or dead-lettered. */
export const NEVER_EXPIRE = -1;

export interface EnvelopeWriter {
  /** Writes rows of one stream; resolves with the number of queue messages once all are durably stored. */
  write(
    stream: string,
    rows: readonly JsonRecord[],
    options?: { visibilityTimeoutSeconds?: number; meta?: Partial<Envelope> },
  ): Promise<number>;
}

export function queueEnvelopeWriter(queue: QueueClient, claimChecks: ContainerClient): EnvelopeWriter {
  const limit = pLimit(16);
  return {
    async write(stream, rows, options = {}) {
      const groups = packRows(rows);
      await Promise.all(
        groups.map((group) =>
          limit(async () => {
            const meta = { id: newEnvelopeId(), stream, retry: 0, ...options.meta };
            let envelope: Envelope;
            if (group.gz.length <= GZIP_BUDGET) envelope = inlineEnvelope(meta, group.rows, group.gz);
            else {
              // Claim check: the rows live in a blob, the message carries its name.
              const blob = `${meta.id}.json.gz`;
              await claimChecks
                .getBlockBlobClient(blob)
                .uploadData(group.gz, { blobHTTPHeaders: { blobContentType: 'application/json', blobContentEncoding: 'gzip' } });
              envelope = { v: 1, ...meta, retry: meta.retry ?? 0, count: group.rows.length, enc: 'blob', blob };
            }
            await queue.sendMessage(messageText(envelope), {
              messageTimeToLive: NEVER_EXPIRE,
              ...(options.visibilityTimeoutSeconds ? { visibilityTimeout: options.visibilityTimeoutSeconds } : {}),
            });
          }),
        ),
      );
      return groups.length;
    },
  };
}

interface PendingStream {
  rows: JsonRecord[];
  done: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}

/** Flushes as soon as this many rows wait for one stream, without waiting for the window. */
const FLUSH_ROWS = 2000;

export class GroupCommitter {
  private readonly pending = new Map<string, PendingStream>();

  constructor(
    private readonly writer: EnvelopeWriter,
    private readonly windowMs: number,
  ) {}

  /** Resolves once every row given is in a durably written queue message. */
  submit(streams: ReadonlyMap<string, readonly JsonRecord[]>): Promise<void> {
    return Promise.all([...streams].map(([stream, rows]) => this.add(stream, rows))).then(() => undefined);
  }

  private add(stream: string, rows: readonly JsonRecord[]): Promise<void> {
    let p = this.pending.get(stream);
    if (!p) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      p = { rows: [], done, resolve, reject };
      this.pending.set(stream, p);
      setTimeout(() => this.flush(stream, p as PendingStream), this.windowMs);
    }
    p.rows.push(...rows);
    if (p.rows.length >= FLUSH_ROWS) this.flush(stream, p);
    return p.done;
  }

  private flush(stream: string, p: PendingStream): void {
    if (this.pending.get(stream) !== p) return;
    this.pending.delete(stream);
    this.writer.write(stream, p.rows).then(() => p.resolve(), p.reject);
  }
}
