// SIGNL4 outbound webhooks (https://www.signl4.com/outbound-webhooks/, https://docs.signl4.com/integrations/outbound-webhook/outbound-webhook.html):
// a JSON POST per event. eventType 201 = the alert's status changed, with alert.statusCode 2 = acknowledged and
// 4 = closed (the docs' event table says 2 for both; the samples, and SIGNL4's own Rocket.Chat script in
// signl4/docs integrations/rocketchat, use 4 for closed); 203 = annotated (annotation.message). Also 200 created,
// 202 escalated, 300–303 duty/punch events: not acted on. alert.externalEventId is the X-S4-ExternalID we sent
// (shared/destinations/signl4.ts: the incident name); the user is in user.username / user.mailaddress.
// The top-level `id` is meant for de-duplication, but the samples reuse one id for the acknowledge and the close
// events, so an event's id is `id:eventType:statusCode` (plus the annotation id for 203).
// SIGNL4 neither signs its webhooks nor lets the sender set a header, so the destination's callbackSecret rides in
// the callback URL as `?secret=…` (over HTTPS), compared in constant time. The URL must never be logged.
import { z } from 'zod';
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

/** The query parameter of the callback URL that carries the secret. */
export const SECRET_PARAMETER = 'secret';

export const EVENT_TYPE = { created: 200, statusChanged: 201, escalated: 202, annotated: 203 } as const;
export const STATUS_CODE = { acknowledged: 2, closed: 4 } as const;

const text = z.string().nullish();
const notificationSchema = z.object({
  id: z.string().min(1),
  eventType: z.number().int(),
  user: z.object({ username: text, displayname: text, mailaddress: text, id: text }).nullish(),
  alert: z
    .object({
      statusCode: z.number().int().nullish(),
      externalEventId: text,
      id: text,
    })
    .nullish(),
  annotation: z.object({ message: text, id: text }).nullish(),
});

type Notification = z.infer<typeof notificationSchema>;

function userOf(n: Notification): CallbackUser | undefined {
  const u = n.user;
  if (!u) return undefined;
  const user: CallbackUser = {};
  const name = u.username || u.displayname;
  if (name) user.name = name;
  if (u.mailaddress) user.email = u.mailaddress;
  if (u.id) user.id = u.id;
  return Object.keys(user).length ? user : undefined;
}

export function parseSignl4Callback(input: CallbackInput): CallbackResult {
  const big = tooLarge(input.body);
  if (big) return big;
  const given = input.url.searchParams.get(SECRET_PARAMETER);
  if (!given)
    return refused(401, `missing secret: SIGNL4 callbacks carry the destination's callbackSecret as ?${SECRET_PARAMETER}= in the URL`);
  if (input.secrets.length === 0) return refused(401, 'this destination has no callbackSecret');
  if (!input.secrets.some((s) => secretMatches(given, s))) return refused(401, `wrong secret in the ?${SECRET_PARAMETER}= parameter`);

  const textBody = utf8(input.body);
  const value = textBody === undefined ? undefined : parseJson(textBody);
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return refused(400, 'body must be a SIGNL4 outbound webhook JSON object');
  const parsed = notificationSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refused(400, `not a SIGNL4 outbound webhook: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  const n = parsed.data;
  const status = n.alert?.statusCode ?? undefined;
  const eventId = [n.id, n.eventType, status ?? '', n.eventType === EVENT_TYPE.annotated ? (n.annotation?.id ?? '') : '']
    .join(':')
    .replace(/:+$/, '');
  const externalId = n.alert?.externalEventId;
  const incidentRef = externalId ? { kind: 'externalId' as const, value: externalId } : undefined;

  let action: CallbackEvent['action'] | undefined;
  if (n.eventType === EVENT_TYPE.statusChanged && status === STATUS_CODE.acknowledged) action = 'acknowledge';
  else if (n.eventType === EVENT_TYPE.statusChanged && status === STATUS_CODE.closed) action = 'close';
  else if (n.eventType === EVENT_TYPE.annotated) action = 'note';
  if (!action) {
    const what =
      n.eventType === EVENT_TYPE.statusChanged ? `eventType 201 with alert.statusCode ${status ?? 'missing'}` : `eventType ${n.eventType}`;
    return { ok: true, events: [ignored(eventId, `${what} is not acted on (201 with statusCode 2 or 4, and 203 are)`, incidentRef)] };
  }
  if (!incidentRef) {
    return { ok: true, events: [ignored(eventId, 'the alert has no externalEventId, so it was not raised by Sentinel Bridge')] };
  }
  const note = n.annotation?.message?.trim();
  if (action === 'note' && !note) return { ok: true, events: [ignored(eventId, 'the annotation has no message', incidentRef)] };
  const event: CallbackEvent = { eventId, action, incidentRef };
  const user = userOf(n);
  if (user) event.user = user;
  if (note) event.note = note;
  return { ok: true, events: [event] };
}
