// Generic webhook receivers call back with our own status-sync JSON ({incidentId, action, owner?, classification?,
// classificationReason?, comment?} — statusSyncBodySchema, shared with POST /api/incidents/{destination}/status),
// signed per Standard Webhooks (standard-webhooks spec/standard-webhooks.md) with the destination's own secret:
// webhook-signature = space-separated `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`,
// webhook-timestamp within five minutes of now, webhook-id the idempotency key. The `standardwebhooks` library
// computes the signature; the five-minute window is checked here against the injected clock (the library's
// verify() reads the wall clock).
import { timingSafeEqual } from 'node:crypto';
import { webhookFor } from '../ingest/signature.js';
import { statusSyncBodySchema } from './statusBody.js';
import { type CallbackEvent, type CallbackInput, type CallbackResult, parseJson, refused, tooLarge, utf8 } from './types.js';

/** The Standard Webhooks library's tolerance, in seconds. */
export const TOLERANCE_SECONDS = 5 * 60;
/** webhook-id must not contain `.` (it delimits the signed content). */
const WEBHOOK_ID = /^[^.\s]{1,256}$/;
/** An owner that is a GUID is an Entra object id (as statusSync reads it). */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const equalText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

function signedBy(secret: string, id: string, timestamp: number, body: string, given: string[]): boolean {
  let expected: string;
  try {
    expected = webhookFor(secret).sign(id, new Date(timestamp * 1000), body);
  } catch {
    return false; // a secret the library cannot use (e.g. an empty whsec_) signs nothing
  }
  return given.some((g) => equalText(g, expected));
}

export function parseWebhookCallback(input: CallbackInput): CallbackResult {
  const big = tooLarge(input.body);
  if (big) return big;
  const id = input.headers.get('webhook-id');
  const ts = input.headers.get('webhook-timestamp');
  const signature = input.headers.get('webhook-signature');
  if (!id || !ts || !signature)
    return refused(401, 'missing webhook-id, webhook-timestamp or webhook-signature header (Standard Webhooks)');
  if (!WEBHOOK_ID.test(id)) return refused(401, 'webhook-id must be 1–256 characters without "." or spaces');
  if (!/^\d{1,12}$/.test(ts)) return refused(401, 'webhook-timestamp must be unix seconds');
  const skew = Math.abs(Math.floor(input.now.getTime() / 1000) - Number(ts));
  if (skew > TOLERANCE_SECONDS) return refused(401, `webhook-timestamp is ${skew} s away from now (at most ${TOLERANCE_SECONDS} s)`);
  if (input.secrets.length === 0) return refused(401, 'this destination has no callbackSecret');
  const body = utf8(input.body);
  if (body === undefined) return refused(400, 'body is not UTF-8 text');
  const given = signature.split(' ').filter((s) => s.startsWith('v1,'));
  if (!input.secrets.some((s) => signedBy(s, id, Number(ts), body, given)))
    return refused(401, 'webhook-signature does not match the body signed with the destination secret');

  const value = parseJson(body);
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return refused(
      400,
      'body must be a JSON object: {"incidentId", "action", "owner"?, "classification"?, "classificationReason"?, "comment"?}',
    );
  const parsed = statusSyncBodySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refused(400, `${issue?.path.map(String).join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  const b = parsed.data;
  const event: CallbackEvent = { eventId: id, action: b.action, incidentRef: { kind: 'bridgeRef', value: b.incidentId } };
  if (b.owner) event.user = GUID.test(b.owner) ? { id: b.owner } : b.owner.includes('@') ? { email: b.owner } : { name: b.owner };
  if (b.owner) event.owner = b.owner;
  if (b.comment) event.note = b.comment;
  if (b.action === 'close') {
    if (b.classification) event.classification = b.classification;
    if (b.classificationReason) event.classificationReason = b.classificationReason;
  }
  return { ok: true, events: [event] };
}
