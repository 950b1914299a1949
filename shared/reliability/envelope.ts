// Queue message format (versioned). One message carries many rows of one stream, gzip-compressed, so a POST of
// 1,000 small events becomes a handful of messages. A row set too large for one message is stored in a blob and the
// message carries its name (claim check). host.json sets messageEncoding "none": the message text is this JSON.
import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ContainerClient } from '@azure/storage-blob';
import { z } from 'zod';
import type { JsonRecord } from '../catalog/types.js';

/** Azure Queue Storage message limit: 64 KiB of message text. */
export const QUEUE_MESSAGE_LIMIT = 64 * 1024;

const base = {
  v: z.literal(1),
  /** Stable id of the original packed batch; the ledger and logs key on it. */
  id: z.string().min(1),
  stream: z.string().regex(/^Custom-[A-Za-z][A-Za-z0-9_]*$/),
  count: z.number().int().positive(),
  /** Retries already made (0 for a fresh envelope). */
  retry: z.number().int().min(0).default(0),
  /** Set when delivery re-enqueues: first failure time (ISO), for the ledger. */
  firstFailureAt: z.string().optional(),
};

export const envelopeSchema = z.discriminatedUnion('enc', [
  z.object({ ...base, enc: z.literal('gzip'), data: z.string().min(1) }),
  z.object({ ...base, enc: z.literal('blob'), blob: z.string().min(1) }),
]);

export type Envelope = z.output<typeof envelopeSchema>;
export type EnvelopeMeta = Pick<Envelope, 'id' | 'stream' | 'retry' | 'firstFailureAt'>;

export const gzipRows = (rows: readonly JsonRecord[]): Buffer => gzipSync(JSON.stringify(rows));
export const gunzipRows = (data: Buffer): JsonRecord[] => JSON.parse(gunzipSync(data).toString('utf8')) as JsonRecord[];

export function inlineEnvelope(meta: EnvelopeMeta, rows: readonly JsonRecord[], gz = gzipRows(rows)): Envelope {
  return { v: 1, ...meta, count: rows.length, enc: 'gzip', data: gz.toString('base64') };
}

export const messageText = (envelope: Envelope): string => JSON.stringify(envelope);

/** Size of the message text the queue will count. */
export const messageBytes = (envelope: Envelope): number => Buffer.byteLength(messageText(envelope), 'utf8');

/** Bytes of gzip data that fit in one message next to the envelope's own fields (base64 grows it by 4/3). */
export const GZIP_BUDGET = Math.floor(((QUEUE_MESSAGE_LIMIT - 512) * 3) / 4);

export function newEnvelopeId(): string {
  return randomUUID();
}

/** Parses a queue message (text, or the object the Functions host already parsed) into an envelope. */
export function parseEnvelope(message: unknown): Envelope {
  const value = typeof message === 'string' ? (JSON.parse(message) as unknown) : message;
  return envelopeSchema.parse(value);
}

/** The rows an envelope carries, fetching the claim-checked blob when there is one. */
export async function rowsOf(envelope: Envelope, claimChecks: ContainerClient): Promise<JsonRecord[]> {
  if (envelope.enc === 'gzip') return gunzipRows(Buffer.from(envelope.data, 'base64'));
  return gunzipRows(await claimChecks.getBlockBlobClient(envelope.blob).downloadToBuffer());
}

export interface PackedGroup {
  rows: JsonRecord[];
  gz: Buffer;
}

/** Raw JSON sampled to estimate the compression ratio of a large batch. */
const SAMPLE_BYTES = 256 * 1024;

const gzipJoined = (json: readonly string[]) => gzipSync(`[${json.join(',')}]`);

/**
 * Splits rows into groups whose gzip fits in one queue message. Each row is serialized once; a batch that may fit
 * whole is compressed whole, a larger one is cut by the compression ratio of a sample, and any group that still does
 * not fit is halved. A single row that cannot fit on its own comes back alone with `gz` over the budget: the caller
 * claim-checks it.
 */
export function packRows(rows: readonly JsonRecord[], budget = GZIP_BUDGET): PackedGroup[] {
  if (rows.length === 0) return [];
  const json = rows.map((r) => JSON.stringify(r));
  const sizes = json.map((j) => Buffer.byteLength(j) + 1);
  const rawTotal = sizes.reduce((a, b) => a + b, 0);
  let ratio: number;
  if (rawTotal <= SAMPLE_BYTES) {
    const whole = gzipJoined(json);
    if (whole.length <= budget) return [{ rows: [...rows], gz: whole }];
    ratio = whole.length / rawTotal;
  } else {
    let n = 0;
    let sampled = 0;
    while (n < json.length && sampled < SAMPLE_BYTES) sampled += sizes[n++] ?? 0;
    ratio = gzipJoined(json.slice(0, n)).length / sampled;
  }
  // Aim a little under the budget so most groups fit first time.
  const rawTarget = Math.max(1, Math.floor((budget / ratio) * 0.9));
  const out: PackedGroup[] = [];
  const emit = (from: number, to: number) => {
    const gz = gzipJoined(json.slice(from, to));
    if (gz.length <= budget || to - from === 1) out.push({ rows: rows.slice(from, to), gz });
    else {
      const mid = from + Math.ceil((to - from) / 2);
      emit(from, mid);
      emit(mid, to);
    }
  };
  let start = 0;
  let currentRaw = 0;
  sizes.forEach((size, i) => {
    if (i > start && currentRaw + size > rawTarget) {
      emit(start, i);
      start = i;
      currentRaw = 0;
    }
    currentRaw += size;
  });
  emit(start, rows.length);
  return out;
}
