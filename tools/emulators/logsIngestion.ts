// Logs Ingestion API emulator: the data-plane contract of `POST /dataCollectionRules/{immutableId}/streams/{stream}`
// as @azure/monitor-ingestion and the real service speak it, with the stream declarations taken from the catalog.
//
// What the real service does and this emulator copies (sources in the comments next to each constant):
// - 204 with no body on success, even when it silently drops columns the stream does not declare;
// - 1 MB per call, compressed and uncompressed alike → 413 ContentLengthLimitExceeded;
// - field values over 64 KB are truncated; TimeGenerated older than 2 days or more than 1 day ahead is replaced by
//   the receive time; values that do not fit the column type end up empty (null).
// Every loss is listed at GET /_emulator/dropped so tests can prove the bridge never loses a field.
import { join } from 'node:path';
import { buildCatalog, type CatalogOptions } from '../../shared/catalog/index.js';
import { columnsOf, streamOf } from '../../shared/catalog/tables.js';
import type { ColumnType } from '../../shared/catalog/types.js';
import { type EmulatorRequest, JsonStore, type Reply, type RunningEmulator, reply, startEmulator } from './server.js';
import type { EmulatorTls } from './tls.js';

/**
 * "Maximum size of API call: 1 MB — Both compressed and uncompressed data."
 * (learn.microsoft.com/azure/azure-monitor/fundamentals/service-limits#logs-ingestion-api). The service counts
 * 1 MB as 1,048,576 bytes: its 413 says "Maximum allowed content length: 1048576 bytes (1 MB)." (Azure SDK for .NET
 * live test GreaterThan1MbData). The JS SDK splits at 1,000,000 bytes of JSON, so its chunks always fit.
 */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * "Maximum size for field values: 64 KB — Fields longer than 64 KB are truncated." (same page). Counted in bytes of
 * UTF-8, the body's encoding: the service's trim warning for its former 32 KB limit named "32766 bytes"
 * (github.com/Azure/Azure-Sentinel/issues/9705). A dynamic value is measured as its JSON text.
 */
export const MAX_FIELD_BYTES = 64 * 1024;
/**
 * "The TimeGenerated value cannot be older than 2 days before received time or more than a day in the future. […] it
 * would be replaced with the actual received time." (learn.microsoft.com/azure/azure-monitor/logs/log-standard-columns)
 */
export const TIME_GENERATED_MAX_AGE_MS = 2 * 24 * 3600 * 1000;
export const TIME_GENERATED_MAX_AHEAD_MS = 24 * 3600 * 1000;
/** api-version values the data plane publishes (azure-rest-api-specs specification/monitor/data-plane/ingestion). */
export const SUPPORTED_API_VERSIONS = ['2023-01-01', '2021-11-01-preview', '2023-04-01-preview'] as const;

const SAMPLE_CHARS = 256;
const UPLOAD_LOG_LIMIT = 1000;

export interface DataCollectionRule {
  /** The DCR's immutable id (`dcr-…`), as in the URL. */
  ruleId: string;
  /** Stream names (`Custom-<table>`) the rule declares. */
  streams: string[];
}

export interface LogsIngestionEmulatorOptions {
  port: number;
  host?: string;
  /** Records persist under this folder (logs-ingestion.json) across restarts, like a workspace, until DELETE. */
  dataDir: string;
  tls: EmulatorTls;
  catalogOptions?: CatalogOptions;
  /** When given, only these rule ids exist and each accepts only its streams (404 otherwise). */
  rules?: DataCollectionRule[];
}

/**
 * Why a value did not arrive as sent:
 * - undeclaredColumn: the stream does not declare the column; the service drops it and still answers 204;
 * - missingTimeGenerated: the record had no usable TimeGenerated and was not stored at all (sample = the record);
 * - typeMismatch: the value cannot be converted to the column type; stored as null (sample = the value);
 * - truncated: the value was over 64 KB and was cut;
 * - timeGeneratedAdjusted: TimeGenerated was outside [received − 2 days, received + 1 day] and was replaced by the
 *   receive time (sample = the value sent).
 */
export type DropReason = 'undeclaredColumn' | 'missingTimeGenerated' | 'typeMismatch' | 'truncated' | 'timeGeneratedAdjusted';

export interface DroppedEntry {
  stream: string;
  column: string;
  reason: DropReason;
  /** How many values (records for missingTimeGenerated) this entry stands for. */
  count: number;
  /** The first value seen: as sent when its JSON is short, else a string prefix of its JSON ending in "…". */
  sample?: unknown;
}

/** One service request that reached the ingestion logic (faults injected by /_emulator/faults never get here). */
export interface UploadLogEntry {
  at: string;
  ruleId: string;
  stream: string;
  status: number;
  /** Bytes on the wire and after gunzip. */
  wireBytes: number;
  bytes: number;
  /** Records in the body and records stored (0 unless status 204). */
  records: number;
  stored: number;
  error?: string;
}

type Row = Record<string, unknown>;

interface State {
  records: Record<string, Row[]>;
  dropped: DroppedEntry[];
}

