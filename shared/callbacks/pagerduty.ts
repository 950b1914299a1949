// PagerDuty Webhooks v3 (PagerDuty/developer-docs docs/webhooks/01-Overview.md, 04-Signatures.md): one event per
// POST, {event: {id, event_type, resource_type, occurred_at, agent, client, data}}. We act on
//   incident.acknowledged → acknowledge, incident.resolved → close, incident.reassigned → reassign (data.assignees),
//   incident.annotated → note (data is an incident_note: the text in data.content, the incident in data.incident.id).
// For incident events data is the incident itself, so its id is data.id — PagerDuty's incident id, not our Events v2
// dedup_key (an incident made of alerts has no single key): pagerdutyRest.ts maps it.
// X-PagerDuty-Signature holds one or more comma-separated `v1=<hex HMAC-SHA256 of the raw body>` (several while a
// secret rotates); at least one must match. There is no timestamp, so replays are caught by event.id only.
// 4xx answers count towards PagerDuty disabling the subscription (02-Behavior.md), so only forgeries get one.
import { createHmac } from 'node:crypto';
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

export const SIGNATURE_HEADER = 'x-pagerduty-signature';

const reference = z.object({ id: z.string().nullish(), summary: z.string().nullish(), type: z.string().nullish() }).passthrough();
const webhookSchema = z.object({
  event: z.object({
    id: z.string().min(1),
    event_type: z.string().min(1),
    agent: reference.nullish(),
    data: z
      .object({
        id: z.string().nullish(),
        type: z.string().nullish(),
        content: z.string().nullish(),
        incident: reference.nullish(),
        assignees: z.array(reference).nullish(),
      })
      .passthrough()
      .nullish(),
  }),
});

/** The v1 signatures in the header, without their prefix. */
export function signaturesOf(header: string | null): string[] {
  return (header ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1='))
    .map((s) => s.slice(3));
}

const userOf = (ref: z.infer<typeof reference> | null | undefined): CallbackUser | undefined => {
  if (!ref) return undefined;
  const user: CallbackUser = {};
  if (ref.summary) user.name = ref.summary;
  if (ref.id) user.id = ref.id;
  return Object.keys(user).length ? user : undefined;
};

const ACTIONS = new Map<string, CallbackEvent['action']>([
  ['incident.acknowledged', 'acknowledge'],
  ['incident.resolved', 'close'],
  ['incident.annotated', 'note'],
  ['incident.reassigned', 'reassign'],
]);

export function parsePagerDutyCallback(input: CallbackInput): CallbackResult {
  const big = tooLarge(input.body);
  if (big) return big;
  const given = signaturesOf(input.headers.get(SIGNATURE_HEADER));
  if (given.length === 0) return refused(401, 'missing X-PagerDuty-Signature header (v1=<hex HMAC-SHA256 of the body>)');
  if (input.secrets.length === 0) return refused(401, 'this destination has no callbackSecret (the webhook subscription secret)');
  const expected = input.secrets.map((s) => createHmac('sha256', s).update(input.body).digest('hex'));
  if (!given.some((g) => expected.some((e) => secretMatches(g, e)))) {
    return refused(401, 'X-PagerDuty-Signature does not match the body signed with the subscription secret');
  }

  const text = utf8(input.body);
  const parsed = webhookSchema.safeParse(text === undefined ? undefined : parseJson(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refused(400, `not a PagerDuty v3 webhook: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  const { event } = parsed.data;
  const data = event.data;
  const incidentId = data?.type === 'incident' ? data.id : data?.incident?.id;
  const incidentRef = incidentId ? { kind: 'pagerdutyIncidentId' as const, value: incidentId } : undefined;
  const action = ACTIONS.get(event.event_type);
  if (!action) return { ok: true, events: [ignored(event.id, `${event.event_type} is not acted on`, incidentRef)] };
  if (!incidentRef) return { ok: true, events: [ignored(event.id, `${event.event_type} names no incident`)] };

  const out: CallbackEvent = { eventId: event.id, action, incidentRef };
  const user = userOf(event.agent);
  if (user) out.user = user;
  if (action === 'note') {
    const note = data?.content?.trim();
    if (!note) return { ok: true, events: [ignored(event.id, 'the note has no content', incidentRef)] };
    out.note = note;
  }
  if (action === 'reassign') {
    const assignee = userOf(data?.assignees?.[0]);
    if (!assignee) return { ok: true, events: [ignored(event.id, 'the reassigned incident has no assignee', incidentRef)] };
    out.assignee = assignee;
  }
  return { ok: true, events: [out] };
}
