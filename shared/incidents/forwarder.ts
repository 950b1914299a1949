// Forwards one incident event to one destination (a message from the `incidents` queue), then tags and comments the
// incident through its incident API (IncidentApi: Sentinel or Graph, the API that listed it). Every step is idempotent,
// so a duplicate or retried message never forwards twice:
//   1. a delivery row (claims table, keyed by the incident's canonical id) already marks this event done at this
//      destination → only finish what is left;
//   2. a `closed` event waits until the `created` one reached the destination (resolve after trigger);
//   3. a disabled destination (shared circuit) parks the message (never dropped); otherwise the delivery's lease is
//      taken (of two copies of one message only one sends), the incident is read afresh, formatted and sent;
//   4. a retryable failure is re-enqueued with the retry schedule's visibility delay (no sleeping in a function),
//      an exhausted or hopeless one is dead-lettered (Holding `deadletters`); a failure that disables the
//      destination parks the message instead;
//   5. on success the delivery row is written, then the tag (once) and one comment per destination (a deterministic
//      comment id) are added; the closure of a merged incident instead leaves one comment on the incident it went
//      into, naming the old one and the destination. A failure there retries only that part.
import type { TableClient } from '@azure/data-tables';
import type { Logger } from 'pino';
import type { Config, Destination, SentinelWorkspace } from '../config.js';
import { type IncidentEnrichment, IncidentShapeError } from '../destinations/incident.js';
import { formatFor, formatterFor, type IncidentSummary, receives } from '../destinations/index.js';
import type { SendResult } from '../destinations/send.js';
import { recordLatency } from '../reliability/metrics.js';
import { destinationTarget } from '../reliability/targets.js';
import { acquireDelivery, type DeliveryRow, readDelivery, releaseDelivery, writeDelivery } from './claims.js';
import type { IncidentDeps } from './deps.js';
import { enrichParts, enrichQueriesOf, partsToRead, shownParts } from './enrichment.js';
import { queryParameters, runEnrichQueries } from './enrichQueries.js';
import type { EnrichParts, IncidentApi } from './incidentApi.js';
import { incidentApiFor } from './incidentApis.js';
import { decodeMessage, enqueueMessage, type IncidentMessage } from './messages.js';
import { type CircuitSeam, destinationCircuit, holdIncident } from './outcomes.js';
import { forwardCommentId, forwardCommentText } from './tagging.js';
import { findWorkspace, stableGuid } from './workspaces.js';

export type ForwardOutcome =
  | { result: 'delivered'; reference?: string }
  | { result: 'duplicate' }
  | { result: 'annotated' }
  | { result: 'retry'; delayMs: number; reason: string }
  | { result: 'deferred'; delayMs: number }
  | { result: 'parked' }
  | { result: 'dead-lettered'; reason: string }
  | { result: 'skipped'; reason: string };

/** A `closed` event waits at least this long between checks for its `created` delivery. */
export const RESOLVE_WAIT_MS = 30_000;

/** One message's run: what every step needs. */
interface Run {
  config: Config;
  m: IncidentMessage;
  /** The claims key of the incident (its canonical id). */
  key: string;
  ws: SentinelWorkspace;
  destination: Destination;
  api: IncidentApi;
  claims: TableClient;
  circuit: CircuitSeam;
  log: Logger;
  now: () => Date;
  deps: IncidentDeps;
  /** Re-enqueues with the next retry delay; undefined when the schedule is exhausted. */
  again(reason: string, retryAfterMs?: number, minDelayMs?: number): Promise<ForwardOutcome | undefined>;
  dead(reason: string, status?: number): Promise<ForwardOutcome>;
  park(reason: string): Promise<ForwardOutcome>;
}

export async function forwardIncident(raw: unknown, deps: IncidentDeps): Promise<ForwardOutcome> {
  const log = deps.log.child({ component: 'forwardIncident' });
  const decoded = decodeMessage(raw);
  if ('error' in decoded) return deadLetterMalformed(raw, decoded.error, deps, log);
  const run = await prepare(decoded, deps, log);
  if (!('m' in run)) return run;
  const { m } = run;

  const done = await readDelivery(run.claims, run.ws, run.key, m.event, run.destination.name);
  if (done?.state === 'delivered') return finishDelivered(run, done);
  if (m.event === 'closed') {
    const waiting = await waitForCreated(run);
    if (waiting) return waiting;
  }
  if (await run.circuit.isOpen(run.destination.name)) return run.park('destination disabled (auto-disable); parked until it is re-enabled');
  return deliverLeased(run);
}