/** The service's error shape: `{"error":{"code","message"}}` plus the `x-ms-error-code` header (REST spec 2023-01-01). */
const fail = (status: number, code: string, message: string): Reply =>
  reply(status, { error: { code, message } }, { 'x-ms-error-code': code });

function sampleOf(value: unknown): unknown {
  const json = JSON.stringify(value) ?? String(value);
  return json.length <= SAMPLE_CHARS ? value : `${json.slice(0, SAMPLE_CHARS)}…`;
}

/** Cuts a string to at most `max` UTF-8 bytes without splitting a character. */
export function truncateUtf8(text: string, max: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= max) return text;
  let end = max;
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return buf.subarray(0, end).toString('utf8');
}

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INT_RANGE = [-(2n ** 31n), 2n ** 31n - 1n] as const;
const LONG_RANGE = [-(2n ** 63n), 2n ** 63n - 1n] as const;

/** The value the column holds after the service converts it; `undefined` when it cannot be converted (→ null). */
function convert(type: ColumnType, value: unknown): unknown {
  if (value === null) return null;
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return JSON.stringify(value);
    case 'int':
    case 'long': {
      // int is a signed 32-bit, long a signed 64-bit integer; a value that does not convert is null ("if you try to
      // input the string abc into an integer column, it results in the null value":
      // learn.microsoft.com/kusto/query/scalar-data-types). Strings of digits convert exactly (tolong("123") == 123,
      // learn.microsoft.com/kusto/query/tolong-function), so a long beyond 2^53 is kept as its digits here.
      const text = typeof value === 'string' ? value.trim() : undefined;
      const exact =
        text !== undefined && INTEGER.test(text)
          ? BigInt(text)
          : typeof value === 'number' && Number.isInteger(value)
            ? BigInt(value)
            : undefined;
      if (exact === undefined) return undefined;
      const [low, high] = type === 'int' ? INT_RANGE : LONG_RANGE;
      if (exact < low || exact > high) return undefined;
      return Number.isSafeInteger(Number(exact)) ? Number(exact) : exact.toString();
    }
    case 'real': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && NUMBER.test(value.trim()) ? Number(value) : Number.NaN;
      return Number.isFinite(n) ? n : undefined;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
      if (value === 0 || value === 1) return value === 1;
      return undefined;
    case 'datetime':
      return typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Date.parse(value)) ? value : undefined;
    case 'guid':
      return typeof value === 'string' && GUID.test(value) ? value : undefined;
    case 'dynamic':
      return value;
  }
}

