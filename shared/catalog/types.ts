// The event catalog is plain data: tables with typed columns, and event types that map a source's records onto
// a table. Validation, normalization, the emulator's declared columns, the DCR stream declarations and the Bicep
// tables are all derived from it.

/** Log Analytics column types accepted by custom tables and DCR stream declarations. */
export type ColumnType = 'string' | 'int' | 'long' | 'real' | 'boolean' | 'datetime' | 'dynamic' | 'guid';

export type JsonRecord = Record<string, unknown>;

/** A JSON object (not an array, not null). */
export const isObject = (v: unknown): v is JsonRecord => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface Column {
  /** Column name: ^[A-Za-z][A-Za-z0-9_]*$, ≤ 45 chars, not reserved (id, Type, TenantId, Title, UniqueId, …). */
  readonly name: string;
  readonly type: ColumnType;
  readonly description: string;
  /** Dotted paths in the incoming record; the first one present gives the value. Consumed paths leave RawData extras. */
  readonly from?: readonly string[];
  /** Derived value when `from` is not enough (constant, mapping); gets the original record. */
  readonly compute?: (record: JsonRecord) => unknown;
  /** Bounds for int/long/real columns; a value outside is a validation error. */
  readonly min?: number;
  readonly max?: number;
  /** A record without a value here is rejected. */
  readonly required?: boolean;
}

export interface TableDef {
  /** Custom table name, ending in _CL. The stream is `Custom-<table>`. */
  readonly table: string;
  readonly description: string;
  /** Typed columns mapped from records. The common columns (TimeGenerated, EventId, …) are added by the catalog. */
  readonly columns: readonly Column[];
  /** 'extras': RawData (dynamic) keeps the fields no column took. 'json': RawData (string) is the whole record as JSON. */
  readonly rawData: 'extras' | 'json';
}

export interface EventType {
  readonly source: string;
  /** Type name; for Wallarm the table name without _CL (the Log-Type legacy senders use). */
  readonly type: string;
  readonly description: string;
  readonly table: TableDef;
  /** Paths holding the event's own time (ISO string or unix seconds/ms); else the receipt time is used. */
  readonly time?: readonly string[];
}

export interface Source {
  /** Route segment: POST /api/events/{name}. */
  readonly name: string;
  readonly description: string;
  readonly types: readonly EventType[];
  /**
   * The type name of a record, from its own fields or the request's hint (`?type=`, `Log-Type`). A name that is not
   * one of `types` goes to `fallback`.
   */
  classify(record: JsonRecord, hint: string | undefined): string | undefined;
  /** Where a record of an unknown or unnamed type goes (never rejected when set). */
  readonly fallback?: (typeName: string | undefined) => EventType;
  /**
   * Turns one element of a request body into records (Wallarm wraps several events in one envelope, for example).
   * Default: the element itself when it is an object.
   */
  readonly unwrap?: (element: unknown) => unknown[];
}
