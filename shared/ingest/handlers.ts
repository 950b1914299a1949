// POST /api/events[/{source}] and the legacy Data Collector POST /api/logs.
import { randomUUID } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { DriftTally } from '../catalog/drift.js';
import type { Catalog } from '../catalog/index.js';
import type { Config } from '../config.js';
import { answer, type BridgeRequest, type BridgeResponse, HttpError, json } from '../http.js';
import type { GroupWriter } from '../reliability/envelopeWriter.js';
import type { OriginalRecord, OriginalStore } from '../reliability/originals.js';
import type { Usage } from '../reliability/usage.js';
import { withinDeadline } from '../storage/clients.js';
import { bodyElements, checkContentType, decodeContent, readBody } from './body.js';
import type { BudgetLease, InflightBudget } from './budget.js';
import { type GroupCommitter, INGEST_STORAGE_DEADLINE_MS, RowPacker } from './enqueue.js';
import type { Remembered, ReplayKind, ReplayStore } from './replays.js';
import {
  checkDataCollectorHeaders,
  checkWebhookHeaders,
  verifyDataCollectorSignature,
  verifyStandardWebhook,
  WEBHOOK_TOLERANCE_MS,
} from './signature.js';
import { type Charset, charsetOf } from './text.js';
import { type ValidateOptions, Validator } from './validate.js';

export interface IngestDeps {
  config: Config;
  catalog: Catalog;
  committer: GroupCommitter;
  /** Writes the messages a large request packed while reading its body. */
  groupWriter: GroupWriter;
  /** Body bytes in flight on this instance (INGEST_INFLIGHT_MB): past it, a new request is a 503. */
  budget: InflightBudget;
  log: Logger;
  /** Complete originals of records with a field cut to the 64 KB limit. */
  originals: OriginalStore;
  /** Signed requests seen inside their replay window. */
  replays: ReplayStore;
  /** Counts the schema drift of accepted records (written on the stats cadence). */
  usage: Usage;
  now(): Date;
}

/** Records a signed request once per window; a storage failure is a 503 like any other. */
async function rememberSigned(deps: IngestDeps, kind: ReplayKind, key: string, windowEnd: Date, batchId?: string): Promise<Remembered> {
  try {
    return await deps.replays.remember(kind, key, windowEnd, batchId);
  } catch (e) {
    deps.log.error({ kind, err: (e as Error).message }, 'replay store unavailable');
    const message = 'the signed request could not be checked for replays (storage); nothing was accepted, retry later';
    throw new HttpError(503, message, {}, { 'retry-after': '5' });
  }
}

/** Runs the rest of a signed request; when it fails, the key is given back so the sender's retry is not a replay. */
async function onceSigned<T>(deps: IngestDeps, kind: ReplayKind, key: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    await deps.replays.forget(kind, key).catch((err: unknown) => {
      deps.log.warn({ kind, err: (err as Error).message }, 'could not give back a replay key; a retry inside the window is refused');
    });
    throw e;
  }
}

/** How long a request may spend writing the schema drift counters (once per instance every few minutes). */
const DRIFT_FLUSH_DEADLINE_MS = 2_000;

/**
 * Keeps the originals of cut records, then enqueues the valid rows (so no row names a blob that is not there), all
 * within INGEST_STORAGE_DEADLINE_MS; a storage failure or a write with no answer by then is a 503 with Retry-After.
 * A 503 is safe even when a write that timed out did land after all: the sender retries, and the resent events carry
 * the same content-derived EventId, so a duplicate shows in `summarize count() by EventId` (README "Storage failures").
 */
async function commit(
  deps: IngestDeps,
  batch: { originals: OriginalRecord[]; packer: RowPacker; drift: DriftTally },
  batchId: string,
): Promise<void> {
  try {
    await withinDeadline(INGEST_STORAGE_DEADLINE_MS, 'writing the events queue', async (signal) => {
      await deps.originals.keep(batch.originals, signal);
      await batch.packer.commit(deps.committer, deps.groupWriter, signal);
    });
  } catch (e) {
    deps.log.error({ batchId, err: (e as Error).message }, 'enqueue failed');
    throw new HttpError(503, 'events could not be stored; nothing was accepted, retry later', { batchId }, { 'retry-after': '5' });
  }
  // Counted once stored (a 503 is retried by the sender); written at most every few minutes, briefly (what is not
  // written in time stays counted for the next flush), and never failing the request.
  deps.usage.addDrift(batch.drift);
  // Checked first: the happy path sets up no deadline when nothing is due.
  if (!deps.usage.flushDue()) return;
  await withinDeadline(DRIFT_FLUSH_DEADLINE_MS, 'writing the schema drift', (signal) => deps.usage.flushDrift(signal)).catch(
    (e: unknown) => {
      deps.log.warn({ err: (e as Error).message }, 'schema drift counters not written; kept for the next flush');
    },
  );
}

