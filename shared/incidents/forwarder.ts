// Forwards one incident event to one destination (a message from the `incidents` queue), then tags and comments the
// incident in Sentinel. Every step is idempotent, so a duplicate or retried message never forwards twice:
//   1. a delivery row (claims table) already marks this event done at this destination → only finish what is left;
//   2. a `closed` event waits until the `created` one reached the destination (resolve after trigger);
//   3. a disabled destination (shared circuit, target `destination:<name>`) parks the message (never dropped);
//      otherwise the delivery's lease is taken (of two copies of one message only one sends), the incident is read
//      afresh, formatted and sent;
//   4. a retryable failure is re-enqueued with the retry schedule's visibility delay (no sleeping in a function),
//      an exhausted or hopeless one is dead-lettered (Holding `deadletters`, stream `incidents:<destination>`); a
//      failure that disables the destination parks the message instead;
//   5. on success the delivery row is written, then the label (once, ETag-conditional) and one comment per
//      destination (a deterministic comment id) are added; a Sentinel failure there retries only that part.
import type { TableClient } from '@azure/data-tables';
import type { Logger } from 'pino';
import type { Config, Destination, SentinelWorkspace } from '../config.js';
import { formatFor, formatterFor, fromArmIncident, receives } from '../destinations/index.js';
import type { SendResult } from '../destinations/send.js';
import { recordLatency } from '../reliability/metrics.js';
import { destinationTarget } from '../reliability/targets.js';
import { acquireDelivery, readDelivery, releaseDelivery, writeDelivery } from './claims.js';
import type { IncidentDeps } from './deps.js';
import { enrichIncident } from './enrichment.js';
import { decodeMessage, enqueueMessage, type IncidentMessage } from './messages.js';
import { type CircuitSeam, destinationCircuit, holdIncident } from './outcomes.js';
import type { SentinelClient } from './sentinelClient.js';
import { addIncidentLabel, forwardCommentId, forwardCommentText } from './tagging.js';
import { findWorkspace, workspaceArmId } from './workspaces.js';

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
  ws: SentinelWorkspace;
  destination: Destination;
  sentinel: SentinelClient;
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
  const { config, storage: st, now, retry, reliability: delivery } = deps;
  const log = deps.log.child({ component: 'forwardIncident' });

  const decoded = decodeMessage(raw);
  if ('error' in decoded) {
    await holdIncident(delivery, 'deadletters', 'unknown', raw !== null && typeof raw === 'object' ? raw : { raw: safeJson(raw) }, {
      reason: decoded.error,
    });
    log.error({ error: decoded.error }, 'dead-lettered a malformed incident message');
    return { result: 'dead-lettered', reason: decoded.error };
  }
  const m = decoded;
  const ctx = { incident: m.incident, event: m.event, destination: m.destination, deliveryId: m.deliveryId, attempt: m.attempt };
  const dead = async (reason: string, status?: number): Promise<ForwardOutcome> => {
    await holdIncident(delivery, 'deadletters', m.destination, m, {
      reason,
      attempts: m.attempt + 1,
      ...(status !== undefined ? { status } : {}),
    });
    log.error({ ...ctx, reason }, 'incident delivery dead-lettered');
    return { result: 'dead-lettered', reason };
  };
  const destination = config.DESTINATIONS.find((d) => d.name === m.destination);
  const ws = findWorkspace(config.SENTINEL_WORKSPACES, m.workspace);
  if (!destination) return dead(`destination "${m.destination}" is not configured (DESTINATIONS); replay after adding it back`);
  if (!ws) return dead(`workspace ${m.workspace.workspaceName} is not configured (SENTINEL_WORKSPACES)`);
  if (!receives(destination, m.event)) return { result: 'skipped', reason: `${destination.type} destinations take no ${m.event} events` };

  const run: Run = {
    config,
    m,
    ws,
    destination,
    sentinel: deps.sentinel,
    claims: st.table('claims'),
    circuit: deps.circuit ?? destinationCircuit(delivery),
    log: log.child(ctx),
    now,
    deps,
    async again(reason, retryAfterMs, minDelayMs = 0) {
      const step = retry(m.attempt + 1, retryAfterMs);
      if (!step) return undefined;
      const delayMs = Math.max(step.delayMs, minDelayMs);
      await enqueueMessage(st.queue('incidents'), { ...m, attempt: m.attempt + 1 }, delayMs);
      log.warn({ ...ctx, delayMs, reason }, 'incident delivery will be retried');
      return { result: 'retry', delayMs, reason };
    },
    dead,
    async park(reason) {
      await holdIncident(delivery, 'parked', destination.name, m, { reason, attempts: m.attempt + 1 });
      log.warn({ ...ctx, reason }, 'incident delivery parked');
      return { result: 'parked' };
    },
  };

  const done = await readDelivery(run.claims, ws, m.incident, m.event, destination.name);
  if (done?.state === 'delivered') {
    if (m.event === 'closed' || done.annotatedAt) return { result: 'duplicate' };
    return annotate(run, done.reference);
  }

  if (m.event === 'closed') {
    const opened = await readDelivery(run.claims, ws, m.incident, 'created', destination.name);
    if (opened?.state !== 'delivered') {
      const waiting = await run.again('waiting for the created event to reach the destination first', undefined, RESOLVE_WAIT_MS);
      if (!waiting) return dead('the incident was closed, but its creation never reached this destination, so there is nothing to resolve');
      return { result: 'deferred', delayMs: (waiting as { delayMs: number }).delayMs };
    }
  }

  if (await run.circuit.isOpen(destination.name)) return run.park('destination disabled (auto-disable); parked until it is re-enabled');

  // Of two copies of this message only the lease holder sends; the other stops here (the holder's own retries carry
  // the delivery on should it fail).
  const lease = await acquireDelivery(run.claims, ws, m.incident, m.event, destination.name, now());
  if (!lease.acquired) {
    if (lease.row?.state === 'delivered' && m.event === 'created' && !lease.row.annotatedAt) return annotate(run, lease.row.reference);
    return { result: 'duplicate' };
  }
  let delivered = false;
  try {
    const sent = await send(run);
    if (sent.result !== 'sent') return sent;
    await writeDelivery(run.claims, ws, m.incident, m.event, destination.name, {
      state: 'delivered',
      leaseUntil: '',
      deliveredAt: now().toISOString(),
      status: sent.status,
      ...(sent.reference ? { reference: sent.reference } : {}),
    });
    delivered = true;
    recordLatency(run.deps.reliability.metrics, destinationTarget(destination.name), [m.enqueuedAt], now().getTime());
    run.log.info({ status: sent.status, reference: sent.reference }, 'incident forwarded');
    const result: ForwardOutcome = { result: 'delivered', ...(sent.reference ? { reference: sent.reference } : {}) };
    if (m.event === 'closed') return result;
    const annotated = await annotate(run, sent.reference);
    return annotated.result === 'annotated' ? result : annotated;
  } finally {
    if (!delivered) await releaseDelivery(run.claims, ws, m.incident, m.event, destination.name).catch(() => undefined);
  }
}

