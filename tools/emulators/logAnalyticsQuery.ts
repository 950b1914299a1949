// Log Analytics query API emulator: `POST /v1/workspaces/{workspaceId}/query` with `{query, timespan?}` as
// @azure/monitor-query-logs sends it (no api-version; `Prefer: wait=N` for the server timeout), answering
// `{tables:[{name, columns:[{name, type}], rows}]}`; a non-fatal error is a 200 with `error` beside the tables, a fatal
// one an error status with `{error:{code, message}}` (learn.microsoft.com/azure/azure-monitor/logs/api/response-format).
// A bearer token is required (401). It cannot run KQL: answers are seeded, keyed by a match on the query text. The text
// is read with Microsoft's parser first (kqlText.ts), as the service reads it: `let` statements bind values, and only
// the text after them is matched, so a value that stayed a literal never matches as query text.
//
// Inspection: POST /_emulator/queries with one or an array of
// `{match, regex?, workspaceId?, tables?, filter?, error?, status?}` (the first seeded entry whose `match` is in the
// query — or, with `regex: true`, matches it — answers; `tables` + `error` → a partial error, `error` alone → `status`
// (default 400); `filter: {column, parameter}` keeps the rows whose column equals the let's value or is in its list, as
// `where column in (parameter)` would); a query nothing matches gets one empty PrimaryResult table, as a query that
// finds no rows. GET/DELETE /_emulator/queries. Every query received is at /_emulator/received (raw body), so tests
// see the exact query text. Seeded answers persist under the data folder.
import { join } from 'node:path';
import { parseKql } from './kqlText.js';
import { type EmulatorRequest, JsonStore, type Reply, type RunningEmulator, reply, startEmulator } from './server.js';
import type { EmulatorTls } from './tls.js';

export interface LogAnalyticsQueryEmulatorOptions {
  port: number;
  dataDir: string;
  tls?: EmulatorTls;
  host?: string;
}