export async function startLogsIngestionEmulator(options: LogsIngestionEmulatorOptions): Promise<RunningEmulator> {
  const catalog = buildCatalog(options.catalogOptions);
  const declared = new Map(catalog.tables.map((t) => [streamOf(t.table), new Map(columnsOf(t).map((c) => [c.name, c.type]))]));
  const rules = options.rules ? new Map(options.rules.map((r) => [r.ruleId, new Set(r.streams)])) : undefined;
  const store = new JsonStore<State>(join(options.dataDir, 'logs-ingestion.json'), { records: {}, dropped: [] });
  store.data.records ??= {};
  store.data.dropped ??= [];
  const uploads: UploadLogEntry[] = [];

  const report = (stream: string, column: string, reason: DropReason, value: unknown) => {
    const hit = store.data.dropped.find((d) => d.stream === stream && d.column === column && d.reason === reason);
    if (hit) hit.count += 1;
    else store.data.dropped.push({ stream, column, reason, count: 1, ...(value === undefined ? {} : { sample: sampleOf(value) }) });
  };

  /** The record as the table would hold it, or undefined when the service would not store it. */
  const shape = (stream: string, columns: Map<string, ColumnType>, record: Row, received: number): Row | undefined => {
    const row: Row = {};
    for (const [name, sent] of Object.entries(record)) {
      const type = columns.get(name);
      if (!type) {
        report(stream, name, 'undeclaredColumn', sent);
        continue;
      }
      let value = convert(type, sent);
      if (value === undefined) {
        if (name === 'TimeGenerated') continue;
        report(stream, name, 'typeMismatch', sent);
        value = null;
      }
      if (typeof value === 'string' && Buffer.byteLength(value, 'utf8') > MAX_FIELD_BYTES) {
        report(stream, name, 'truncated', value);
        value = truncateUtf8(value, MAX_FIELD_BYTES);
      } else if (type === 'dynamic' && value !== null && typeof value === 'object') {
        const json = JSON.stringify(value);
        if (Buffer.byteLength(json, 'utf8') > MAX_FIELD_BYTES) {
          report(stream, name, 'truncated', value);
          value = truncateUtf8(json, MAX_FIELD_BYTES);
        }
      }
      row[name] = value;
    }
    const time = row.TimeGenerated;
    if (typeof time !== 'string') {
      report(stream, 'TimeGenerated', 'missingTimeGenerated', record);
      return undefined;
    }
    const at = Date.parse(time);
    if (at < received - TIME_GENERATED_MAX_AGE_MS || at > received + TIME_GENERATED_MAX_AHEAD_MS) {
      report(stream, 'TimeGenerated', 'timeGeneratedAdjusted', time);
      row.TimeGenerated = new Date(received).toISOString();
    }
    return row;
  };

  const ingest = async (req: EmulatorRequest, ruleId: string, stream: string): Promise<Reply> => {
    const log: UploadLogEntry = {
      at: new Date().toISOString(),
      ruleId,
      stream,
      status: 0,
      wireBytes: req.wireBytes,
      bytes: req.body.length,
      records: 0,
      stored: 0,
    };
    uploads.push(log);
    if (uploads.length > UPLOAD_LOG_LIMIT) uploads.shift();
    const answer = (r: Reply): Reply => {
      log.status = r.status;
      const err = (r.json as { error?: { code?: string } } | undefined)?.error;
      if (err?.code) log.error = err.code;
      return r;
    };

    if (req.method !== 'POST')
      return answer(fail(405, 'MethodNotAllowed', `The requested resource does not support http method '${req.method}'.`));

    const apiVersion = req.url.searchParams.get('api-version');
    if (!apiVersion) {
      return answer(
        fail(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.'),
      );
    }
    if (!(SUPPORTED_API_VERSIONS as readonly string[]).includes(apiVersion)) {
      return answer(
        fail(
          400,
          'InvalidApiVersionParameter',
          `The api-version '${apiVersion}' is invalid. The supported versions are '${SUPPORTED_API_VERSIONS.join(', ')}'.`,
        ),
      );
    }

    const auth = String(req.headers.authorization ?? '');
    if (!auth) return answer(fail(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing."));
    if (!/^Bearer\s+\S+/i.test(auth)) {
      return answer(fail(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header must carry a Bearer token."));
    }

    const size = Math.max(req.wireBytes, req.body.length);
    if (size > MAX_BODY_BYTES) {
      return answer(
        fail(
          413,
          'ContentLengthLimitExceeded',
          `Maximum allowed content length: ${MAX_BODY_BYTES} bytes (1 MB). Provided content length: ${size} bytes` +
            `${req.wireBytes !== req.body.length ? ` (${req.wireBytes} compressed, ${req.body.length} uncompressed)` : ''}.`,
        ),
      );
    }

    if (rules && !rules.has(ruleId)) return answer(fail(404, 'NotFound', `Data collection rule with immutable Id '${ruleId}' not found.`));
    const columns = declared.get(stream);
    if (!columns || (rules && !rules.get(ruleId)?.has(stream))) {
      return answer(
        fail(404, 'InvalidStream', `Stream '${stream}' is not declared by the data collection rule with immutable Id '${ruleId}'.`),
      );
    }

    let body: unknown;
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch (e) {
      return answer(fail(400, 'InvalidPayload', `The request body is not valid JSON: ${(e as Error).message}`));
    }
    if (!Array.isArray(body)) return answer(fail(400, 'InvalidPayload', 'The request body must be a JSON array of objects.'));
    const bad = body.findIndex((r) => r === null || typeof r !== 'object' || Array.isArray(r));
    if (bad >= 0)
      return answer(fail(400, 'InvalidPayload', `The request body must be a JSON array of objects; element ${bad} is not an object.`));

    log.records = body.length;
    const received = Date.now();
    const rows = (body as Row[]).map((r) => shape(stream, columns, r, received)).filter((r): r is Row => r !== undefined);
    const table = store.data.records[stream] ?? [];
    table.push(...rows);
    store.data.records[stream] = table;
    log.stored = rows.length;
    await store.save();
    return answer(reply(204));
  };

  const inspect = async (req: EmulatorRequest, path: string): Promise<Reply | undefined> => {
    const stream = req.url.searchParams.get('stream');
    if (path === 'records') {
      if (req.method === 'DELETE') {
        if (stream) {
          delete store.data.records[stream];
          store.data.dropped = store.data.dropped.filter((d) => d.stream !== stream);
        } else {
          store.data.records = {};
          store.data.dropped = [];
        }
        await store.save();
        return reply(200, { ok: true });
      }
      return reply(200, stream ? (store.data.records[stream] ?? []) : store.data.records);
    }
    if (path === 'dropped') {
      if (req.method === 'DELETE') {
        store.data.dropped = stream ? store.data.dropped.filter((d) => d.stream !== stream) : [];
        await store.save();
        return reply(200, { ok: true });
      }
      return reply(200, stream ? store.data.dropped.filter((d) => d.stream === stream) : store.data.dropped);
    }
    if (path === 'uploads') {
      if (req.method === 'DELETE') uploads.length = 0;
      return reply(200, uploads);
    }
    if (path === 'streams') {
      return reply(
        200,
        [...declared].map(([name, cols]) => ({ stream: name, columns: [...cols].map(([column, type]) => ({ name: column, type })) })),
      );
    }
    return undefined;
  };

  return startEmulator({
    name: 'logs-ingestion',
    port: options.port,
    ...(options.host ? { host: options.host } : {}),
    tls: options.tls,
    inspect,
    handle(req) {
      const m = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)\/?$/.exec(req.url.pathname);
      if (!m) return undefined;
      return ingest(req, decodeURIComponent(m[1] ?? ''), decodeURIComponent(m[2] ?? ''));
    },
  });
}
