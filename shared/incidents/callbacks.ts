// POST /api/incidents/{destination}/callback: the destination's own callback (SIGNL4, PagerDuty Webhooks v3, Slack
// interactivity, Standard-Webhooks-signed JSON), verified with its callbackSecret by the parser of its type
// (shared/callbacks), then per event: scope (only incidents delivered to this destination, else 202 "ignored"),
// idempotency by the vendor's event id, the change with one comment naming the destination (callbackActions.ts), and
// for Slack the message updated through response_url. Answers: 200 when something was acted on, 202 ignored /
// duplicate, 401/400/413 from the parser, 404 unknown destination or one that cannot call back (Teams), 503 with
// Retry-After when Sentinel or Graph (the workspace's API), PagerDuty's REST API or storage is unavailable (the
// vendor retries; README "Two-way sync").
import { callbackParserFor } from '../callbacks/index.js';
import { createPagerDutyRestClient, PagerDutyRestError } from '../callbacks/pagerdutyRest.js';
import { CALLBACK_BODY_MAX_BYTES, type CallbackEvent } from '../callbacks/types.js';
import { callbackSecretsOf, type Destination } from '../config.js';
import { slackResponseMessage } from '../destinations/slack.js';
import { answer, type BridgeRequest, type BridgeResponse, HttpError, json, readBody } from '../http.js';
import {
  type ApplyResult,
  applyEvent,
  claimEvent,
  deliveredTargets,
  markEventApplied,
  rememberDedupKeys,
  rememberedDedupKeys,
  targetLabel,
} from './callbackActions.js';
import type { IncidentDeps } from './deps.js';
import { routedIncidentWriter } from './incidentApis.js';
import { type IncidentTarget, IncidentWriteError, type IncidentWriter } from './incidentWriter.js';

export type CallbackDeps = Pick<IncidentDeps, 'config' | 'sentinel' | 'graph' | 'storage' | 'log' | 'now' | 'send'> & {
  /** The incident API written to (default: each workspace's own, Sentinel's or Graph's: routedIncidentWriter). */
  writer?: IncidentWriter;
  /** CAs the PagerDuty REST client trusts besides the system's (the local emulators' CA). */
  tlsOptions?: { ca: string };
};

export interface EventOutcome {
  eventId: string;
  action: CallbackEvent['action'];
  result: 'applied' | 'unchanged' | 'ignored' | 'duplicate';
  reason?: string;
  incidents?: string[];
}

/** Something downstream failed; the vendor should retry. */
class Unavailable extends Error {}

const ignoredOutcome = (event: CallbackEvent, reason: string): EventOutcome => ({
  eventId: event.eventId,
  action: event.action,
  result: 'ignored',
  reason,
});

/** PagerDuty's incident id → our dedup_keys: remembered in `claims`, else asked of the REST API. */
async function dedupKeysOf(deps: CallbackDeps, destination: Destination, pagerdutyId: string): Promise<string[] | undefined> {
  const claims = deps.storage.table('claims');
  const known = await rememberedDedupKeys(claims, destination.name, pagerdutyId);
  if (known) return known;
  if (!destination.restApiKey) return undefined;
  const client = createPagerDutyRestClient({
    apiKey: destination.restApiKey,
    ...(destination.restApiEndpoint ? { endpoint: destination.restApiEndpoint } : {}),
    ...(deps.tlsOptions ? { tlsOptions: deps.tlsOptions } : {}),
    maxRetries: 1,
    timeoutMs: 3000,
  });
  let keys: string[] | undefined;
  try {
    keys = await client.dedupKeysOf(pagerdutyId);
  } catch (e) {
    if (e instanceof PagerDutyRestError) throw new Unavailable(e.message);
    throw e;
  }
  if (keys?.length) await rememberDedupKeys(claims, destination.name, pagerdutyId, keys);
  return keys ?? [];
}

/** The incidents this event may change: those the bridge delivered to this destination. */
async function targetsOf(deps: CallbackDeps, destination: Destination, event: CallbackEvent): Promise<IncidentTarget[] | string> {
  const ref = event.incidentRef;
  if (!ref) return 'the event names no incident';
  const claims = deps.storage.table('claims');
  let references = [ref.value];
  if (ref.kind === 'pagerdutyIncidentId') {
    const keys = await dedupKeysOf(deps, destination, ref.value);
    if (!keys) return 'the destination has no restApiKey to map a PagerDuty incident id to the incident';
    references = keys;
  }
  const found: IncidentTarget[] = [];
  for (const reference of references) found.push(...((await deliveredTargets(claims, deps.config, destination, reference)) ?? []));
  return found.length ? found : 'the incident was not delivered to this destination';
}

