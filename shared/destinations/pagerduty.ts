// PagerDuty Events API v2 (POST https://events.pagerduty.com/v2/enqueue), alert events as documented in
// https://github.com/PagerDuty/developer-docs/blob/main/docs/events-API-v2/02-Trigger-Events.md: routing_key,
// event_action trigger|resolve, dedup_key (≤ 255 chars; the incident name) correlates the resolve with the trigger,
// payload.summary ≤ 1024 chars, payload.source/severity required, links[] for the portal. Payloads are limited to
// 512 KB and a 202 means accepted (01-Overview.md).
import type { Destination } from '../config.js';
import {
  enrichmentFor,
  type FormattedRequest,
  type IncidentEvent,
  type IncidentSeverity,
  type IncidentSummary,
  jsonRequest,
  truncateText,
  workspaceNameOf,
} from './incident.js';

export const events: readonly IncidentEvent[] = ['created', 'closed'];

export const SUMMARY_MAX = 1024;
export const DESCRIPTION_MAX = 16_000;
/** Events API payloads are limited to 512 KB; stay under it with room for headers. */
export const BODY_MAX_BYTES = 500_000;

export const SEVERITY: Record<IncidentSeverity, 'critical' | 'error' | 'warning' | 'info'> = {
  High: 'critical',
  Medium: 'error',
  Low: 'warning',
  Informational: 'info',
};

export function format(incident: IncidentSummary, event: IncidentEvent, destination: Destination): FormattedRequest {
  if (!destination.routingKey)
    throw new Error(`PagerDuty destination "${destination.name}" has no routingKey (the Events API v2 integration key)`);
  if (event === 'closed') {
    // A resolve needs only the key and dedup_key; PagerDuty ignores a payload on it.
    return jsonRequest({ routing_key: destination.routingKey, event_action: 'resolve', dedup_key: incident.name });
  }
  const full = trigger(incident, destination, true);
  if (Buffer.byteLength(full.body) <= BODY_MAX_BYTES) return full;
  return trigger(incident, destination, false);
}

function trigger(incident: IncidentSummary, destination: Destination, withEnrichment: boolean): FormattedRequest {
  const enrichment = withEnrichment ? enrichmentFor(incident, destination) : undefined;
  const details: Record<string, unknown> = {
    incident_number: incident.number,
    incident_id: incident.id,
    workspace: incident.workspaceId,
    status: incident.status,
    severity: incident.severity,
    created: incident.createdTimeUtc,
    description: truncateText(incident.description, withEnrichment ? DESCRIPTION_MAX : 4000),
    labels: incident.labels,
  };
  if (incident.owner) details.owner = incident.owner;
  if (incident.classification) details.classification = incident.classification;
  if (incident.alertsCount !== undefined) details.alerts_count = incident.alertsCount;
  if (incident.tactics) details.tactics = incident.tactics;
  if (incident.techniques) details.techniques = incident.techniques;
  if (incident.providerName) details.provider = incident.providerName;
  if (incident.providerIncidentId) details.provider_incident_id = incident.providerIncidentId;
  if (enrichment?.alerts) details.alerts = enrichment.alerts;
  if (enrichment?.entities) details.entities = enrichment.entities;
  if (enrichment?.queries) details.queries = enrichment.queries;

  return jsonRequest({
    routing_key: destination.routingKey,
    event_action: 'trigger',
    dedup_key: incident.name,
    payload: {
      summary: truncateText(`[${incident.severity}] Sentinel incident #${incident.number}: ${incident.title}`, SUMMARY_MAX),
      source: incident.workspaceId,
      severity: SEVERITY[incident.severity],
      timestamp: incident.createdTimeUtc,
      component: 'Microsoft Sentinel',
      group: workspaceNameOf(incident.workspaceId),
      ...(incident.tactics?.length ? { class: incident.tactics.join(', ') } : {}),
      custom_details: details,
    },
    links: [{ href: incident.incidentUrl, text: 'Open the incident in Microsoft Sentinel' }],
    client: 'Sentinel Bridge',
    client_url: incident.incidentUrl,
  });
}
