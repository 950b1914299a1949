// Generic webhook: one CloudEvents 1.0 event in structured mode (JSON event format, media type
// application/cloudevents+json — cloudevents/spec formats/json-format.md §3), signed per Standard Webhooks
// (standard-webhooks spec/standard-webhooks.md): webhook-id is the delivery id, the same on every retry of one
// delivery so receivers can de-duplicate; webhook-timestamp is the attempt's time in unix seconds;
// webhook-signature is `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` made with the destination's whsec_ secret.
// No secret → no signature headers. The CloudEvent id is the delivery id too (source + id unique per event).
import { CloudEvent, HTTP } from 'cloudevents';
import { Webhook } from 'standardwebhooks';
import type { Destination } from '../config.js';
import {
  enrichmentFor,
  type FormatContext,
  type FormattedRequest,
  type IncidentEvent,
  type IncidentSummary,
  truncateText,
} from './incident.js';

export const events: readonly IncidentEvent[] = ['created', 'closed'];

export const CONTENT_TYPE = 'application/cloudevents+json';
export const TITLE_MAX = 1024;
export const DESCRIPTION_MAX = 16_000;
/** Delivery ids become webhook-id, which must not contain `.` (it delimits the signed content). */
const DELIVERY_ID = /^[A-Za-z0-9_:-]{1,256}$/;

export function eventType(event: IncidentEvent): string {
  return `sentinelbridge.incident.${event}`;
}

export function format(
  incident: IncidentSummary,
  event: IncidentEvent,
  destination: Destination,
  context: FormatContext,
): FormattedRequest {
  const { deliveryId } = context;
  if (!DELIVERY_ID.test(deliveryId)) {
    throw new TypeError(
      `delivery id must be 1–256 characters of letters, digits, _, : and - (got ${JSON.stringify(deliveryId.slice(0, 80))})`,
    );
  }
  const now = context.now ?? new Date();
  const { enrichment: _all, ...fields } = incident;
  const enrichment = enrichmentFor(incident, destination);
  const data: Omit<IncidentSummary, 'enrichment'> & { enrichment?: IncidentSummary['enrichment'] } = {
    ...fields,
    title: truncateText(incident.title, TITLE_MAX),
    description: truncateText(incident.description, DESCRIPTION_MAX),
    ...(enrichment ? { enrichment } : {}),
  };
  // When it happened: creation for `created`; the last change (the closing) for `closed`.
  const occurred = event === 'created' ? incident.createdTimeUtc : (incident.lastModifiedTimeUtc ?? now.toISOString());

  const cloudEvent = new CloudEvent({
    specversion: '1.0',
    id: deliveryId,
    type: eventType(event),
    source: incident.workspaceId,
    subject: incident.name,
    time: occurred,
    datacontenttype: 'application/json',
    data,
  });
  const body = HTTP.structured(cloudEvent).body as string;
  const headers: Record<string, string> = { 'content-type': CONTENT_TYPE };
  if (destination.secret) {
    headers['webhook-id'] = deliveryId;
    headers['webhook-timestamp'] = String(Math.floor(now.getTime() / 1000));
    headers['webhook-signature'] = new Webhook(destination.secret).sign(deliveryId, now, body);
  }
  return { body, headers };
}