/** Reads the incident, formats it for the destination and sends it; a failure comes back scheduled, parked or dead-lettered. */
async function send(run: Run): Promise<ForwardOutcome | { result: 'sent'; status: number; reference?: string }> {
  const { m, ws, destination, sentinel, config } = run;
  let arm: Awaited<ReturnType<SentinelClient['getIncident']>>;
  try {
    arm = await sentinel.getIncident(ws, m.incident);
  } catch (e) {
    const reason = `reading the incident from Sentinel failed: ${(e as Error).message}`;
    return (await run.again(reason)) ?? run.dead(reason);
  }
  if (!arm) {
    run.log.warn('the incident no longer exists in Sentinel; nothing to forward');
    return { result: 'skipped', reason: 'incident not found' };
  }
  let summary: ReturnType<typeof fromArmIncident>;
  try {
    summary = fromArmIncident(arm, workspaceArmId(ws));
  } catch (e) {
    return run.dead((e as Error).message);
  }
  if (destination.enrich && m.event === 'created') {
    try {
      summary.enrichment = await enrichIncident(sentinel, ws, m.incident);
    } catch (e) {
      // Enrichment is a bonus: forward without it rather than hold the alert back.
      run.log.warn({ error: (e as Error).message }, 'enrichment failed; forwarding without it');
    }
  }

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
  if (result.ok) return { result: 'sent', status: result.status, ...(result.reference ? { reference: result.reference } : {}) };
  if (state.disabled) return run.park(`destination disabled: ${result.error}`);
  if (result.retryable) {
    return (
      (await run.again(result.error, result.retryAfterMs)) ??
      run.dead(`gave up after ${m.attempt + 1} attempts: ${result.error}`, result.status)
    );
  }
  return run.dead(result.error, result.status);
}

/** Label (once) and this destination's comment; a failure re-enqueues the message, which then only annotates. */
async function annotate(run: Run, reference: string | undefined): Promise<ForwardOutcome> {
  const { m, ws, destination, sentinel } = run;
  try {
    const labelled = await addIncidentLabel(sentinel, ws, m.incident, run.config.INCIDENT_TAG);
    if (!labelled) return { result: 'skipped', reason: 'incident not found when tagging' };
    await sentinel.putComment(
      ws,
      m.incident,
      forwardCommentId(m.incident, m.event, destination.name),
      forwardCommentText(destination, reference, run.now()),
    );
  } catch (e) {
    const reason = `tag/comment in Sentinel failed: ${(e as Error).message}`;
    return (await run.again(reason)) ?? run.dead(`${reason} (the destination did receive the incident)`);
  }
  await writeDelivery(run.claims, ws, m.incident, m.event, destination.name, { annotatedAt: run.now().toISOString() });
  run.log.info('incident tagged and commented');
  return { result: 'annotated' };
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
