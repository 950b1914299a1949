// Queue message format (versioned). One message carries many rows of one stream, gzip-compressed, so a POST of
// 1,000 small events becomes a handful of messages. A row set too large for one message is stored in a blob and the
// message carries its name (claim check). host.json sets messageEncoding "none": the message text is this JSON.
import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { isRestError } from '@azure/core-rest-pipeline';
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

/** A queue message, claim check or held blob that is not what the bridge writes: it is kept, never retried. */
export class UnreadableMessageError extends Error {
  override readonly name = 'UnreadableMessageError';
}

/**
 * The most JSON one envelope's rows may inflate to. Far above anything ingest writes (one request is at most
 * INGEST_MAX_BODY_BYTES ≤ 100 MB and every field is cut to 64 KB), and below V8's largest string (~512 MiB): a
 * message inflating further is not ours (a gzip bomb) and is refused before it takes the instance's memory.
 */
export const MAX_ROWS_JSON_BYTES = 256 * 1024 * 1024;

const rowsSchema = z.array(z.record(z.string(), z.unknown()));

const issuesOf = (e: z.ZodError) => e.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

export const gzipRows = (rows: readonly JsonRecord[]): Buffer => gzipSync(JSON.stringify(rows));

/** The rows of gzip data: a JSON array of objects, inflated to at most `maxBytes`; else UnreadableMessageError. */
export function gunzipRows(data: Buffer, maxBytes = MAX_ROWS_JSON_BYTES): JsonRecord[] {
  let json: string;
  try {
    json = gunzipSync(data, { maxOutputLength: maxBytes }).toString('utf8');
  } catch (e) {
    const tooLarge = (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    throw new UnreadableMessageError(
      tooLarge ? `rows inflate to more than ${maxBytes} bytes` : `rows are not gzip: ${(e as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new UnreadableMessageError(`rows are not JSON: ${(e as Error).message}`);
  }
  const rows = rowsSchema.safeParse(value);
  if (!rows.success) throw new UnreadableMessageError(`rows are not an array of objects: ${issuesOf(rows.error)}`);
  return rows.data as JsonRecord[];
}

/** The envelope carrying `count` rows inline as their gzip data. */
export const gzipEnvelope = (meta: EnvelopeMeta, count: number, gz: Buffer): Envelope => ({
  v: 1,
  ...meta,
  count,
  enc: 'gzip',
  data: gz.toString('base64'),
});

export const messageText = (envelope: Envelope): string => JSON.stringify(envelope);

/** Bytes of gzip data that fit in one message next to the envelope's own fields (base64 grows it by 4/3). */
export const GZIP_BUDGET = Math.floor(((QUEUE_MESSAGE_LIMIT - 512) * 3) / 4);

export function newEnvelopeId(): string {
  return randomUUID();
}

/**
 * Parses a queue message (text, or the value the Functions host already parsed from JSON text) into an envelope;
 * anything else (not JSON, `null`, a number, an object of the wrong shape) is an UnreadableMessageError.
 */
export function parseEnvelope(message: unknown): Envelope {
  let value = Buffer.isBuffer(message) ? message.toString('utf8') : message;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch (e) {
      throw new UnreadableMessageError(`not JSON: ${(e as Error).message}`);
    }
  }
  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success) throw new UnreadableMessageError(`not a bridge envelope: ${issuesOf(envelope.error)}`);
  return envelope.data;
}

/** The rows an envelope carries, fetching the claim-checked blob when there is one. */
export async function rowsOf(envelope: Envelope, claimChecks: ContainerClient): Promise<JsonRecord[]> {
  if (envelope.enc === 'gzip') return gunzipRows(Buffer.from(envelope.data, 'base64'));
  let data: Buffer;
  try {
    data = await claimChecks.getBlockBlobClient(envelope.blob).downloadToBuffer();
  } catch (e) {
    // A missing blob never comes back; any other failure (no status: the network) is thrown for a retry.
    if (isRestError(e) && e.statusCode === 404) throw new UnreadableMessageError(`claim-check blob ${envelope.blob} does not exist`);
    throw e;
  }
  return gunzipRows(data);
}

export interface PackedGroup {
  rows: JsonRecord[];
  gz: Buffer;
}

/** Serialized rows `from`…`from + count` of a packed list, gzip-compressed as one JSON array. */
export interface GzGroup {
  from: number;
  count: number;
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
  return packJson(
    rows.map((r) => JSON.stringify(r)),
    budget,
  ).map((g) => ({ rows: rows.slice(g.from, g.from + g.count), gz: g.gz }));
}

/** packRows for rows already serialized (each row's JSON text). */
export function packJson(json: readonly string[], budget = GZIP_BUDGET): GzGroup[] {
  if (json.length === 0) return [];
  const sizes = json.map((j) => Buffer.byteLength(j) + 1);
  const rawTotal = sizes.reduce((a, b) => a + b, 0);
  let ratio: number;
  if (rawTotal <= SAMPLE_BYTES) {
    const whole = gzipJoined(json);
    if (whole.length <= budget) return [{ from: 0, count: json.length, gz: whole }];
    ratio = whole.length / rawTotal;
  } else {
    let n = 0;
    let sampled = 0;
    while (n < json.length && sampled < SAMPLE_BYTES) sampled += sizes[n++] ?? 0;
    ratio = gzipJoined(json.slice(0, n)).length / sampled;
  }
  // Aim a little under the budget so most groups fit first time.
  const rawTarget = Math.max(1, Math.floor((budget / ratio) * 0.9));
  const out: GzGroup[] = [];
  const emit = (from: number, to: number) => {
    const gz = gzipJoined(json.slice(from, to));
    if (gz.length <= budget || to - from === 1) out.push({ from, count: to - from, gz });
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
  emit(start, json.length);
  return out;
}
