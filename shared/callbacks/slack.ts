// Slack interactivity (docs.slack.dev/interactivity/handling-user-interaction, …/reference/interaction-payloads/
// block_actions-payload): a button click arrives as application/x-www-form-urlencoded with one `payload` field
// holding JSON {type: "block_actions", user: {id, username, name}, actions: [{action_id, value, action_ts, …}],
// trigger_id, response_url, …}. Verified per docs.slack.dev/authentication/verifying-requests-from-slack:
// X-Slack-Signature = `v0=` + hex HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{raw body}` with the app's signing
// secret, and the timestamp within five minutes of now. Our buttons (shared/destinations/slack.ts) carry our
// action_ids and the incident reference (its ARM id) as the button value (≤ 2,000 characters). Without a bot token
// Slack gives no email, only the user's id and names. A URL button (Open in Sentinel) sends a payload too: ignored.
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import {
  ACKNOWLEDGE_ACTION_ID,
  BUTTON_VALUE_MAX,
  CLOSE_CLASSIFICATIONS,
  CLOSE_REASON,
  closeActionId,
} from '../destinations/slackActions.js';
import { secretMatches } from './secrets.js';
import {
  type CallbackEvent,
  type CallbackInput,
  type CallbackResult,
  type CallbackUser,
  ignored,
  parseJson,
  refused,
  tooLarge,
  utf8,
} from './types.js';

export const SIGNATURE_HEADER = 'x-slack-signature';
export const TIMESTAMP_HEADER = 'x-slack-request-timestamp';
/** Slack's replay window: requests whose timestamp is further from now are refused. */
export const TOLERANCE_SECONDS = 5 * 60;

const CLOSE_BY_ACTION_ID = new Map(CLOSE_CLASSIFICATIONS.map((c) => [closeActionId(c), c]));

const payloadSchema = z.object({
  type: z.string(),
  trigger_id: z.string().nullish(),
  response_url: z.string().nullish(),
  user: z.object({ id: z.string().nullish(), username: z.string().nullish(), name: z.string().nullish() }).nullish(),
  container: z.object({ message_ts: z.string().nullish() }).passthrough().nullish(),
  actions: z
    .array(
      z
        .object({
          action_id: z.string().nullish(),
          value: z.string().nullish(),
          action_ts: z.string().nullish(),
          type: z.string().nullish(),
        })
        .passthrough(),
    )
    .nullish(),
});

/** `v0=<hex>` of the documented base string. */
export function slackSignature(secret: string, timestamp: string, body: Buffer | string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`;
}

function verify(input: CallbackInput): CallbackResult | undefined {
  const signature = input.headers.get(SIGNATURE_HEADER);
  const timestamp = input.headers.get(TIMESTAMP_HEADER);
  if (!signature || !timestamp) return refused(401, 'missing X-Slack-Signature or X-Slack-Request-Timestamp header');
  if (!/^\d{1,12}$/.test(timestamp)) return refused(401, 'X-Slack-Request-Timestamp must be unix seconds');
  const skew = Math.abs(Math.floor(input.now.getTime() / 1000) - Number(timestamp));
  if (skew > TOLERANCE_SECONDS)
    return refused(401, `X-Slack-Request-Timestamp is ${skew} s away from now (at most ${TOLERANCE_SECONDS} s)`);
  if (input.secrets.length === 0) return refused(401, 'this destination has no callbackSecret (the Slack app signing secret)');
  if (!input.secrets.some((s) => secretMatches(signature, slackSignature(s, timestamp, input.body))))
    return refused(401, 'X-Slack-Signature does not match the body signed with the signing secret');
  return undefined;
}

const userOf = (u: z.infer<typeof payloadSchema>['user']): CallbackUser | undefined => {
  if (!u) return undefined;
  const user: CallbackUser = {};
  const name = u.name || u.username;
  if (name) user.name = name;
  if (u.id) user.id = u.id;
  return Object.keys(user).length ? user : undefined;
};

/** Only an https URL is handed on: the route posts to it. */
function httpsUrl(value: string | null | undefined): string | undefined {
  if (!value || !URL.canParse(value)) return undefined;
  return new URL(value).protocol === 'https:' ? value : undefined;
}

export function parseSlackCallback(input: CallbackInput): CallbackResult {
  const big = tooLarge(input.body);
  if (big) return big;
  const refusal = verify(input);
  if (refusal) return refusal;

  const form = utf8(input.body);
  const raw = form === undefined ? undefined : new URLSearchParams(form).get('payload');
  if (!raw) return refused(400, 'body must be form-encoded with a `payload` field (Slack interactivity)');
  const parsed = payloadSchema.safeParse(parseJson(raw));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refused(
      400,
      `payload is not a Slack interaction payload: ${issue?.path.join('.') || 'payload'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const p = parsed.data;
  const base = p.trigger_id || p.container?.message_ts || 'slack';
  if (p.type !== 'block_actions') return { ok: true, events: [ignored(base, `${p.type} payloads are not acted on (block_actions are)`)] };
  const user = userOf(p.user);
  const responseUrl = httpsUrl(p.response_url);
  const events = (p.actions ?? []).map((a, i): CallbackEvent => {
    const eventId = `${base}:${a.action_ts || i}`;
    const close = a.action_id ? CLOSE_BY_ACTION_ID.get(a.action_id) : undefined;
    const isAck = a.action_id === ACKNOWLEDGE_ACTION_ID;
    if (!isAck && !close)
      return ignored(eventId, `action_id ${JSON.stringify(a.action_id ?? null)} is not one of Sentinel Bridge's buttons`);
    const value = a.value?.trim();
    if (!value || value.length > BUTTON_VALUE_MAX) return ignored(eventId, 'the button carries no incident reference');
    const event: CallbackEvent = { eventId, action: isAck ? 'acknowledge' : 'close', incidentRef: { kind: 'bridgeRef', value } };
    if (close) {
      event.classification = close;
      const reason = CLOSE_REASON[close];
      if (reason) event.classificationReason = reason;
    }
    if (user) event.user = user;
    if (responseUrl) event.responseUrl = responseUrl;
    return event;
  });
  if (events.length === 0) return { ok: true, events: [ignored(base, 'the payload has no actions')] };
  return { ok: true, events };
}
