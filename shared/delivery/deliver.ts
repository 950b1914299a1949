// The queue-triggered delivery of one envelope: send its rows; on failure re-enqueue only the failed rows with the
// retry schedule's delay, dead-letter what a retry cannot fix, park when the target is disabled. Nothing is dropped:
// every row ends delivered, re-enqueued, parked or dead-lettered before the message is let go.
import type { ContainerClient } from '@azure/storage-blob';
import type { Logger } from 'pino';
import type { Catalog } from '../catalog/index.js';
import type { JsonRecord } from '../catalog/types.js';
import type { Config } from '../config.js';
import { type CostGuard, capNotice, MB } from '../reliability/costGuard.js';
import { type Envelope, parseEnvelope, rowsOf, UnreadableMessageError } from '../reliability/envelope.js';
import type { EnvelopeWriter } from '../reliability/envelopeWriter.js';
import { type Reliability, recordCall } from '../reliability/index.js';
import { recordLatency } from '../reliability/metrics.js';
import { retryStep } from '../reliability/retrySchedule.js';
import { streamTarget } from '../reliability/targets.js';
import type { FailureInfo } from './outcome.js';
import type { LogsSender } from './sender.js';

/** What delivery needs: the reliability core plus the Logs Ingestion sender and the events queue writer. */
export interface DeliveryDeps extends Reliability {
  config: Config;
  catalog: Catalog;
  sender: LogsSender;
  writer: EnvelopeWriter;
  claimChecks: ContainerClient;
  log: Logger;
  /** Daily caps per table (INGEST_DAILY_CAP_MB): the excess is parked. */
  costGuard: CostGuard;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The envelope of a queue message and its rows; undefined when the message cannot be read (then it is already kept
 * as an unreadable dead letter with its raw text and the reason). Anything else — storage or network trouble, with a
 * status code or none — is thrown, so the host retries the message; its dequeue count bounds the retries, and the
 * poison handler keeps what is left.
 */
async function openEnvelope(deps: DeliveryDeps, message: unknown): Promise<{ envelope: Envelope; rows: JsonRecord[] } | undefined> {
  try {
    const envelope = parseEnvelope(message);
    return { envelope, rows: await rowsOf(envelope, deps.claimChecks) };
  } catch (e) {
    if (!(e instanceof UnreadableMessageError)) throw e;
    await deps.deadLetters.putUnreadable(message, `queue message is not a readable bridge envelope: ${e.message}`);
    return undefined;
  }
}

/** Every row is now delivered or stored elsewhere: the claim-check blob has served. */
async function releaseClaimCheck(deps: DeliveryDeps, envelope: Envelope): Promise<void> {
  if (envelope.enc === 'blob') await deps.claimChecks.getBlockBlobClient(envelope.blob).deleteIfExists();
}

export async function deliverEnvelope(message: unknown, deps: DeliveryDeps): Promise<void> {
  const opened = await openEnvelope(deps, message);
  if (!opened) return;
  const { envelope, rows } = opened;
  const { stream } = envelope;
  if (envelope.retry === 0) deps.stats.add(stream, { accepted: rows.length });

  await handleRows(deps, envelope, rows);
  await releaseClaimCheck(deps, envelope);
}

async function handleRows(deps: DeliveryDeps, envelope: Envelope, all: JsonRecord[]): Promise<void> {
  const { stream } = envelope;
  if (deps.circuit.knownDisabled(stream)) {
    await park(deps, envelope, all, 'target disabled (auto-disable); parked until it is re-enabled');
    return deps.stats.maybeFlush();
  }
  const { send: rows, park: overCap } = await deps.costGuard.admit(stream, all);
  if (overCap.length) await parkOverCap(deps, envelope, overCap);
  if (rows.length === 0) return deps.stats.maybeFlush();

  const result = await deps.sender.send(stream, rows);
  deps.costGuard.release(
    stream,
    rows,
    result.failures.flatMap((f) => f.rows),
  );
  await deps.costGuard.maybeMerge();
  // Counted before recordCall, whose flush (on a failure, or the interval) then writes it.
  deps.usage.record(stream, result.deliveredBytes);
  if (result.failures.length === 0) {
    await recordCall(deps, streamTarget(stream), { ok: true, delivered: result.delivered }, 'events');
    recordLatency(
      deps.metrics,
      streamTarget(stream),
      rows.map((r) => r.ReceivedAt),
      deps.now(),
    );
    if (envelope.retry > 0) {
      await deps.ledger.record({
        stream,
        envelopeId: envelope.id,
        state: 'delivered',
        attempts: envelope.retry + 1,
        updatedAt: iso(deps.now()),
      });
    }
    return;
  }

  const firstReason = result.failures[0]?.info.reason ?? 'failed';
  const failed = result.failures.reduce((n, f) => n + f.rows.length, 0);
  const circuit = await recordCall(
    deps,
    streamTarget(stream),
    { ok: false, delivered: result.delivered, failed, reason: firstReason },
    'events',
  );
  for (const failure of result.failures) {
    if (circuit.disabled) await park(deps, envelope, failure.rows, `target disabled: ${failure.info.reason}`, failure.info);
    else await retryOrDeadLetter(deps, envelope, failure.rows, failure.info);
  }
  await deps.stats.flush();
}

/** Stores rows where they wait (parked or dead-lettered), counts them, and records the final state in the ledger. */
async function hold(
  deps: DeliveryDeps,
  kind: 'parked' | 'deadLettered',
  envelope: Envelope,
  rows: JsonRecord[],
  reason: string,
  info?: Partial<FailureInfo> & { firstFailureAt?: string },
): Promise<void> {
  const attempts = envelope.retry + 1;
  const status = info?.status ? { status: info.status } : {};
  const firstFailureAt = info?.firstFailureAt ? { firstFailureAt: info.firstFailureAt } : {};
  await (kind === 'parked' ? deps.parked : deps.deadLetters).put(envelope.stream, rows, {
    envelopeId: envelope.id,
    reason,
    attempts,
    ...status,
    ...firstFailureAt,
  });
  deps.stats.add(envelope.stream, kind === 'parked' ? { parked: rows.length } : { deadLettered: rows.length });
  await deps.ledger.record({
    stream: envelope.stream,
    envelopeId: envelope.id,
    state: kind,
    attempts,
    lastError: reason,
    updatedAt: iso(deps.now()),
    ...firstFailureAt,
    ...(info?.status ? { lastStatus: info.status } : {}),
  });
  if (kind === 'deadLettered')
    deps.log.warn({ stream: envelope.stream, envelopeId: envelope.id, rows: rows.length, reason }, 'dead-lettered');
}

const park = (deps: DeliveryDeps, envelope: Envelope, rows: JsonRecord[], reason: string, info?: FailureInfo) =>
  hold(deps, 'parked', envelope, rows, reason, info);

/** Rows past the stream's daily cap wait in order; the instance that marks the stream capped today notifies, once. */
async function parkOverCap(deps: DeliveryDeps, envelope: Envelope, rows: JsonRecord[]): Promise<void> {
  const cap = deps.costGuard.capOf(envelope.stream) ?? 0;
  const { resume } = deps.costGuard.settings;
  const until = resume === 'auto' ? 'the next UTC day (INGEST_CAP_RESUME=auto) or POST /api/replay' : 'POST /api/replay';
  await park(deps, envelope, rows, `daily cap of ${cap / MB} MB reached (INGEST_DAILY_CAP_MB); parked until ${until}`);
  if (await deps.costGuard.markCapped(envelope.stream)) await deps.notify(capNotice(envelope.stream, cap, resume, deps.now()));
}

async function retryOrDeadLetter(deps: DeliveryDeps, envelope: Envelope, rows: JsonRecord[], info: FailureInfo): Promise<void> {
  const attempts = envelope.retry + 1;
  const firstFailureAt = envelope.firstFailureAt ?? iso(deps.now());
  const step = info.retryable ? retryStep(attempts, info.retryAfterMs) : undefined;
  const base = {
    stream: envelope.stream,
    envelopeId: envelope.id,
    attempts,
    lastError: info.reason,
    firstFailureAt,
    updatedAt: iso(deps.now()),
    ...(info.status ? { lastStatus: info.status } : {}),
  };
  if (!step) {
    const reason = info.retryable ? `retries exhausted after ${attempts} attempts: ${info.reason}` : info.reason;
    return hold(deps, 'deadLettered', envelope, rows, reason, { ...info, firstFailureAt });
  }
  const nextAttemptAt = iso(deps.now() + step.delayMs);
  await deps.ledger.record({ ...base, state: 'retrying', cycle: step.cycle, nextAttemptAt });
  await deps.writer.write(envelope.stream, rows, {
    visibilityTimeoutSeconds: Math.ceil(step.delayMs / 1000),
    meta: { id: envelope.id, retry: attempts, firstFailureAt },
  });
}

/** A message the host moved to the poison queue: its rows become dead letters with the reason. */
export async function deadLetterPoison(message: unknown, deps: DeliveryDeps): Promise<void> {
  const opened = await openEnvelope(deps, message);
  if (!opened) return;
  const { envelope, rows } = opened;
  const reason =
    'the delivery function failed on this message on every attempt (moved to events-poison by the host); see the function logs';
  await hold(deps, 'deadLettered', envelope, rows, reason);
  await deps.stats.flush();
  await releaseClaimCheck(deps, envelope);
}