export interface QueryTable {
  name: string;
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

export interface SeededAnswer {
  match: string;
  regex?: boolean;
  workspaceId?: string;
  tables?: QueryTable[];
  filter?: { column: string; parameter: string };
  error?: { code: string; message: string; details?: unknown[]; innererror?: unknown };
  status?: number;
}

const ROUTE = /^\/v1\/workspaces\/([^/]+)\/query\/?$/i;
const COLUMN_TYPES = new Set(['bool', 'datetime', 'dynamic', 'int', 'long', 'real', 'string', 'guid', 'decimal', 'timespan']);

const oneApiError = (status: number, code: string, message: string): Reply => reply(status, { error: { code, message } });

function checkSeed(raw: unknown): SeededAnswer | string {
  if (!raw || typeof raw !== 'object') return 'each answer must be an object';
  const a = raw as SeededAnswer;
  if (typeof a.match !== 'string' || !a.match) return 'match (a substring or, with regex: true, a pattern) is required';
  if (a.regex) {
    try {
      new RegExp(a.match);
    } catch (e) {
      return `match is not a valid pattern: ${(e as Error).message}`;
    }
  }
  if (!a.tables && !a.error) return 'give tables, error, or both (a partial error)';
  for (const t of a.tables ?? []) {
    if (typeof t?.name !== 'string' || !Array.isArray(t.columns) || !Array.isArray(t.rows))
      return 'each table needs name, columns and rows';
    for (const c of t.columns)
      if (typeof c?.name !== 'string' || !COLUMN_TYPES.has(c.type))
        return `column ${JSON.stringify(c)}: type must be one of ${[...COLUMN_TYPES].join(', ')}`;
    for (const r of t.rows)
      if (!Array.isArray(r) || r.length !== t.columns.length) return `table ${t.name}: each row must have ${t.columns.length} cells`;
  }
  if (a.filter && (typeof a.filter.column !== 'string' || typeof a.filter.parameter !== 'string'))
    return 'filter needs column and parameter (a let name)';
  if (a.filter && !a.tables?.every((t) => t.columns.some((c) => c.name === a.filter?.column)))
    return `filter: every table needs the column ${a.filter.column}`;
  if (a.error && (typeof a.error.code !== 'string' || typeof a.error.message !== 'string')) return 'error needs code and message';
  if (a.status !== undefined && !(Number.isInteger(a.status) && a.status >= 400 && a.status <= 599))
    return 'status must be a 4xx or 5xx code';
  return a;
}

type Filter = NonNullable<SeededAnswer['filter']>;

/** The rows whose `column` equals the let's value (or one of its list's), as `where column in (parameter)`. */
function filtered(t: QueryTable, f: Filter, lets: ReadonlyMap<string, unknown>): QueryTable {
  const value = lets.get(f.parameter);
  const wanted = Array.isArray(value) ? value : value === undefined ? [] : [value];
  const at = t.columns.findIndex((c) => c.name === f.column);
  return { ...t, rows: t.rows.filter((r) => wanted.includes(r[at])) };
}

export async function startLogAnalyticsQueryEmulator(options: LogAnalyticsQueryEmulatorOptions): Promise<RunningEmulator> {
  const store = new JsonStore<{ answers: SeededAnswer[] }>(join(options.dataDir, 'log-analytics-queries.json'), { answers: [] });

  const matches = (a: SeededAnswer, workspaceId: string, query: string) =>
    (!a.workspaceId || a.workspaceId.toLowerCase() === workspaceId.toLowerCase()) &&
    (a.regex ? new RegExp(a.match).test(query) : query.includes(a.match));

  function handle(req: EmulatorRequest): Reply | undefined {
    const m = ROUTE.exec(req.url.pathname);
    if (!m) return undefined;
    if (!/^Bearer \S+/.test(String(req.headers.authorization ?? '')))
      return oneApiError(401, 'AuthorizationRequiredError', 'Valid authentication was not provided');
    if (req.method !== 'POST')
      return oneApiError(405, 'MethodNotAllowed', `${req.method} is not supported by this emulator; POST the query`);
    let body: { query?: unknown; timespan?: unknown };
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      return oneApiError(400, 'BadArgumentError', 'The request body is not valid JSON');
    }
    if (typeof body?.query !== 'string' || !body.query.trim())
      return oneApiError(400, 'BadArgumentError', "The request had some invalid properties: 'query' is required");
    if (body.timespan !== undefined && typeof body.timespan !== 'string')
      return oneApiError(
        400,
        'BadArgumentError',
        "The request had some invalid properties: 'timespan' must be an ISO 8601 duration or interval",
      );
    const workspaceId = decodeURIComponent(m[1] as string);
    const parsed = parseKql(body.query);
    if (parsed.diagnostics.length)
      return oneApiError(400, 'BadArgumentError', `Syntax error: ${parsed.diagnostics.slice(0, 3).join('; ')}`);
    const answer = store.data.answers.find((a) => matches(a, workspaceId, parsed.body));
    if (!answer) return reply(200, { tables: [{ name: 'PrimaryResult', columns: [], rows: [] }] });
    if (answer.error && !answer.tables) return reply(answer.status ?? 400, { error: answer.error });
    const tables = answer.filter ? answer.tables?.map((t) => filtered(t, answer.filter as Filter, parsed.lets)) : answer.tables;
    return reply(200, { tables, ...(answer.error ? { error: answer.error } : {}) });
  }

  async function inspect(req: EmulatorRequest, path: string): Promise<Reply | undefined> {
    if (path !== 'queries') return undefined;
    if (req.method === 'DELETE') store.data.answers = [];
    else if (req.method === 'POST') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(req.body.toString('utf8'));
      } catch {
        return reply(400, { error: 'body must be JSON: one answer or an array' });
      }
      const list: SeededAnswer[] = [];
      for (const [i, raw] of (Array.isArray(parsed) ? parsed : [parsed]).entries()) {
        const a = checkSeed(raw);
        if (typeof a === 'string') return reply(400, { error: `answer ${i}: ${a}` });
        list.push(a);
      }
      store.data.answers.push(...list);
    } else if (req.method !== 'GET') return undefined;
    await store.save();
    return reply(200, store.data.answers);
  }

  return startEmulator({
    name: 'log analytics query',
    port: options.port,
    host: options.host,
    tls: options.tls,
    handle,
    inspect,
    keepReceived: true,
  });
}
