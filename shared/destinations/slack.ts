// Slack incoming webhook. With `blocks`, the top-level `text` is the fallback used in notifications, so it carries
// the gist. Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks, as typed in @slack/types): header
// plain_text ≤ 150 chars, section text ≤ 3000, section fields ≤ 10 of ≤ 2000 each, context ≤ 10 elements, button text
// ≤ 75 and url ≤ 3000, ≤ 50 blocks per message. Slack also rejects messages whose blocks hold much more than ~12k
// characters in total (msg_blocks_too_long, https://github.com/slackapi/bolt-js/issues/2509), so the enrichment sections stay small.
// mrkdwn text escapes &, < and > and nothing else (https://api.slack.com/reference/surfaces/formatting#escaping).
// Two-way sync: the actions block also carries Acknowledge and "Close as …" buttons (action_ids and the callback
// parser in shared/callbacks/slack.ts; button value = the incident's ARM id, ≤ 2,000 chars; ≤ 25 elements per actions
// block). They work when the incoming webhook belongs to a Slack app with Interactivity on (README "Two-way sync").
import type { ActionsBlock, Button, ContextBlock, HeaderBlock, KnownBlock, MrkdwnElement, SectionBlock } from '@slack/types';
import type { Destination } from '../config.js';
import {
  cellText,
  enrichmentFor,
  type FormattedRequest,
  type IncidentEvent,
  type IncidentSeverity,
  type IncidentSummary,
  incidentFacts,
  jsonRequest,
  queryHeadline,
  truncateText,
} from './incident.js';
import {
  ACKNOWLEDGE_ACTION_ID,
  BUTTON_VALUE_MAX,
  type CallbackUser,
  CLOSE_CLASSIFICATIONS,
  type CloseClassification,
  closeActionId,
} from './slackActions.js';

export const events: readonly IncidentEvent[] = ['created'];

export const LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  buttonText: 75,
  buttonUrl: 3000,
  buttonValue: BUTTON_VALUE_MAX,
  actionsElements: 25,
  fallbackText: 3000,
  /** Our own cap for each enrichment section, keeping the message well under Slack's total block text limit. */
  enrichmentText: 1500,
  /** Our own cap for all KQL query sections together, shared evenly between the queries. */
  queriesText: 3000,
  queryColumns: 6,
} as const;

const SEVERITY_EMOJI: Record<IncidentSeverity, string> = {
  High: ':red_circle:',
  Medium: ':large_orange_circle:',
  Low: ':large_yellow_circle:',
  Informational: ':large_blue_circle:',
};

/** Escapes the three characters mrkdwn reserves. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escaped mrkdwn of at most `max` characters; never ends in a cut-off entity such as `&am`. */
function mrkdwn(raw: string, max: number): string {
  const escaped = escapeMrkdwn(raw);
  if (escaped.length <= max) return escaped;
  const cut = truncateText(escaped, max);
  return cut.replace(/&[a-z]{0,3}…$/, '…');
}

export function format(incident: IncidentSummary, event: IncidentEvent, destination: Destination): FormattedRequest {
  const closed = event === 'closed';
  const emoji = closed ? ':white_check_mark:' : SEVERITY_EMOJI[incident.severity];
  const headline = `${closed ? 'Closed: ' : ''}[${incident.severity}] Sentinel incident #${incident.number}: ${incident.title}`;

  const blocks: KnownBlock[] = [];
  const header: HeaderBlock = {
    type: 'header',
    text: { type: 'plain_text', text: truncateText(headline, LIMITS.headerText), emoji: true },
  };
  blocks.push(header);

  const fields: MrkdwnElement[] = incidentFacts(incident)
    .slice(0, LIMITS.fields)
    .map((f) => ({ type: 'mrkdwn', text: mrkdwn(`*${f.title}*\n${f.value}`, LIMITS.fieldText) }));
  const facts: SectionBlock = { type: 'section', fields };
  blocks.push(facts);

  if (incident.description) {
    const description: SectionBlock = { type: 'section', text: { type: 'mrkdwn', text: mrkdwn(incident.description, LIMITS.sectionText) } };
    blocks.push(description);
  }

  const enrichment = enrichmentFor(incident, destination);
  if (enrichment?.alerts?.length) {
    const lines = enrichment.alerts.map((a) => `• ${a.severity ? `[${a.severity}] ` : ''}${a.title}`);
    blocks.push(listSection(`*Alerts (${enrichment.alerts.length})*`, lines));
  }
  if (enrichment?.entities?.length) {
    const lines = enrichment.entities.map((e) => `• ${e.kind}: ${e.friendlyName}`);
    blocks.push(listSection(`*Entities (${enrichment.entities.length})*`, lines));
  }

  const queries = enrichment?.queries ?? [];
  for (const q of queries) {
    const columns = q.columns.slice(0, LIMITS.queryColumns);
    const lines = q.rows.length
      ? [columns.join(' | '), ...q.rows.map((r) => `• ${r.slice(0, columns.length).map(cellText).join(' | ')}`)]
      : [];
    // The headline is data too (query name, error text): escaped, then made bold.
    blocks.push(listSection(`*${mrkdwn(queryHeadline(q), 300)}*`, lines, Math.max(300, Math.floor(LIMITS.queriesText / queries.length))));
  }

  const actions = actionsBlock(incident);
  if (actions) blocks.push(actions);

  const context: ContextBlock = {
    type: 'context',
    elements: [{ type: 'mrkdwn', text: mrkdwn(`Incident ${incident.name} · ${incident.workspaceId}`, LIMITS.sectionText) }],
  };
  blocks.push(context);

  return jsonRequest({ text: mrkdwn(`${emoji} ${headline}`, LIMITS.fallbackText), blocks: blocks.slice(0, LIMITS.blocks) });
}