/** Posts the updated message to Slack's response_url (best effort: the change is made whatever Slack answers). */
async function updateSlackMessage(
  deps: CallbackDeps,
  writer: IncidentWriter,
  destination: Destination,
  event: CallbackEvent,
  target: IncidentTarget,
) {
  if (!event.responseUrl || (event.action !== 'acknowledge' && event.action !== 'close')) return;
  const summary = await writer.summary(target);
  if (!summary) return;
  const message = slackResponseMessage(summary, destination, {
    action: event.action,
    ...(event.user ? { user: event.user } : {}),
    ...(summary.classification ? { classification: summary.classification } : {}),
  });
  const sent = await deps.send({ ...destination, url: event.responseUrl }, message, {
    allowPrivate: deps.config.ALLOW_PRIVATE_DESTINATIONS,
    timeoutMs: 5000,
  });
  if (!sent.ok) deps.log.warn({ destination: destination.name, error: sent.error }, 'updating the Slack message failed');
}

async function processEvent(
  deps: CallbackDeps,
  writer: IncidentWriter,
  destination: Destination,
  event: CallbackEvent,
): Promise<EventOutcome> {
  if (event.action === 'ignored') return ignoredOutcome(event, event.ignoredReason ?? 'not acted on');
  const targets = await targetsOf(deps, destination, event);
  if (typeof targets === 'string') return ignoredOutcome(event, targets);
  const claims = deps.storage.table('claims');
  // Keyed by the event id and the incident it names: SIGNL4's samples reuse one id across alerts.
  const key = `${event.eventId}|${event.incidentRef?.value ?? ''}`;
  if ((await claimEvent(claims, destination.name, key, deps.now())) === 'applied')
    return { eventId: event.eventId, action: event.action, result: 'duplicate' };
  const results: ApplyResult[] = [];
  try {
    for (const target of targets)
      results.push(await applyEvent({ writer, claims, config: deps.config, destination, now: deps.now }, target, event));
  } catch (e) {
    if (e instanceof IncidentWriteError) throw new Unavailable(e.message);
    throw e;
  }
  await markEventApplied(claims, destination.name, key, deps.now());
  const [first] = targets;
  if (first && destination.type === 'slack') await updateSlackMessage(deps, writer, destination, event, first);
  const changed = results.some((r) => r.result === 'changed' || r.result === 'commented');
  const closed = results.every((r) => r.result === 'already-closed');
  return {
    eventId: event.eventId,
    action: event.action,
    result: changed ? 'applied' : closed ? 'ignored' : 'unchanged',
    ...(closed ? { reason: 'the incident is already closed' } : {}),
    incidents: targets.map(targetLabel),
  };
}

export function handleIncidentCallback(request: BridgeRequest, deps: CallbackDeps): Promise<BridgeResponse> {
  return answer(async () => {
    const log = deps.log.child({ component: 'incidentCallback' });
    const name = request.params.destination ?? '';
    const destination = deps.config.DESTINATIONS.find((d) => d.name === name);
    if (!destination) throw new HttpError(404, `unknown destination "${name}"`);
    const parse = callbackParserFor(destination.type);
    if (!parse) throw new HttpError(404, `${destination.type} destinations cannot call back (Teams Workflows webhooks are one way)`);
    const body = await readBody(request, CALLBACK_BODY_MAX_BYTES, `body is larger than ${CALLBACK_BODY_MAX_BYTES} bytes`);
    const parsed = parse({
      body,
      headers: request.headers,
      url: new URL(request.url),
      secrets: callbackSecretsOf(destination),
      now: deps.now(),
    });
    if (!parsed.ok) {
      // The URL (SIGNL4's secret rides in it) and the body are never logged.
      log.warn({ destination: destination.name, status: parsed.status, error: parsed.error }, 'callback refused');
      throw new HttpError(parsed.status, parsed.error);
    }
    const writer = deps.writer ?? routedIncidentWriter(deps);
    const outcomes: EventOutcome[] = [];
    try {
      for (const event of parsed.events) outcomes.push(await processEvent(deps, writer, destination, event));
    } catch (e) {
      const downstream =
        e instanceof Unavailable ||
        (e as { statusCode?: number })?.statusCode !== undefined ||
        (e as { name?: string })?.name === 'RestError';
      if (!downstream) throw e;
      log.error({ destination: destination.name, error: (e as Error).message }, 'callback could not be acted on; the vendor will retry');
      throw new HttpError(
        503,
        `the callback could not be acted on now (${(e as Error).message}); retry later`,
        {},
        { 'retry-after': '30' },
      );
    }
    for (const o of outcomes) log.info({ destination: destination.name, ...o }, `callback ${o.result}`);
    const acted = outcomes.some((o) => o.result === 'applied' || o.result === 'unchanged');
    const result = acted ? 'applied' : outcomes.every((o) => o.result === 'duplicate') ? 'duplicate' : 'ignored';
    return json(acted ? 200 : 202, { result, events: outcomes });
  });
}