async function deadLetterMalformed(raw: unknown, error: string, deps: IncidentDeps, log: Logger): Promise<ForwardOutcome> {
  await holdIncident(deps.reliability, 'deadletters', 'unknown', raw !== null && typeof raw === 'object' ? raw : { raw: safeJson(raw) }, {
    reason: error,
  });
  log.error({ error }, 'dead-lettered a malformed incident message');
  return { result: 'dead-lettered', reason: error };
}

/** The run of one message: its destination, workspace and incident API; or why it goes no further. */
async function prepare(m: IncidentMessage, deps: IncidentDeps, parentLog: Logger): Promise<Run | ForwardOutcome> {
  const { config, storage: st, retry, reliability } = deps;
  const ctx = { incident: m.incident, event: m.event, destination: m.destination, deliveryId: m.deliveryId, attempt: m.attempt };
  const log = parentLog.child(ctx);
  const dead = async (reason: string, status?: number): Promise<ForwardOutcome> => {
    await holdIncident(reliability, 'deadletters', m.destination, m, {
      reason,
      attempts: m.attempt + 1,
      ...(status !== undefined ? { status } : {}),
    });
    log.error({ reason }, 'incident delivery dead-lettered');
    return { result: 'dead-lettered', reason };
  };
  const destination = config.DESTINATIONS.find((d) => d.name === m.destination);
  const ws = findWorkspace(config.SENTINEL_WORKSPACES, m.workspace);
  if (!destination) return dead(`destination "${m.destination}" is not configured (DESTINATIONS); replay after adding it back`);
  if (!ws) return dead(`workspace ${m.workspace.workspaceName} is not configured (SENTINEL_WORKSPACES)`);
  if (!receives(destination, m.event)) return { result: 'skipped', reason: `${destination.type} destinations take no ${m.event} events` };
  return {
    config,
    m,
    key: m.key ?? m.incident,
    ws,
    destination,
    api: incidentApiFor(deps, ws, m.api ?? 'sentinel'),
    claims: st.table('claims'),
    circuit: deps.circuit ?? destinationCircuit(reliability),
    log,
    now: deps.now,
    deps,
    async again(reason, retryAfterMs, minDelayMs = 0) {
      const step = retry(m.attempt + 1, retryAfterMs);
      if (!step) return undefined;
      const delayMs = Math.max(step.delayMs, minDelayMs);
      await enqueueMessage(st.queue('incidents'), { ...m, attempt: m.attempt + 1 }, delayMs);
      log.warn({ delayMs, reason }, 'incident delivery will be retried');
      return { result: 'retry', delayMs, reason };
    },
    dead,
    async park(reason) {
      await holdIncident(reliability, 'parked', destination.name, m, { reason, attempts: m.attempt + 1 });
      log.warn({ reason }, 'incident delivery parked');
      return { result: 'parked' };
    },
  };
}

/** The destination has the event: only the tag and comment (or the merge note) may be left to do. */
function finishDelivered(run: Run, done: DeliveryRow): Promise<ForwardOutcome> | ForwardOutcome {
  if (done.annotatedAt) return { result: 'duplicate' };
  if (run.m.event === 'created') return annotate(run, done.reference);
  return done.mergedInto ? noteMerge(run, done.mergedInto) : { result: 'duplicate' };
}

/** A `closed` event before its `created` one reached the destination waits (re-enqueued); undefined when it may go. */
async function waitForCreated(run: Run): Promise<ForwardOutcome | undefined> {
  const opened = await readDelivery(run.claims, run.ws, run.key, 'created', run.destination.name);
  if (opened?.state === 'delivered') return undefined;
  const waiting = await run.again('waiting for the created event to reach the destination first', undefined, RESOLVE_WAIT_MS);
  if (!waiting) return run.dead('the incident was closed, but its creation never reached this destination, so there is nothing to resolve');
  return { result: 'deferred', delayMs: (waiting as { delayMs: number }).delayMs };
}

