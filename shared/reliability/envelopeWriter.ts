// Writing packed envelopes to the events queue: inline when the gzipped rows fit a queue message, else as a claim
// check (the rows in a blob, its name in the message). Ingest, delivery retries, replay and the health record all
// write through here.
import type { ContainerClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';
import pLimit from 'p-limit';
import type { JsonRecord } from '../catalog/types.js';
import { type Envelope, GZIP_BUDGET, type GzGroup, gzipEnvelope, messageText, newEnvelopeId, packRows } from './envelope.js';

/** Messages never expire: an accepted event waits in the queue until it is delivered or dead-lettered. */
export const NEVER_EXPIRE = -1;

export interface WriteOptions {
  visibilityTimeoutSeconds?: number;
  meta?: Partial<Envelope>;
  abortSignal?: AbortSignal;
}

export interface EnvelopeWriter {
  /** Writes rows of one stream; resolves with the number of queue messages once all are durably stored. */
  write(stream: string, rows: readonly JsonRecord[], options?: WriteOptions): Promise<number>;
}

/** Writes groups packed beforehand (packJson), one message each: a large request packs as it reads its body. */
export interface GroupWriter {
  writeGroups(stream: string, groups: readonly Pick<GzGroup, 'count' | 'gz'>[], options?: WriteOptions): Promise<number>;
}

export function queueEnvelopeWriter(queue: QueueClient, claimChecks: ContainerClient): EnvelopeWriter & GroupWriter {
  const limit = pLimit(16);
  const writeGroups: GroupWriter['writeGroups'] = async (stream, groups, options = {}) => {
    await Promise.all(
      groups.map((group) =>
        limit(async () => {
          options.abortSignal?.throwIfAborted();
          const meta = { id: newEnvelopeId(), stream, retry: 0, ...options.meta };
          let envelope: Envelope;
          if (group.gz.length <= GZIP_BUDGET) envelope = gzipEnvelope(meta, group.count, group.gz);
          else {
            // Claim check: the rows live in a blob, the message carries its name.
            const blob = `${meta.id}.json.gz`;
            await claimChecks.getBlockBlobClient(blob).uploadData(group.gz, {
              blobHTTPHeaders: { blobContentType: 'application/json', blobContentEncoding: 'gzip' },
              abortSignal: options.abortSignal,
            });
            envelope = { v: 1, ...meta, retry: meta.retry ?? 0, count: group.count, enc: 'blob', blob };
          }
          await queue.sendMessage(messageText(envelope), {
            messageTimeToLive: NEVER_EXPIRE,
            abortSignal: options.abortSignal,
            ...(options.visibilityTimeoutSeconds ? { visibilityTimeout: options.visibilityTimeoutSeconds } : {}),
          });
        }),
      ),
    );
    return groups.length;
  };
  return {
    write: (stream, rows, options) =>
      writeGroups(
        stream,
        packRows(rows).map((g) => ({ count: g.rows.length, gz: g.gz })),
        options,
      ),
    writeGroups,
  };
}
