// SIGNL4 inbound webhook (https://connect.signl4.com/webhook/{teamSecret}). The reserved parameters are read from
// the JSON body (https://docs.signl4.com/integrations/webhook/webhook.html): X-S4-ExternalID correlates later
// updates with the alert, X-S4-Status `new` opens it and `resolved` closes the alert opened with the same external
// id (https://www.signl4.com/blog/update-july-2020-resolve-alerts/). Title/Message name the alert; other fields are
// shown as alert parameters. X-S4-Service and X-S4-AlertingScenario are documented too, but they name team-specific
// categories and policies, so they are left out until a destination can configure them.
import type { Destination } from '../config.js';
import {
  cellText,
  enrichmentFor,
  type FormattedRequest,
  type IncidentEvent,
  type IncidentSummary,
  incidentFacts,
  jsonRequest,
  type QueryResult,
  queryHeadline,
  truncateText,
} from './incident.js';

export const events: readonly IncidentEvent[] = ['created', 'closed'];

// SIGNL4 documents no length limits; these keep the alert readable on a phone and the request small.
export const TITLE_MAX = 256;
export const MESSAGE_MAX = 4000;
/** Each KQL query result is one flat text field `Query <name>`: its headline, then a line per row. */
export const QUERY_FIELD_MAX = 1000;

export function format(incident: IncidentSummary, event: IncidentEvent, destination: Destination): FormattedRequest {
  const prefix = event === 'closed' ? 'Closed: ' : '';
  const title = truncateText(`${prefix}[${incident.severity}] Sentinel incident #${incident.number}: ${incident.title}`, TITLE_MAX);
  if (event === 'closed') {
    const how = [incident.classification, incident.classificationReason].filter(Boolean).join(' / ');
    return jsonRequest({
      Title: title,
      Message: truncateText(`Closed in Microsoft Sentinel${how ? ` as ${how}` : ''}.`, MESSAGE_MAX),
      'X-S4-ExternalID': incident.name,
      'X-S4-Status': 'resolved',
    });
  }
  const body: Record<string, string> = {
    Title: title,
    Message: truncateText(incident.description || incident.title, MESSAGE_MAX),
    'X-S4-ExternalID': incident.name,
    'X-S4-Status': 'new',
  };
  for (const fact of incidentFacts(incident)) body[fact.title] = fact.value;
  body.Link = incident.incidentUrl;
  for (const q of enrichmentFor(incident, destination)?.queries ?? []) body[`Query ${q.name}`] = queryField(q);
  return jsonRequest(body);
}

function queryField(q: QueryResult): string {
  const rows = q.rows.map((r) => q.columns.map((c, i) => `${c}=${cellText(r[i])}`).join(', '));
  return truncateText([queryHeadline(q), ...rows].join('\n'), QUERY_FIELD_MAX);
}