export const CLOSE_LABEL: Record<CloseClassification, string> = {
  TruePositive: 'Close as True positive',
  FalsePositive: 'Close as False positive',
  BenignPositive: 'Close as Benign positive',
};

/** The incident reference a button carries: the ARM id (names the workspace), else the name. */
export function buttonValue(incident: Pick<IncidentSummary, 'id' | 'name'>): string | undefined {
  if (incident.id.length <= LIMITS.buttonValue) return incident.id;
  return incident.name.length <= LIMITS.buttonValue ? incident.name : undefined;
}

/** Link to the portal, then the sync buttons the incident's status still allows (none once it is closed). */
function actionsBlock(incident: IncidentSummary): ActionsBlock | undefined {
  const elements: Button[] = [];
  if (incident.incidentUrl.length <= LIMITS.buttonUrl) {
    elements.push({
      type: 'button',
      action_id: 'open_incident',
      text: { type: 'plain_text', text: 'Open in Microsoft Sentinel' },
      url: incident.incidentUrl,
    });
  }
  const value = buttonValue(incident);
  if (value && incident.status !== 'Closed') {
    if (incident.status === 'New') {
      elements.push({
        type: 'button',
        action_id: ACKNOWLEDGE_ACTION_ID,
        style: 'primary',
        text: { type: 'plain_text', text: 'Acknowledge' },
        value,
      });
    }
    for (const c of CLOSE_CLASSIFICATIONS) {
      elements.push({ type: 'button', action_id: closeActionId(c), text: { type: 'plain_text', text: CLOSE_LABEL[c] }, value });
    }
  }
  return elements.length ? { type: 'actions', block_id: 'sentinelbridge', elements: elements.slice(0, LIMITS.actionsElements) } : undefined;
}

export interface SlackSyncOutcome {
  action: 'acknowledge' | 'close';
  user?: CallbackUser;
  /** close: the classification the incident was closed with. */
  classification?: string;
}

/**
 * The message to POST to a button click's response_url (docs.slack.dev/interactivity/handling-user-interaction:
 * `replace_original` updates the clicked message): the incident as it now is — so the buttons its new status no
 * longer allows are gone — with a line saying who did what.
 */
export function slackResponseMessage(incident: IncidentSummary, destination: Destination, outcome: SlackSyncOutcome): FormattedRequest {
  const message = JSON.parse(format(incident, 'created', destination).body) as { text: string; blocks: KnownBlock[] };
  const who = outcome.user?.id ? `<@${outcome.user.id}>` : outcome.user?.name ? escapeMrkdwn(outcome.user.name) : 'someone';
  const what =
    outcome.action === 'acknowledge'
      ? `:eyes: Acknowledged by ${who}; the incident is ${escapeMrkdwn(incident.status)} in Microsoft Sentinel.`
      : `:white_check_mark: Closed by ${who}${outcome.classification ? ` as ${escapeMrkdwn(outcome.classification)}` : ''} in Microsoft Sentinel.`;
  const line: ContextBlock = { type: 'context', elements: [{ type: 'mrkdwn', text: truncateText(what, LIMITS.sectionText) }] };
  const blocks = [...message.blocks.slice(0, LIMITS.blocks - 1), line];
  return jsonRequest({ replace_original: true, text: message.text, blocks });
}

function listSection(heading: string, lines: string[], max: number = LIMITS.enrichmentText): SectionBlock {
  // The heading is our own mrkdwn (escaped where it holds data); the items come from data and are escaped here.
  const budget = max - heading.length - 1;
  const kept: string[] = [];
  let used = 0;
  for (const line of lines) {
    const text = mrkdwn(line, 300);
    if (used + text.length + 1 > budget - 20) {
      kept.push(`• … and ${lines.length - kept.length} more`);
      break;
    }
    kept.push(text);
    used += text.length + 1;
  }
  return { type: 'section', text: { type: 'mrkdwn', text: `${heading}\n${kept.join('\n')}` } };
}
