// Sends rows to Log Analytics with the Logs Ingestion SDK: its gzip, 1 MB chunking and chunk concurrency; our
// retry schedule instead of its own. Rows are shaped to the stream's declared columns first, because the service
// answers 204 and silently drops undeclared columns.
import { LogsIngestionClient, type LogsUploadFailure } from '@azure/monitor-ingestion';
import type { AzureAccess } from '../azure/credential.js';
import { fitRow } from '../catalog/fieldLimit.js';
import type { Catalog } from '../catalog/index.js';
import { shapeToTable } from '../catalog/rows.js';
import type { JsonRecord } from '../catalog/types.js';
import type { Config, LogsIngestionRule } from '../config.js';
import { rowBytes } from '../reliability/costGuard.js';
import { markCutAtDelivery, type OriginalRecord, type OriginalStore } from '../reliability/originals.js';
import { classifyFailure, type FailureInfo } from './outcome.js';

/** The Logs Ingestion API takes at most 1 MB per call; the SDK cannot split a single record. */
export const MAX_RECORD_BYTES = 1_000_000;
/** The service refuses TimeGenerated older than about two days or more than a day ahead. */
const MAX_AGE_MS = 47 * 3600_000;
const MAX_AHEAD_MS = 23 * 3600_000;

export interface FailedRows {
  rows: JsonRecord[];
  info: FailureInfo;
}

export interface SendResult {
  delivered: number;
  /** UTF-8 bytes of the JSON of the rows delivered, as sent: what Log Analytics bills (shared/reliability/usage.ts). */
  deliveredBytes: number;
  failures: FailedRows[];
}

/** Keeps the event's own time in EventTime and moves TimeGenerated to now when the service would refuse it. */
export function clampTimeGenerated(row: JsonRecord, now: number): JsonRecord {
  const t = Date.parse(String(row.TimeGenerated));
  if (!Number.isNaN(t) && t >= now - MAX_AGE_MS && t <= now + MAX_AHEAD_MS) return row;
  return { ...row, EventTime: row.EventTime ?? row.TimeGenerated, TimeGenerated: new Date(now).toISOString() };
}

export class LogsSender {
  private readonly clients = new Map<string, LogsIngestionClient>();
  private readonly rules = new Map<string, LogsIngestionRule>();

  constructor(
    private readonly config: Config,
    private readonly catalog: Catalog,
    private readonly azure: AzureAccess,
    /** Where a row cut to the 64 KB field limit only now (not at ingest) keeps its uncut copy. */
    private readonly originals: OriginalStore,
    private readonly now: () => number,
  ) {
    for (const rule of config.LOGS_INGESTION_RULES) for (const s of rule.streams) this.rules.set(s, rule);
  }

  ruleFor(stream: string): LogsIngestionRule | undefined {
    return this.rules.get(stream);
  }

  private client(endpoint: string): LogsIngestionClient {
    let c = this.clients.get(endpoint);
    if (!c) {
      c = new LogsIngestionClient(endpoint, this.azure.credential, {
        ...this.azure.tls,
        // The token audience of AZURE_CLOUD (the SDK's default is the public cloud's).
        audience: this.config.cloud.logsIngestionAudience,
        // Our retry schedule (re-enqueue with a delay) decides; the SDK must not retry on its own.
        retryOptions: { maxRetries: 0 },
      });
      this.clients.set(endpoint, c);
    }
    return c;
  }

  async send(stream: string, rows: readonly JsonRecord[]): Promise<SendResult> {
    const rule = this.rules.get(stream);
    if (!rule) {
      return {
        delivered: 0,
        deliveredBytes: 0,
        failures: [
          {
            rows: [...rows],
            info: { retryable: false, reason: `no DCR takes stream ${stream}: add it to LOGS_INGESTION_RULES (azd provision sets it)` },
          },
        ],
      };
    }
    const table = this.catalog.tableOfStream(stream);
    const now = this.now();
    const ready: JsonRecord[] = [];
    const tooLarge: JsonRecord[] = [];
    const originals: OriginalRecord[] = [];
    let readyBytes = 0;
    for (const row of rows) {
      let shaped = clampTimeGenerated(table ? shapeToTable(table, this.catalog.columnTypes(table), row) : row, now);
      // Ingest already cut what it could; this catches rows it did not (the service would cut them silently).
      const fitted = table ? fitRow(table, this.catalog.columnTypes(table), shaped) : undefined;
      if (fitted?.cut.length) {
        const marked = markCutAtDelivery(stream, shaped, fitted, (blob) => this.originals.urlOf(blob));
        shaped = marked.row;
        if (marked.original) originals.push(marked.original);
      }
      const bytes = rowBytes(shaped);
      if (bytes > MAX_RECORD_BYTES) tooLarge.push(shaped);
      else {
        ready.push(shaped);
        readyBytes += bytes;
      }
    }
    // Kept before the upload; a storage failure throws, and the queue message is retried.
    await this.originals.keep(originals);
    const failures: FailedRows[] = [];
    if (tooLarge.length) {
      failures.push({
        rows: tooLarge,
        info: {
          retryable: false,
          status: 413,
          reason: `record larger than ${MAX_RECORD_BYTES} bytes: the Logs Ingestion API takes at most 1 MB per call`,
        },
      });
    }
    if (ready.length) {
      const failed: LogsUploadFailure[] = [];
      try {
        await this.client(rule.endpoint).upload(rule.ruleId, stream, ready, {
          maxConcurrency: this.config.DELIVERY_MAX_CONCURRENCY,
          onError: (f) => failed.push(f),
        });
      } catch (e) {
        // AggregateLogsUploadError repeats what onError collected; anything else failed the whole upload.
        if (failed.length === 0) failed.push({ failedLogs: ready, cause: e as Error });
      }
      for (const f of failed) {
        failures.push({ rows: f.failedLogs, info: classifyFailure(f.cause) });
        for (const r of f.failedLogs) readyBytes -= rowBytes(r as JsonRecord);
      }
    }
    const failedCount = failures.reduce((n, f) => n + f.rows.length, 0);
    return { delivered: rows.length - failedCount, deliveredBytes: readyBytes, failures };
  }
}
