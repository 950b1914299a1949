// The requests SIGNL4, PagerDuty, Slack and a generic webhook receiver send to the bridge's callback route, built
// and signed exactly as each vendor does (see shared/callbacks/* for the contracts and their sources). For the
// e2e tests, `npm run demo` and the sink's POST /_emulator/play: incident → destination → "acknowledge" → owner +
// Active → "close" → Closed.
// Bodies follow the vendors' documented samples (test/fixtures/callbacks/*); ids are fresh unless given.
import { createHmac, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { EVENT_TYPE, SECRET_PARAMETER, STATUS_CODE } from '../../shared/callbacks/signl4.js';
import {
  ACKNOWLEDGE_ACTION_ID,
  CLOSE_CLASSIFICATIONS,
  type CloseClassification,
  closeActionId,
} from '../../shared/destinations/slackActions.js';
import { webhookFor } from '../../shared/ingest/signature.js';

export interface VendorRequest {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface PlayedCallback {
  status: number;
  /** The bridge's answer parsed as JSON (undefined when it is not JSON). */
  json: unknown;
  text: string;
}

/** Sends a built callback as the vendor would: one POST, the body byte for byte. */
export async function playCallback(req: VendorRequest, timeoutMs = 15_000): Promise<PlayedCallback> {
  const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

export interface VendorUser {
  /** SIGNL4 username, PagerDuty agent summary, Slack name. */
  name: string;
  email?: string;
  id?: string;
}

const DEFAULT_USER: VendorUser = { name: 'Rene', email: 'rene@signl4.com', id: 'f0bd5063-9588-51cf-b3d9-94e5647dedc5' };

// ---- SIGNL4 (https://www.signl4.com/outbound-webhooks/) ----

export interface Signl4CallbackOptions {
  /** The callback URL configured in SIGNL4 without the secret (the route, with ?code= for the function key). */
  url: string;
  secret: string;
  /** The X-S4-ExternalID we sent: the incident name. */
  externalId: string;
  action: 'acknowledge' | 'close' | 'note';
  user?: VendorUser;
  /** The annotation (required for note; optional text typed with an acknowledge or close). */
  note?: string;
  /** The notification's top-level id (SIGNL4 reuses one across the events of an alert). */
  id?: string;
  now?: Date;
}

export function signl4Callback(o: Signl4CallbackOptions): VendorRequest {
  const user = o.user ?? DEFAULT_USER;
  const userId = user.id ?? randomUUID();
  const url = new URL(o.url);
  url.searchParams.set(SECRET_PARAMETER, o.secret);
  // An annotation leaves the alert as it was; the sample shows an acknowledged one.
  const statusCode = o.action === 'close' ? STATUS_CODE.closed : STATUS_CODE.acknowledged;
  const body = {
    eventType: o.action === 'note' ? EVENT_TYPE.annotated : EVENT_TYPE.statusChanged,
    eventRaisedUtc: (o.now ?? new Date()).toISOString(),
    subscription: { id: '0acf8014-22f2-4503-88d7-f7d05b46744f' },
    user: { username: user.name, ...(user.email ? { mailaddress: user.email } : {}), id: userId },
    alert: {
      statusCode,
      eventId: `${Date.now()}_${randomUUID()}`,
      externalEventId: o.externalId,
      acknowledgedUserIds: o.action === 'note' ? [] : [userId],
      id: `${Date.now()}_${randomUUID()}`,
    },
    annotation: o.note === undefined ? null : { message: o.note, id: `${Date.now()}_${randomUUID()}` },
    id: o.id ?? randomUUID(),
  };
  return { method: 'POST', url: url.toString(), headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

// ---- PagerDuty Webhooks v3 (PagerDuty/developer-docs docs/webhooks/01-Overview.md, 04-Signatures.md) ----

export interface PagerDutyCallbackOptions {
  url: string;
  /** The webhook subscription's secret; several sign in turn during a rotation. */
  secrets: string | readonly string[];
  /** PagerDuty's own incident id (e.g. PGR0VU2). */
  incidentId: string;
  action: 'acknowledge' | 'close' | 'note' | 'reassign';
  agent?: VendorUser;
  /** note: the note's content. */
  note?: string;
  /** reassign: the new assignee. */
  assignee?: VendorUser;
  eventId?: string;
  now?: Date;
}

const PD_EVENT_TYPE = {
  acknowledge: 'incident.acknowledged',
  close: 'incident.resolved',
  note: 'incident.annotated',
  reassign: 'incident.reassigned',
};
const PD_STATUS = { acknowledge: 'acknowledged', close: 'resolved', note: 'acknowledged', reassign: 'triggered' };

const userReference = (u: VendorUser) => ({
  html_url: `https://acme.pagerduty.com/users/${u.id ?? 'PLH1HKV'}`,
  id: u.id ?? 'PLH1HKV',
  self: `https://api.pagerduty.com/users/${u.id ?? 'PLH1HKV'}`,
  summary: u.name,
  type: 'user_reference',
});

/** The documented signature header: `v1=<hex HMAC-SHA256 of the body>` per secret, comma-separated. */
export function pagerDutySignature(secrets: string | readonly string[], body: string): string {
  return (typeof secrets === 'string' ? [secrets] : secrets)
    .map((s) => `v1=${createHmac('sha256', s).update(body, 'utf8').digest('hex')}`)
    .join(',');
}

export function pagerDutyCallback(o: PagerDutyCallbackOptions): VendorRequest {
  const agent = o.agent ?? { name: 'Tenex Engineer', id: 'PLH1HKV' };
  const incidentRef = {
    html_url: `https://acme.pagerduty.com/incidents/${o.incidentId}`,
    id: o.incidentId,
    self: `https://api.pagerduty.com/incidents/${o.incidentId}`,
    summary: 'Sentinel incident',
    type: 'incident_reference',
  };
  const data =
    o.action === 'note'
      ? { incident: incidentRef, id: 'P2LA89X', content: o.note ?? '', trimmed: false, type: 'incident_note' }
      : {
          id: o.incidentId,
          type: 'incident',
          self: incidentRef.self,
          html_url: incidentRef.html_url,
          number: 2,
          status: PD_STATUS[o.action],
          incident_key: null,
          created_at: (o.now ?? new Date()).toISOString(),
          title: 'Sentinel incident',
          assignees: [userReference(o.assignee ?? agent)],
          urgency: 'high',
          resolve_reason: null,
        };
  const body = JSON.stringify({
    event: {
      id: o.eventId ?? randomUUID(),
      event_type: PD_EVENT_TYPE[o.action],
      resource_type: 'incident',
      occurred_at: (o.now ?? new Date()).toISOString(),
      agent: userReference(agent),
      client: { name: 'PagerDuty' },
      data,
    },
  });
  return {
    method: 'POST',
    url: o.url,
    headers: {
      'content-type': 'application/json',
      'x-pagerduty-signature': pagerDutySignature(o.secrets, body),
      'x-webhook-id': randomUUID(),
    },
    body,
  };
}

// ---- Slack interactivity (docs.slack.dev block_actions payload, verifying-requests-from-slack) ----

export interface SlackCallbackOptions {
  /** The app's Interactivity Request URL. */
  url: string;
  signingSecret: string;
  /** The button value our message carries: the incident's ARM id (or name). */
  incidentRef: string;
  action: 'acknowledge' | 'close';
  /** close: which "Close as …" button. */
  classification?: CloseClassification;
  user?: VendorUser;
  /** Where the bridge updates the message (https; locally the sink's HTTPS). Default: a hooks.slack.com one. */
  responseUrl?: string;
  now?: Date;
}

export function slackCallback(o: SlackCallbackOptions): VendorRequest {
  const user = o.user ?? { name: 'jtorrance', id: 'UA8RXUSPL' };
  const now = o.now ?? new Date();
  const seconds = Math.floor(now.getTime() / 1000);
  const actionId = o.action === 'acknowledge' ? ACKNOWLEDGE_ACTION_ID : closeActionId(o.classification ?? 'TruePositive');
  const payload = {
    type: 'block_actions',
    team: { id: 'T9TK3CUKW', domain: 'example' },
    user: { id: user.id ?? 'UA8RXUSPL', username: user.name, name: user.name, team_id: 'T9TK3CUKW' },
    api_app_id: 'AABA1ABCD',
    token: '9s8d9as89d8as9d8as989',
    container: { type: 'message', message_ts: `${seconds}.000200`, channel_id: 'CBR2V3XEX', is_ephemeral: false },
    trigger_id: `${seconds}.333649436676.${randomUUID().replace(/-/g, '')}`,
    channel: { id: 'CBR2V3XEX', name: 'review-updates' },
    response_url: o.responseUrl ?? `https://hooks.slack.com/actions/AABA1ABCD/${seconds}/${randomUUID().replace(/-/g, '')}`,
    actions: [{ action_id: actionId, block_id: 'sentinelbridge', value: o.incidentRef, type: 'button', action_ts: `${seconds}.840180` }],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const timestamp = String(seconds);
  const signature = `v0=${createHmac('sha256', o.signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return {
    method: 'POST',
    url: o.url,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signature,
    },
    body,
  };
}

// ---- Generic webhook receiver (our status-sync JSON, signed per Standard Webhooks) ----

export interface WebhookCallbackOptions {
  url: string;
  /** The destination's whsec_ secret (or a plain shared secret). */
  secret: string;
  body: {
    incidentId: string;
    action: 'acknowledge' | 'close';
    owner?: string;
    classification?: string;
    classificationReason?: string;
    comment?: string;
  };
  webhookId?: string;
  now?: Date;
}

export function webhookCallback(o: WebhookCallbackOptions): VendorRequest {
  const body = JSON.stringify(o.body);
  const id = o.webhookId ?? `msg_${randomUUID().replace(/-/g, '')}`;
  const now = o.now ?? new Date();
  const timestamp = new Date(Math.floor(now.getTime() / 1000) * 1000);
  return {
    method: 'POST',
    url: o.url,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp.getTime() / 1000),
      'webhook-signature': webhookFor(o.secret).sign(id, timestamp, body),
    },
    body,
  };
}

// ---- One callback described as JSON (the sink's POST /_emulator/play): the builder options plus `vendor`, or a replay ----

const user = z.object({ name: z.string().min(1), email: z.string().optional(), id: z.string().optional() });
const url = z.url({ protocol: /^https?$/ });
const dateish = z.coerce.date().optional();

export const callbackSpecSchema = z.discriminatedUnion('vendor', [
  z.object({
    vendor: z.literal('signl4'),
    url,
    secret: z.string().min(1),
    externalId: z.string().min(1),
    action: z.enum(['acknowledge', 'close', 'note']),
    user: user.optional(),
    note: z.string().optional(),
    id: z.string().optional(),
    now: dateish,
  }),
  z.object({
    vendor: z.literal('pagerduty'),
    url,
    secrets: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    incidentId: z.string().min(1),
    action: z.enum(['acknowledge', 'close', 'note', 'reassign']),
    agent: user.optional(),
    note: z.string().optional(),
    assignee: user.optional(),
    eventId: z.string().optional(),
    now: dateish,
  }),
  z.object({
    vendor: z.literal('slack'),
    url,
    signingSecret: z.string().min(1),
    incidentRef: z.string().min(1),
    action: z.enum(['acknowledge', 'close']),
    classification: z.enum(CLOSE_CLASSIFICATIONS).optional(),
    user: user.optional(),
    responseUrl: z.url({ protocol: /^https$/ }).optional(),
    now: dateish,
  }),
  // The same request again, byte for byte: a vendor's repeated delivery.
  z.object({
    vendor: z.literal('replay'),
    request: z.object({ method: z.literal('POST'), url, headers: z.record(z.string(), z.string()), body: z.string() }),
  }),
]);

export type CallbackSpec = z.output<typeof callbackSpecSchema>;

/** The vendor's request for a spec. */
export function vendorCallback(spec: CallbackSpec): VendorRequest {
  switch (spec.vendor) {
    case 'signl4':
      return signl4Callback(spec);
    case 'pagerduty':
      return pagerDutyCallback(spec);
    case 'slack':
      return slackCallback(spec);
    case 'replay':
      return spec.request;
  }
}
