// Request authentication beyond the function key: Standard Webhooks signatures for /api/events, and the retired
// HTTP Data Collector API's SharedKey scheme for /api/logs.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { HttpError } from '../http.js';
import { utf8Text } from './text.js';

/** A whsec_ secret is base64 key material (the spec); a plain shared secret is used as its UTF-8 bytes. */
export function webhookFor(secret: string): Webhook {
  return secret.startsWith('whsec_')
    ? new Webhook(secret)
    : new Webhook(new Uint8Array(Buffer.from(secret, 'utf8')) as never, { format: 'raw' });
}

/** The Standard Webhooks replay window: a webhook-timestamp further than this from now is refused. */
export const WEBHOOK_TOLERANCE_MS = 5 * 60 * 1000;

export interface WebhookHeaders {
  id: string;
  timestamp: Date;
}

/**
 * The cheap checks, before the body is read or decompressed: the three headers are there and the timestamp is
 * inside the window. Returns the id (the replay key) and the time, whose window ends WEBHOOK_TOLERANCE_MS after it.
 */
export function checkWebhookHeaders(headers: Headers, now: Date): WebhookHeaders {
  const id = headers.get('webhook-id');
  const ts = headers.get('webhook-timestamp');
  if (!id || !ts || !headers.get('webhook-signature')) {
    throw new HttpError(401, 'signature required: send webhook-id, webhook-timestamp and webhook-signature headers (Standard Webhooks)');
  }
  if (!/^\d{1,12}$/.test(ts)) throw new HttpError(401, 'signature rejected: webhook-timestamp must be unix seconds');
  const timestamp = new Date(Number(ts) * 1000);
  const skew = now.getTime() - timestamp.getTime();
  // The library's own words ("Message timestamp too old/new"), with the window named.
  if (Math.abs(skew) > WEBHOOK_TOLERANCE_MS)
    throw new HttpError(
      401,
      `signature rejected: Message timestamp too ${skew > 0 ? 'old' : 'new'} (webhook-timestamp must be within 5 minutes of now: the replay window)`,
    );
  return { id, timestamp };
}

/** Verifies webhook-id / webhook-timestamp / webhook-signature over the body (5-minute replay window). */
export function verifyStandardWebhook(secret: string, body: Buffer, headers: Headers): void {
  const h = {
    'webhook-id': headers.get('webhook-id') ?? '',
    'webhook-timestamp': headers.get('webhook-timestamp') ?? '',
    'webhook-signature': headers.get('webhook-signature') ?? '',
  };
  if (!h['webhook-id'] || !h['webhook-timestamp'] || !h['webhook-signature']) {
    throw new HttpError(401, 'signature required: send webhook-id, webhook-timestamp and webhook-signature headers (Standard Webhooks)');
  }
  // standardwebhooks signs text (its UTF-8 bytes). Only a well-formed UTF-8 body is that text byte for byte, so only
  // then is the signature checked over the bytes as received; any other body would be verified lossily.
  const payload = utf8Text(body, 'a signed body must be UTF-8 (Standard Webhooks signs the UTF-8 payload)');
  try {
    webhookFor(secret).verify(payload, h, { jsonParse: false } as never);
  } catch (e) {
    throw new HttpError(401, `signature rejected: ${(e as Error).message}`);
  }
}

/** The Data Collector API's string to sign, with the content length in UTF-8 bytes. */
export function dataCollectorStringToSign(contentLength: number, date: string, contentType = 'application/json'): string {
  return `POST\n${contentLength}\n${contentType}\nx-ms-date:${date}\n/api/logs`;
}

export function dataCollectorSignature(sharedKeyBase64: string, stringToSign: string): string {
  return createHmac('sha256', Buffer.from(sharedKeyBase64, 'base64')).update(stringToSign, 'utf8').digest('base64');
}

const equal = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** The old API refused requests whose x-ms-date was too far from its clock. */
export const DATA_COLLECTOR_CLOCK_SKEW_MS = 15 * 60 * 1000;

export interface DataCollectorAuth {
  workspaceId: string;
  sharedKey: string;
}

const forbidden = (message: string) => new HttpError(403, message, { code: 'InvalidAuthorization' });

export interface DataCollectorHeaders {
  date: string;
  /** When the request's window ends: x-ms-date + the allowed skew. */
  windowEnd: Date;
  workspaceId: string;
  signature: string;
  /** The whole Authorization value: the replay key. */
  authorization: string;
}

/** The cheap checks, before the body is read: x-ms-date present and within 15 minutes, Authorization well formed. 403 otherwise. */
export function checkDataCollectorHeaders(headers: Headers, now = Date.now()): DataCollectorHeaders {
  const date = headers.get('x-ms-date');
  if (!date) throw forbidden('x-ms-date header is required');
  const at = Date.parse(date);
  if (Number.isNaN(at)) throw forbidden('x-ms-date is not an RFC 1123 date');
  if (Math.abs(now - at) > DATA_COLLECTOR_CLOCK_SKEW_MS) throw forbidden('x-ms-date is more than 15 minutes away from the current time');
  const authorization = headers.get('authorization') ?? '';
  const m = /^SharedKey ([^:]+):(.+)$/.exec(authorization);
  if (!m) throw forbidden('Authorization must be "SharedKey <workspaceId>:<signature>"');
  const [, workspaceId = '', signature = ''] = m;
  return { date, windowEnd: new Date(at + DATA_COLLECTOR_CLOCK_SKEW_MS), workspaceId, signature, authorization };
}

/** The signature over the body's length and the date, as the retired API computed it. 403 on mismatch. */
export function verifyDataCollectorSignature(auth: DataCollectorAuth, checked: DataCollectorHeaders, body: Buffer): void {
  const expected = dataCollectorSignature(auth.sharedKey, dataCollectorStringToSign(body.length, checked.date));
  if (!equal(checked.workspaceId, auth.workspaceId) || !equal(checked.signature, expected))
    throw forbidden('signature does not match the workspace id and shared key');
}

/** Checks `Authorization: SharedKey <workspaceId>:<signature>` exactly as the retired API did. 403 on mismatch. */
export function verifyDataCollector(auth: DataCollectorAuth, body: Buffer, headers: Headers, now = Date.now()): void {
  verifyDataCollectorSignature(auth, checkDataCollectorHeaders(headers, now), body);
}
