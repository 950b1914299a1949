// POST /api/events[/{source}] and the legacy Data Collector POST /api/logs.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Catalog } from '../catalog/index.js';
import type { Config } from '../config.js';
import { answer, type BridgeRequest, type BridgeResponse, HttpError, json } from '../http.js';
import type { OriginalStore } from '../reliability/originals.js';
import { withinDeadline } from '../storage/clients.js';
import { checkContentType, decodeContent, parseElements, readBody } from './body.js';
import { type GroupCommitter, INGEST_STORAGE_DEADLINE_MS } from './enqueue.js';
import { verifyDataCollector, verifyStandardWebhook } from './signature.js';
import { charsetOf } from './text.js';
import { type ValidatedBatch, validateElements } from './validate.js';

export interface IngestDeps {
  config: Config;
  catalog: Catalog;
  committer: GroupCommitter;
  log: Logger;
  /** Complete originals of records with a field cut to the 64 KB limit. */
  originals: OriginalStore;
  now(): Date;
}

/**
 * Keeps the originals of cut records, then enqueues the valid rows (so no row names a blob that is not there), all
 * within INGEST_STORAGE_DEADLINE_MS; a storage failure or a write with no answer by then is a 503 with Retry-After.
 * A 503 is safe even when a write that timed out did land after all: the sender retries, and the resent events carry
 * the same content-derived EventId, so a duplicate shows in `summarize count() by EventId` (README "Storage failures").
 */
async function commit(deps: IngestDeps, batch: ValidatedBatch, batchId: string): Promise<void> {
  try {
    await withinDeadline(INGEST_STORAGE_DEADLINE_MS, 'writing the events queue', async (signal) => {
      await deps.originals.keep(batch.originals, signal);
      await deps.committer.submit(batch.streams, signal);
    });
  } catch (e) {
    deps.log.error({ batchId, err: (e as Error).message }, 'enqueue failed');
    throw new HttpError(503, 'events could not be stored; nothing was accepted, retry later', { batchId }, { 'retry-after': '5' });
  }
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
    const limit = deps.config.INGEST_MAX_BODY_BYTES;
    const body = await decodeContent(request, await readBody(request, limit), limit);
    if (deps.config.INGEST_HMAC_SECRET) verifyStandardWebhook(deps.config.INGEST_HMAC_SECRET, body, request.headers);
    const elements = parseElements(body, charset);
    if (elements.length === 0) throw new HttpError(400, 'no events: the body is an empty array');
    const batch = validateElements(elements, {
      catalog: deps.catalog,
      source,
      typeHint: request.query.get('type') ?? undefined,
      context: { receivedAt: deps.now().toISOString() },
      originalUrl: (blob) => deps.originals.urlOf(blob),
    });
    const batchId = randomUUID();
    if (batch.accepted === 0)
      throw new HttpError(400, 'no valid events in the request', { batchId, accepted: 0, rejected: batch.rejected });
    await commit(deps, batch, batchId);
    return json(202, { batchId, accepted: batch.accepted, rejected: batch.rejected });
  });
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
    const body = await readBody(request, deps.config.INGEST_MAX_BODY_BYTES);
    verifyDataCollector({ workspaceId, sharedKey }, body, request.headers, deps.now().getTime());
    const elements = parseElements(body, charset);
    const named = deps.catalog.typeForLogType(logType);
    const source = named?.source ?? deps.catalog.source('generic');
    const eventType = named?.type;
    if (!source) throw new Error('catalog has no generic source');
    const timeField = request.headers.get('time-generated-field') ?? undefined;
    const batch = validateElements(elements, {
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
}