/** Sends under the delivery's lease: of two copies of this message only the lease holder sends; the other stops here
 * (the holder's own retries carry the delivery on should it fail). */
async function deliverLeased(run: Run): Promise<ForwardOutcome> {
  const { m, ws, key, destination, now } = run;
  const lease = await acquireDelivery(run.claims, ws, key, m.event, destination.name, now());
  if (!lease.acquired) {
    if (lease.row?.state === 'delivered' && !lease.row.annotatedAt) return finishDelivered(run, lease.row);
    return { result: 'duplicate' };
  }
  let delivered = false;
  try {
    const sent = await send(run);
    if (sent.result !== 'sent') return sent;
    await writeDelivery(run.claims, ws, key, m.event, destination.name, {
      state: 'delivered',
      leaseUntil: '',
      deliveredAt: now().toISOString(),
      status: sent.status,
      ...(sent.reference ? { reference: sent.reference } : {}),
      ...(sent.mergedInto ? { mergedInto: sent.mergedInto } : {}),
    });
    delivered = true;
    recordLatency(run.deps.reliability.metrics, destinationTarget(destination.name), [m.enqueuedAt], now().getTime());
    run.log.info({ status: sent.status, reference: sent.reference }, 'incident forwarded');
    const result: ForwardOutcome = { result: 'delivered', ...(sent.reference ? { reference: sent.reference } : {}) };
    const after =
      m.event === 'created' ? await annotate(run, sent.reference) : sent.mergedInto ? await noteMerge(run, sent.mergedInto) : undefined;
    return !after || after.result === 'annotated' ? result : after;
  } finally {
    if (!delivered) await releaseDelivery(run.claims, ws, key, m.event, destination.name).catch(() => undefined);
  }
}

type Sent = { result: 'sent'; status: number; reference?: string; mergedInto?: string };

/** Reads the incident, formats it for the destination and sends it; a failure comes back scheduled, parked or dead-lettered. */
async function send(run: Run): Promise<ForwardOutcome | Sent> {
  const summary = await readSummary(run);
  if (!('name' in summary)) return summary;
  const { m, destination, config } = run;
  let result: SendResult;
  try {
    const request = formatFor(destination, summary, m.event, m.deliveryId, run.now());
    result = await run.deps.send(destination, request, {
      allowPrivate: config.ALLOW_PRIVATE_DESTINATIONS,
      timeoutMs: run.deps.timeoutMs ?? 15_000,
    });
  } catch (e) {
    result = { ok: false, retryable: false, error: `formatting for ${destination.type} failed: ${(e as Error).message}` };
  }
  const state = await run.circuit.recordOutcome(destination.name, result.ok, result.ok ? undefined : result.error);
  if (result.ok)
    return {
      result: 'sent',
      status: result.status,
      ...(result.reference ? { reference: result.reference } : {}),
      ...(m.event === 'closed' && summary.mergedInto ? { mergedInto: summary.mergedInto } : {}),
    };
  if (state.disabled) return run.park(`destination disabled: ${result.error}`);
  if (result.retryable) {
    return (
      (await run.again(result.error, result.retryAfterMs)) ??
      run.dead(`gave up after ${m.attempt + 1} attempts: ${result.error}`, result.status)
    );
  }
  return run.dead(result.error, result.status);
}

/** The incident as the destination gets it: read afresh, named as the destination knows it, enriched when asked. */
async function readSummary(run: Run): Promise<IncidentSummary | ForwardOutcome> {
  const { m, api, destination } = run;
  let summary: IncidentSummary | undefined;
  try {
    summary = await api.getSummary(m.incident);
  } catch (e) {
    if (e instanceof IncidentShapeError) return run.dead(e.message);
    const reason = `reading the incident from ${api.api} failed: ${(e as Error).message}`;
    return (await run.again(reason, retryAfterOf(e))) ?? run.dead(reason);
  }
  if (!summary) {
    run.log.warn(`the incident no longer exists (${api.api}); nothing to forward`);
    return { result: 'skipped', reason: 'incident not found' };
  }
  if (m.sentAs) summary.name = m.sentAs;
  const toRead = partsToRead(destination);
  if (toRead && m.event === 'created') summary.enrichment = await enrichment(run, summary, toRead);
  return summary;
}