export function handleEvents(request: BridgeRequest, deps: IngestDeps): Promise<BridgeResponse> {
  return answer(async () => {
    const sourceName = request.params.source ?? request.query.get('source') ?? 'generic';
    const source = deps.catalog.source(sourceName);
    if (!source) {
      const known = deps.catalog.sources.map((s) => s.name);
      throw new HttpError(404, `unknown source "${sourceName}"; known sources: ${known.join(', ')}`, { knownSources: known });
    }
    const charset = checkContentType(request);
    const secret = deps.config.INGEST_HMAC_SECRET;
    // Headers and the timestamp window first: nothing is read or decompressed for a request that cannot be signed.
    const signed = secret ? checkWebhookHeaders(request.headers, deps.now()) : undefined;
    const limit = deps.config.INGEST_MAX_BODY_BYTES;
    return withinBudget(request, deps, async (lease) => {
      const raw = await readBody(request, limit, (n) => lease.growTo(n));
      const body = await decodeContent(request, raw, limit);
      // A decoded body is held beside the bytes it came from.
      if (body !== raw) lease.growTo(raw.length + body.length);
      if (!secret || !signed) return accept(request, deps, source, charset, body, randomUUID());
      verifyStandardWebhook(secret, body, request.headers);
      const batchId = randomUUID();
      const windowEnd = new Date(signed.timestamp.getTime() + WEBHOOK_TOLERANCE_MS);
      const seen = await rememberSigned(deps, 'webhook', signed.id, windowEnd, batchId);
      // The signature covers webhook-id and body: a repeat is the same message, answered as done (Standard Webhooks'
      // idempotency key) with the batch it became, and not stored again.
      if (!seen.first)
        return json(202, { batchId: seen.batchId ?? null, accepted: 0, rejected: [], duplicate: true, webhookId: signed.id });
      return onceSigned(deps, 'webhook', signed.id, () => accept(request, deps, source, charset, body, batchId));
    });
  });
}

/**
 * Runs the body's part of a request inside the instance's in-flight budget: the declared Content-Length is taken
 * before anything is read (a 503 with Retry-After when it does not fit), the bytes read as they come, and the whole
 * share given back however the request ends.
 */
async function withinBudget(request: BridgeRequest, deps: IngestDeps, run: (lease: BudgetLease) => Promise<BridgeResponse>) {
  const lease = deps.budget.lease();
  try {
    const declared = Number(request.headers.get('content-length'));
    // Past the body limit it is a 413, which readBody answers.
    if (Number.isFinite(declared) && declared <= deps.config.INGEST_MAX_BODY_BYTES) lease.growTo(declared);
    return await run(lease);
  } finally {
    lease.release();
  }
}

/** Elements validated between two turns of the event loop. */
const YIELD_EVERY = 500;

/**
 * Validates the body's elements as they are read and packs their rows as they come (RowPacker), letting the event
 * loop turn every few hundred elements: a 30 MB body takes seconds, and the other requests on the instance (their
 * storage writes, inside their deadline) go on meanwhile.
 */
async function validateBody(body: Buffer, charset: Charset, options: ValidateOptions) {
  const packer = new RowPacker();
  const validator = new Validator(options, packer);
  let n = 0;
  for (const element of bodyElements(body, charset)) {
    validator.add(element);
    if (++n % YIELD_EVERY === 0) await setImmediate();
  }
  return { packer, ...validator.result() };
}

