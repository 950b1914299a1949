// KQL queries against a Log Analytics workspace with @azure/monitor-query-logs, for incident enrichment.
// Values from an incident never go into the query text as text: each becomes a `let` statement holding a KQL literal
// (strings escaped per learn.microsoft.com/kusto/query/scalar-data-types/string — in a double-quoted literal the
// backslash escapes the quote, \t, \n and itself; nothing else is documented, so other control characters are built
// with make_string(codepoint)). Results are capped and returned as plain data; failures are returned, never thrown,
// so a failing or slow query cannot hold up forwarding.
import type { TokenCredential } from '@azure/core-auth';
import { LogsQueryClient, LogsQueryResultStatus } from '@azure/monitor-query-logs';
import { scopeOf } from '../azure/credential.js';

export type KqlScalar = string | number | boolean | Date;
export type KqlValue = KqlScalar | readonly (string | number | boolean)[];

export interface KqlLimits {
  maxRows: number;
  maxColumns: number;
  /** Size of the rows as JSON, across tables. */
  maxBytes: number;
  /** Whole call, retries included; the server is asked to stop by then too (`Prefer: wait`, at most 600 s). */
  timeoutMs: number;
}

export const DEFAULT_KQL_LIMITS: KqlLimits = { maxRows: 50, maxColumns: 20, maxBytes: 16 * 1024, timeoutMs: 30_000 };

