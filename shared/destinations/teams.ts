// Microsoft Teams through a Workflows webhook ("When a Teams webhook request is received" → post card). Workflows
// take Adaptive Cards only, wrapped as a `message` with one attachment of contentType
// application/vnd.microsoft.card.adaptive
// (https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using). A posted
// message is limited to about 28 KB and fails with "request entity too large" beyond
// (https://learn.microsoft.com/connectors/teams/ — known issues), so the whole body is fitted under BODY_MAX_BYTES by
// shortening the description first, then dropping the enrichment lists. Card version 1.5 is the newest Teams renders.
import type { Destination } from '../config.js';
import {
  cellText,
  enrichmentFor,
  type FormattedRequest,
  type IncidentEvent,
  type IncidentSeverity,
  type IncidentSummary,
  incidentFacts,
  type QueryResult,
  queryHeadline,
  truncateText,
} from './incident.js';

export const events: readonly IncidentEvent[] = ['created'];

export const CARD_VERSION = '1.5';
/** The whole request body, in bytes. Under 28 KB whichever way a KB is counted. */
export const BODY_MAX_BYTES = 28_000;
export const TITLE_MAX = 256;
export const DESCRIPTION_MAX = 8000;
export const LIST_ITEMS_MAX = 10;
export const LIST_ITEM_MAX = 200;
/** KQL query results: an Adaptive Card Table (card 1.5) each, within these and a shared byte budget. */
export const QUERY_COLUMNS_MAX = 6;
export const QUERY_ROWS_MAX = 10;
export const QUERY_CELL_MAX = 100;
export const QUERY_HEADLINE_MAX = 500;
export const QUERIES_BYTES_MAX = 12_000;

const SEVERITY_COLOR: Record<IncidentSeverity, string> = { High: 'Attention', Medium: 'Warning', Low: 'Accent', Informational: 'Default' };

type CardElement = Record<string, unknown>;

export function format(incident: IncidentSummary, event: IncidentEvent, destination: Destination): FormattedRequest {
  const enrichment = enrichmentFor(incident, destination);
  let descriptionMax = Math.min(incident.description.length, DESCRIPTION_MAX);
  let withEnrichment = enrichment !== undefined;
  for (;;) {
    const body = JSON.stringify(message(card(incident, event, descriptionMax, withEnrichment ? enrichment : undefined)));
    const over = Buffer.byteLength(body) - BODY_MAX_BYTES;
    if (over <= 0) return { body, headers: { 'content-type': 'application/json' } };
    if (descriptionMax > 0) descriptionMax = shrink(incident.description, descriptionMax, over);
    else if (withEnrichment) withEnrichment = false;
    else throw new Error(`Teams card for incident ${incident.name} does not fit in ${BODY_MAX_BYTES} bytes even without its description`);
  }
}

/** A shorter description limit that frees about `over` bytes of JSON, by the bytes its characters take on average. */
function shrink(description: string, max: number, over: number): number {
  const bytes = Buffer.byteLength(JSON.stringify(truncateText(description, max))) - 2;
  const keep = Math.floor((max * Math.max(0, bytes - over)) / Math.max(1, bytes));
  return Math.max(0, Math.min(keep, max - 1));
}

function message(content: CardElement): CardElement {
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }] };
}

function card(
  incident: IncidentSummary,
  event: IncidentEvent,
  descriptionMax: number,
  enrichment: IncidentSummary['enrichment'],
): CardElement {
  const body: CardElement[] = [
    {
      type: 'TextBlock',
      text: event === 'closed' ? 'Microsoft Sentinel incident closed' : `Microsoft Sentinel · ${incident.severity} severity incident`,
      weight: 'Bolder',
      size: 'Small',
      color: event === 'closed' ? 'Good' : SEVERITY_COLOR[incident.severity],
      wrap: true,
    },
    { type: 'TextBlock', text: truncateText(incident.title, TITLE_MAX), weight: 'Bolder', size: 'Large', wrap: true },
    { type: 'FactSet', facts: incidentFacts(incident) },
  ];
  const description = truncateText(incident.description, descriptionMax);
  if (description) body.push({ type: 'TextBlock', text: description, wrap: true, separator: true });
  if (enrichment?.alerts?.length) {
    body.push(
      list(
        `Alerts (${enrichment.alerts.length})`,
        enrichment.alerts.map((a) => `${a.severity ? `[${a.severity}] ` : ''}${a.title}`),
      ),
    );
  }
  if (enrichment?.entities?.length) {
    body.push(
      list(
        `Entities (${enrichment.entities.length})`,
        enrichment.entities.map((e) => `${e.kind}: ${e.friendlyName}`),
      ),
    );
  }
  let budget = QUERIES_BYTES_MAX;
  for (const q of enrichment?.queries ?? []) {
    const element = queryElement(q, budget);
    budget -= bytes(element);
    body.push(element);
  }
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: CARD_VERSION,
    msteams: { width: 'Full' },
    body,
    actions: [{ type: 'Action.OpenUrl', title: 'Open in Microsoft Sentinel', url: incident.incidentUrl }],
  };
}

function list(heading: string, items: string[]): CardElement {
  const shown = items.slice(0, LIST_ITEMS_MAX).map((item) => `- ${truncateText(item, LIST_ITEM_MAX)}`);
  if (items.length > LIST_ITEMS_MAX) shown.push(`- … and ${items.length - LIST_ITEMS_MAX} more`);
  return {
    type: 'Container',
    separator: true,
    items: [
      { type: 'TextBlock', text: heading, weight: 'Bolder', wrap: true },
      { type: 'TextBlock', text: shown.join('\n'), wrap: true },
    ],
  };
}

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

function tableRow(cells: string[], header = false): CardElement {
  return {
    type: 'TableRow',
    cells: cells.map((c) => ({
      type: 'TableCell',
      items: [{ type: 'TextBlock', text: truncateText(c, QUERY_CELL_MAX), wrap: true, ...(header ? { weight: 'Bolder' } : {}) }],
    })),
  };
}

/** One query's headline and its rows as a Table, adding rows while they fit `budget` bytes. */
function queryElement(q: QueryResult, budget: number): CardElement {
  const items: CardElement[] = [
    {
      type: 'TextBlock',
      text: truncateText(`Query ${queryHeadline(q)}`, QUERY_HEADLINE_MAX),
      weight: 'Bolder',
      wrap: true,
      ...(q.error ? { color: 'Attention' } : {}),
    },
  ];
  const container: CardElement = { type: 'Container', separator: true, items };
  const columns = q.columns.slice(0, QUERY_COLUMNS_MAX);
  if (!columns.length || !q.rows.length) return container;
  const rows = [tableRow(columns, true)];
  items.push({ type: 'Table', firstRowAsHeader: true, columns: columns.map(() => ({ width: 1 })), rows });
  let used = bytes(container);
  for (const r of q.rows.slice(0, QUERY_ROWS_MAX)) {
    const row = tableRow(r.slice(0, columns.length).map(cellText));
    if (used + bytes(row) + 1 > budget) break;
    rows.push(row);
    used += bytes(row) + 1;
  }
  const left = q.rows.length - (rows.length - 1);
  if (left > 0) items.push({ type: 'TextBlock', text: `… ${left} more row${left === 1 ? '' : 's'} not shown`, isSubtle: true, wrap: true });
  return container;
}
