// Body elements → rows grouped by stream, and a report of what was rejected, by index, with the field path.
import { DriftTally } from '../catalog/drift.js';
import { fitRow } from '../catalog/fieldLimit.js';
import type { Catalog } from '../catalog/index.js';
import { type RowContext, toRow } from '../catalog/rows.js';
import { streamOf } from '../catalog/tables.js';
import { type EventType, isObject, type JsonRecord, type Source } from '../catalog/types.js';
import { redactExample } from '../observability/redact.js';
import { type OriginalRecord, originalBlobName } from '../reliability/originals.js';
import { CONTAINERS } from '../storage/names.js';

export interface Rejection {
  /** Index of the element in the request body (array item or NDJSON line). */
  index: number;
  error: string;
}

export interface ValidatedBatch {
  /** Stream → rows, in request order. */
  streams: Map<string, JsonRecord[]>;
  accepted: number;
  rejected: Rejection[];
  /** Records with a field cut to the 64 KB limit: kept whole in a blob before the batch is acknowledged. */
  originals: OriginalRecord[];
  /** Schema drift of the accepted records (fields left to RawData, mistyped columns), for the usage counters. */
  drift: DriftTally;
}

/** Deeper records are refused: Log Analytics cannot query them usefully, and they would exhaust the stack. */
export const MAX_DEPTH = 64;

function tooDeep(value: unknown): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [v, depth] = item;
    if (depth > MAX_DEPTH) return true;
    if (typeof v === 'object' && v !== null) for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

export interface ValidateOptions {
  catalog: Catalog;
  source: Source;
  /** Type named by the request (?type=, Log-Type): wins over the record's own. */
  typeHint?: string | undefined;
  /** Resolve every record to this event type (legacy Log-Type naming a catalog type). */
  eventType?: EventType | undefined;
  context: RowContext;
  /** Where the row's OriginalRecord points for a blob name (the blob URL); default `originals/<blob>`. */
  originalUrl?: (blob: string) => string;
}

/** Where validated rows go, one at a time (a request's packer, or the lists of validateElements). */
export interface RowSink {
  add(stream: string, row: JsonRecord): void;
}

export interface Validated {
  /** Elements read (array items, NDJSON lines). */
  elements: number;
  accepted: number;
  rejected: Rejection[];
  originals: OriginalRecord[];
  drift: DriftTally;
}

export function validateElements(elements: Iterable<unknown>, options: ValidateOptions): ValidatedBatch {
  const streams = new Map<string, JsonRecord[]>();
  const sink: RowSink = {
    add(stream, row) {
      const list = streams.get(stream);
      if (list) list.push(row);
      else streams.set(stream, [row]);
    },
  };
  const validator = new Validator(options, sink);
  for (const element of elements) validator.add(element);
  const { accepted, rejected, originals, drift } = validator.result();
  return { streams, accepted, rejected, originals, drift };
}

/** Validates elements one at a time and hands each row to `sink`: no element is held after its row is made, and the
 * caller may let other work run between elements. */
export class Validator {
  private readonly rejected: Rejection[] = [];
  private readonly originals: OriginalRecord[] = [];
  private readonly drift = new DriftTally(redactExample);
  private readonly originalUrl: (blob: string) => string;
  private accepted = 0;
  private index = 0;

  constructor(
    private readonly options: ValidateOptions,
    private readonly sink: RowSink,
  ) {
    this.originalUrl = options.originalUrl ?? ((blob: string) => `${CONTAINERS.originals}/${blob}`);
  }

  add(element: unknown): void {
    const { options, rejected, index } = this;
    const records = options.source.unwrap ? options.source.unwrap(element) : [element];
    this.index += 1;
    for (const record of records) {
      if (!isObject(record)) {
        rejected.push({
          index,
          error: `expected a JSON object, got ${record === null ? 'null' : Array.isArray(record) ? 'an array' : typeof record}`,
        });
        continue;
      }
      if (tooDeep(record)) {
        rejected.push({ index, error: `nested more than ${MAX_DEPTH} levels deep` });
        continue;
      }
      const type = options.eventType ?? options.catalog.resolve(options.source, record, options.typeHint);
      if (!type) {
        const known = options.source.types.map((t) => t.type).join(', ');
        rejected.push({ index, error: `unknown ${options.source.name} event type; known types: ${known}` });
        continue;
      }
      const result = toRow(type, type.table, record, options.context);
      if (!result.ok) {
        rejected.push({ index, error: result.errors.map((e) => `${e.path}: ${e.message}`).join('; ') });
        continue;
      }
      this.drift.observe(type.table, record, result.seen, options.context.receivedAt);
      const stream = streamOf(type.table.table);
      const fitted = fitRow(type.table, options.catalog.columnTypes(type.table), result.row, record);
      let row = fitted.row;
      if (fitted.cut.length) {
        const eventId = String(row.EventId);
        const blob = originalBlobName(stream, eventId);
        this.originals.push({ stream, eventId, blob, fields: fitted.cut, record });
        row = { ...row, Truncated: fitted.cut, OriginalRecord: this.originalUrl(blob) };
      }
      this.sink.add(stream, row);
      this.accepted += 1;
    }
  }

  result(): Validated {
    return { elements: this.index, accepted: this.accepted, rejected: this.rejected, originals: this.originals, drift: this.drift };
  }
}