export interface KqlTable {
  name: string;
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

export type KqlOutcome =
  | { ok: true; tables: KqlTable[]; truncated: boolean; partialError?: { code: string; message: string } }
  | { ok: false; error: { code?: string; status?: number; message: string } };

export interface KqlRequest {
  workspaceId: string;
  query: string;
  parameters?: Record<string, KqlValue>;
  /** ISO 8601 duration the query looks back over (default P1D). */
  timespan?: string;
  limits?: Partial<KqlLimits>;
}

export interface KqlQueryRunner {
  run(request: KqlRequest): Promise<KqlOutcome>;
}

// Characters a double-quoted literal cannot hold as they are and has no documented escape for.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this finds
const UNESCAPABLE = /[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

const quoted = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;

/** A KQL expression whose value is exactly `value`. */
export function kqlString(value: string): string {
  if (LONE_SURROGATE.test(value)) throw new RangeError('the value is not valid Unicode (a lone surrogate)');
  if (!UNESCAPABLE.test(value)) return quoted(value);
  const parts: string[] = [];
  let run = '';
  for (const ch of value) {
    if (UNESCAPABLE.test(ch)) {
      if (run) parts.push(quoted(run));
      run = '';
      parts.push(`make_string(${ch.codePointAt(0)})`);
    } else run += ch;
  }
  if (run) parts.push(quoted(run));
  return `strcat(${parts.join(', ')})`;
}

function kqlScalar(value: KqlScalar): string {
  if (typeof value === 'string') return kqlString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new RangeError('invalid date');
    return `datetime(${value.toISOString()})`;
  }
  if (!Number.isFinite(value)) throw new RangeError(`${value} is not a finite number`);
  return Number.isInteger(value) ? `long(${value})` : `real(${value})`;
}

/** A KQL literal: scalars as such, lists as dynamic arrays (pack_array when an element needs an expression). */
export function kqlLiteral(value: KqlValue): string {
  if (!Array.isArray(value)) return kqlScalar(value as KqlScalar);
  const items = (value as readonly (string | number | boolean)[]).map((v) =>
    typeof v === 'string' ? kqlString(v) : typeof v === 'number' && Number.isFinite(v) ? String(v) : kqlScalar(v),
  );
  return items.some((i) => i.startsWith('strcat(')) ? `pack_array(${items.join(', ')})` : `dynamic([${items.join(', ')}])`;
}

/** The query preceded by one `let name = literal;` per parameter. */
export function withParameters(query: string, parameters: Record<string, KqlValue> = {}): string {
  const lets = Object.entries(parameters).map(([name, value]) => {
    if (!IDENTIFIER.test(name)) throw new RangeError(`parameter name '${name}' is not a KQL identifier`);
    try {
      return `let ${name} = ${kqlLiteral(value)};`;
    } catch (e) {
      throw new RangeError(`parameter ${name}: ${(e as Error).message}`);
    }
  });
  return lets.length ? `${lets.join('\n')}\n${query}` : query;
}

const plainCell = (v: unknown): unknown => (v instanceof Date ? v.toISOString() : v);

/** Caps tables to the limits; `truncated` says whether anything was left out. */
export function capTables(tables: KqlTable[], limits: KqlLimits): { tables: KqlTable[]; truncated: boolean } {
  let truncated = false;
  let rowsLeft = limits.maxRows;
  let bytesLeft = limits.maxBytes;
  const out: KqlTable[] = [];
  for (const t of tables) {
    const columns = t.columns.slice(0, limits.maxColumns);
    if (columns.length < t.columns.length) truncated = true;
    const rows: unknown[][] = [];
    for (const r of t.rows) {
      const row = r.slice(0, columns.length).map(plainCell);
      const size = Buffer.byteLength(JSON.stringify(row));
      if (rowsLeft <= 0 || size > bytesLeft) {
        truncated = true;
        break;
      }
      rows.push(row);
      rowsLeft--;
      bytesLeft -= size;
    }
    if (rows.length < t.rows.length) truncated = true;
    out.push({ name: t.name, columns, rows });
  }
  return { tables: out, truncated };
}

export interface KqlQueryRunnerOptions {
  credential: TokenCredential;
  /** Log Analytics query endpoint without /v1 (default https://api.loganalytics.io; national clouds have their own). */
  endpoint?: string;
  /** PEM CA(s) to trust (the local emulators). */
  ca?: string;
  maxRetries?: number;
}

export function createKqlQueryRunner(options: KqlQueryRunnerOptions): KqlQueryRunner {
  const endpoint = (options.endpoint ?? 'https://api.loganalytics.io').replace(/\/+$/, '');
  // The SDK takes `endpoint` as the whole base URL, version segment included.
  const client = new LogsQueryClient(options.credential, {
    endpoint: `${endpoint}/v1`,
    credentials: { scopes: [scopeOf(endpoint)] },
    retryOptions: { maxRetries: options.maxRetries ?? 1 },
    userAgentOptions: { userAgentPrefix: 'sentinel-bridge' },
    ...(options.ca ? { tlsOptions: { ca: options.ca } } : {}),
  });

  return {
    async run(request) {
      const limits = { ...DEFAULT_KQL_LIMITS, ...request.limits };
      let text: string;
      try {
        text = withParameters(request.query, request.parameters);
      } catch (e) {
        return { ok: false, error: { code: 'InvalidParameter', message: (e as Error).message } };
      }
      try {
        // The SDK passes `requestOptions` on but drops `abortSignal`, so each attempt gets the timeout and the race
        // bounds the whole call, retries included.
        const query = client.queryWorkspace(
          request.workspaceId,
          text,
          { duration: request.timespan ?? 'P1D' },
          {
            serverTimeoutInSeconds: Math.min(600, Math.max(1, Math.ceil(limits.timeoutMs / 1000))),
            requestOptions: { timeout: limits.timeoutMs },
          },
        );
        let timer: NodeJS.Timeout | undefined;
        const result = await Promise.race([
          query,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), limits.timeoutMs);
          }),
        ]).finally(() => clearTimeout(timer));
        const raw = result.status === LogsQueryResultStatus.Success ? result.tables : result.partialTables;
        const { tables, truncated } = capTables(
          raw.map((t) => ({
            name: t.name,
            columns: t.columnDescriptors.map((c) => ({ name: String(c.name), type: String(c.type) })),
            rows: t.rows,
          })),
          limits,
        );
        if (result.status === LogsQueryResultStatus.Success) return { ok: true, tables, truncated };
        const pe = result.partialError as { code?: string; message?: string };
        return { ok: true, tables, truncated, partialError: { code: pe.code ?? 'PartialError', message: pe.message ?? '' } };
      } catch (e) {
        const err = e as { name?: string; code?: string; statusCode?: number; message?: string };
        if (err.name === 'AbortError' || err.name === 'TimeoutError')
          return { ok: false, error: { code: 'Timeout', message: `no answer within ${limits.timeoutMs} ms` } };
        return {
          ok: false,
          error: {
            ...(err.code ? { code: err.code } : {}),
            ...(err.statusCode ? { status: err.statusCode } : {}),
            message: err.message ?? String(e),
          },
        };
      }
    },
  };
}