async function accept(
  request: BridgeRequest,
  deps: IngestDeps,
  source: NonNullable<ReturnType<Catalog['source']>>,
  charset: Charset,
  body: Buffer,
  batchId: string,
): Promise<BridgeResponse> {
  const batch = await validateBody(body, charset, {
    catalog: deps.catalog,
    source,
    typeHint: request.query.get('type') ?? undefined,
    context: { receivedAt: deps.now().toISOString() },
    originalUrl: (blob) => deps.originals.urlOf(blob),
  });
  if (batch.elements === 0) throw new HttpError(400, 'no events: the body is an empty array');
  if (batch.accepted === 0) throw new HttpError(400, 'no valid events in the request', { batchId, accepted: 0, rejected: batch.rejected });
  await commit(deps, batch, batchId);
  return json(202, { batchId, accepted: batch.accepted, rejected: batch.rejected });
}

const LOG_TYPE = /^[A-Za-z0-9_]{1,100}$/;

/** The retired HTTP Data Collector API, signature and all: legacy senders change only the host name. */
export function handleLegacyLogs(request: BridgeRequest, deps: IngestDeps): Promise<BridgeResponse> {
  return answer(async () => {
    const legacyError = (status: number, code: string, message: string, extra: Record<string, unknown> = {}) =>
      new HttpError(status, message, { Error: code, Message: message, ...extra });
    const { DATA_COLLECTOR_WORKSPACE_ID: workspaceId, DATA_COLLECTOR_SHARED_KEY: sharedKey } = deps.config;
    if (!workspaceId || !sharedKey) {
      throw legacyError(
        403,
        'InvalidAuthorization',
        'the legacy Data Collector endpoint is off: set DATA_COLLECTOR_WORKSPACE_ID and DATA_COLLECTOR_SHARED_KEY',
      );
    }
    const apiVersion = request.query.get('api-version');
    if (apiVersion && apiVersion !== '2016-04-01')
      throw legacyError(400, 'InvalidApiVersion', `api-version ${apiVersion} is not supported; use 2016-04-01`);
    const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (type && type !== 'application/json') throw legacyError(415, 'UnsupportedContentType', 'Content-Type must be application/json');
    const charset = charsetOf(request.headers.get('content-type'));
    const logType = request.headers.get('log-type') ?? '';
    if (!LOG_TYPE.test(logType)) throw legacyError(400, 'InvalidLogType', 'Log-Type must be 1-100 letters, digits or underscores');
    const checked = checkDataCollectorHeaders(request.headers, deps.now().getTime());
    return withinBudget(request, deps, async (lease) => {
      const body = await readBody(request, deps.config.INGEST_MAX_BODY_BYTES, (n) => lease.growTo(n));
      verifyDataCollectorSignature({ workspaceId, sharedKey }, checked, body);
      // The SharedKey signature covers the date and the body's length, not its bytes: a repeated Authorization value
      // may carry another body, so it is refused (403, as the old API refused a bad signature), not taken as a retry.
      const seen = await rememberSigned(deps, 'sharedkey', checked.authorization, checked.windowEnd);
      if (!seen.first)
        throw legacyError(
          403,
          'InvalidAuthorization',
          'this Authorization value was already used (replay); sign every request with its own x-ms-date',
        );
      return onceSigned(deps, 'sharedkey', checked.authorization, async () => {
        const named = deps.catalog.typeForLogType(logType);
        const source = named?.source ?? deps.catalog.source('generic');
        const eventType = named?.type;
        if (!source) throw new Error('catalog has no generic source');
        const timeField = request.headers.get('time-generated-field') ?? undefined;
        const batch = await validateBody(body, charset, {
          catalog: deps.catalog,
          source,
          eventType,
          // A Log-Type naming a shared table says nothing about each record's type; any other names it.
          typeHint: named && !named.type ? undefined : logType,
          context: { receivedAt: deps.now().toISOString(), ...(timeField ? { timeField } : {}) },
          originalUrl: (blob) => deps.originals.urlOf(blob),
        });
        // Legacy senders read no per-record report, so a batch is taken whole or refused whole.
        if (batch.rejected.length)
          throw legacyError(400, 'InvalidDataFormat', `${batch.rejected.length} record(s) are invalid; nothing was accepted`, {
            rejected: batch.rejected,
          });
        if (batch.accepted === 0) throw legacyError(400, 'InvalidDataFormat', 'no records in the body');
        await commit(deps, batch, randomUUID());
        return { status: 200 };
      });
    });
  });
}
