// The destination formats by type: what each sends and which events it takes. A destination that takes `closed`
// resolves what `created` opened (SIGNL4, PagerDuty) or is told (signed webhooks); Teams and Slack get only new
// incidents.
import type { Destination } from '../config.js';
import type { FormatContext, FormattedRequest, IncidentEvent, IncidentSummary } from './incident.js';
import * as pagerduty from './pagerduty.js';
import * as signl4 from './signl4.js';
import * as slack from './slack.js';
import * as teams from './teams.js';
import * as webhook from './webhook.js';

export type DestinationType = Destination['type'];

export interface DestinationFormatter {
  readonly type: DestinationType;
  /** The events this destination is sent. */
  readonly events: readonly IncidentEvent[];
  format(incident: IncidentSummary, event: IncidentEvent, destination: Destination, context: FormatContext): FormattedRequest;
}

const entry = (type: DestinationType, m: Omit<DestinationFormatter, 'type'>): DestinationFormatter => ({
  type,
  events: m.events,
  format: m.format,
});

const FORMATTERS: { readonly [T in DestinationType]: DestinationFormatter } = {
  signl4: entry('signl4', signl4),
  teams: entry('teams', teams),
  slack: entry('slack', slack),
  pagerduty: entry('pagerduty', pagerduty),
  webhook: entry('webhook', webhook),
};

export function formatterFor(type: DestinationType): DestinationFormatter {
  const formatter = Object.hasOwn(FORMATTERS, type) ? FORMATTERS[type] : undefined;
  if (!formatter) throw new Error(`unknown destination type "${String(type)}"`);
  return formatter;
}

/** Whether an event about an incident is sent to this destination at all. */
export function receives(destination: Pick<Destination, 'type'>, event: IncidentEvent): boolean {
  return formatterFor(destination.type).events.includes(event);
}

/**
 * The request to send to a destination for an incident event. `deliveryId` identifies this delivery across its
 * retries (the webhook's `webhook-id` and CloudEvent id); `now` is the attempt's time (signature timestamp).
 */
export function formatFor(
  destination: Destination,
  incident: IncidentSummary,
  event: IncidentEvent,
  deliveryId: string,
  now?: Date,
): FormattedRequest {
  return formatterFor(destination.type).format(incident, event, destination, now ? { deliveryId, now } : { deliveryId });
}

export type { FormatContext, FormattedRequest, IncidentEvent, IncidentSummary } from './incident.js';
export { fromArmIncident, truncateText } from './incident.js';