/** The alerts and entities the destination shows and its KQL query results. Enrichment is a bonus: whatever fails is
 * left out (a query's error is shown in its place) rather than hold the alert back. */
async function enrichment(run: Run, summary: IncidentSummary, toRead: EnrichParts): Promise<IncidentEnrichment> {
  const { m, api, destination, deps } = run;
  let found: IncidentEnrichment = {};
  try {
    found = await api.enrich(m.incident, toRead);
  } catch (e) {
    run.log.warn({ error: (e as Error).message }, 'enrichment failed; forwarding without it');
  }
  const shown = shownParts(found, enrichParts(destination));
  const queries = enrichQueriesOf(destination);
  if (!queries.length) return shown;
  const results = await runEnrichQueries(deps.kql, run.ws.workspaceId, queries, queryParameters(summary, found), deps.kqlLimits);
  for (const q of results.filter((r) => r.error)) run.log.warn({ query: q.name, error: q.error }, 'enrichment query failed');
  return { ...shown, queries: results };
}

/** Tag (once) and this destination's comment; a failure re-enqueues the message, which then only annotates. */
async function annotate(run: Run, reference: string | undefined): Promise<ForwardOutcome> {
  const { m, key, destination, api } = run;
  try {
    const tagged = await api.addTag(m.incident, run.config.INCIDENT_TAG);
    if (!tagged) return { result: 'skipped', reason: 'incident not found when tagging' };
    await api.addComment(
      m.incident,
      forwardCommentId(key, m.event, destination.name),
      forwardCommentText(destination, reference, run.now()),
    );
  } catch (e) {
    const reason = `tag/comment in ${api.api} failed: ${(e as Error).message}`;
    return (await run.again(reason, retryAfterOf(e))) ?? run.dead(`${reason} (the destination did receive the incident)`);
  }
  await writeDelivery(run.claims, run.ws, key, m.event, destination.name, { annotatedAt: run.now().toISOString() });
  run.log.info('incident tagged and commented');
  return { result: 'annotated' };
}

/** The closure of a merged incident reached the destination: say so once on the incident it went into. */
async function noteMerge(run: Run, mergedInto: string): Promise<ForwardOutcome> {
  const { m, key, destination, api } = run;
  const text = `Sentinel Bridge: incident ${m.sentAs ?? m.incident}, forwarded to destination "${destination.name}" (${destination.type}), was merged into this incident; the destination was told it is closed.`;
  try {
    await api.addComment(mergedInto, stableGuid('sentinel-bridge', key.toLowerCase(), 'merged', destination.name), text);
  } catch (e) {
    const reason = `the merge note on incident ${mergedInto} failed: ${(e as Error).message}`;
    return (await run.again(reason, retryAfterOf(e))) ?? run.dead(`${reason} (the destination did receive the closure)`);
  }
  await writeDelivery(run.claims, run.ws, key, m.event, destination.name, { annotatedAt: run.now().toISOString() });
  run.log.info({ mergedInto }, 'merge noted on the surviving incident');
  return { result: 'annotated' };
}

/** The wait an API asked for (429/503 Retry-After beyond what its client waits out itself). */
function retryAfterOf(e: unknown): number | undefined {
  const ms = (e as { retryAfterMs?: unknown })?.retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) ? ms : undefined;
}

function safeJson(raw: unknown): string {
  try {
    return (typeof raw === 'string' ? raw : JSON.stringify(raw)).slice(0, 30_000);
  } catch {
    return String(raw).slice(0, 30_000);
  }
}

/** Destinations a `closed` event goes to: those that received the creation and take closed events (SIGNL4 and PagerDuty resolve; webhooks get the CloudEvent). */
export function resolveTargets(destinations: readonly Destination[], forwardedTo: readonly string[]): Destination[] {
  return destinations.filter((d) => forwardedTo.includes(d.name) && formatterFor(d.type).events.includes('closed'));
}
