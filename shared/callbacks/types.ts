// What a destination's callback means, whatever the vendor: the parsers in this folder turn a vendor's own request
// into these vendor-neutral events, and the route acts on them. Pure: no I/O, no clock, no configuration.
import type { CLASSIFICATION_REASONS, CLASSIFICATIONS } from '../config.js';
import type { CallbackUser } from '../destinations/slackActions.js';

export type { CallbackUser };

/** The slice of the Fetch API's Headers the parsers read (case-insensitive names). */
export interface HeadersLike {
  get(name: string): string | null;
}

/** One callback request as the route received it. */
export interface CallbackInput {
  /** The raw body, byte for byte: signatures are computed over it. */
  body: Buffer;
  headers: HeadersLike;
  /** The request URL (SIGNL4's secret rides in its query). Never logged. */
  url: URL;
  /** The destination's callback secret(s); more than one while a secret is being rotated. */
  secrets: readonly string[];
  now: Date;
}

export type CallbackAction = 'acknowledge' | 'close' | 'note' | 'reassign' | 'ignored';

export type IncidentRefKind =
  /** SIGNL4's alert.externalEventId: the X-S4-ExternalID we sent (the incident name). */
  | 'externalId'
  /** A PagerDuty Events v2 dedup_key we sent (the incident name). */
  | 'dedupKey'
  /** PagerDuty's own incident id (Webhooks v3): map it to our dedup_key(s) with pagerdutyRest.ts. */
  | 'pagerdutyIncidentId'
  /** Our own reference: an incident name or ARM id (Slack button values, generic webhook bodies). */
  | 'bridgeRef';

export interface IncidentRef {
  kind: IncidentRefKind;
  value: string;
}

export type Classification = (typeof CLASSIFICATIONS)[number];
export type ClassificationReason = (typeof CLASSIFICATION_REASONS)[number];

export interface CallbackEvent {
  /** The vendor's id for the event, unique per event: the key for idempotency (vendors retry and may repeat). */
  eventId: string;
  action: CallbackAction;
  /** Absent only for some ignored events (those that name no incident). */
  incidentRef?: IncidentRef;
  /** Who acted. */
  user?: CallbackUser;
  /** An owner the callback names explicitly (our status JSON's `owner`): set on a close too. */
  owner?: string;
  /** reassign: the new assignee. */
  assignee?: CallbackUser;
  /** The vendor's note: an annotation, a note added with the action, or the closing comment. */
  note?: string;
  /** close: a classification the callback chose (Slack's "Close as …" buttons, a webhook body). */
  classification?: Classification;
  classificationReason?: ClassificationReason;
  /** Slack: where to send the updated message (POST, within 30 minutes, up to 5 times). */
  responseUrl?: string;
  /** ignored: why (logged; the route answers 202 "ignored"). */
  ignoredReason?: string;
}

export type CallbackResult =
  | { ok: true; events: CallbackEvent[] }
  | {
      ok: false;
      /** 401 bad/missing signature or secret, stale timestamp; 400 unparseable; 413 body over the limit. */
      status: 400 | 401 | 413;
      error: string;
    };

/** Vendors send small callbacks (PagerDuty guarantees delivery up to 55 KB); bigger bodies are refused unread. */
export const CALLBACK_BODY_MAX_BYTES = 64 * 1024;

export const refused = (status: 400 | 401 | 413, error: string): CallbackResult => ({ ok: false, status, error });

/** The size check every parser does first, before reading the body. */
export function tooLarge(body: Buffer): CallbackResult | undefined {
  return body.length > CALLBACK_BODY_MAX_BYTES
    ? refused(413, `body is ${body.length} bytes; callbacks are limited to ${CALLBACK_BODY_MAX_BYTES} bytes`)
    : undefined;
}

export const ignored = (eventId: string, ignoredReason: string, incidentRef?: IncidentRef): CallbackEvent => ({
  eventId,
  action: 'ignored',
  ignoredReason,
  ...(incidentRef ? { incidentRef } : {}),
});

/** JSON.parse that answers undefined instead of throwing. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Decodes UTF-8 strictly: a body that is not UTF-8 cannot be what the vendor signed as text. */
export function utf8(body: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return undefined;
  }
}
