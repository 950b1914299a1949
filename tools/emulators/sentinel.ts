// Sentinel ARM emulator: the incidents part of Microsoft.SecurityInsights (api-version 2025-09-01) over HTTPS, enough
// for the poller, the forwarder's tag + comment and status sync to run against it as against Azure.
//
//   GET    …/incidents?api-version&$filter&$orderby&$top&$skipToken   list; `nextLink` while more remain
//   GET    …/incidents/{id}                                            one incident (404 when absent)
//   PUT    …/incidents/{id}   {etag?, properties:{title, severity, status, …}}  create (201) / replace (200);
//                             a stale etag (body or If-Match) → 412 (Sentinel itself answers 409; `conflictStatus`)
//   DELETE …/incidents/{id}
//   GET    …/incidents/{id}/comments[/{commentId}], PUT/DELETE …/comments/{commentId}
//   POST   …/incidents/{id}/alerts → {value}, POST …/incidents/{id}/entities → {entities, metaData}
// `Authorization: Bearer …` is required (401) and so is `api-version` (400), as in ARM. Read-only fields
// (createdTimeUtc, incidentNumber, labels[].labelType, …) are kept by the server, never taken from a PUT; writable
// fields absent from a PUT are removed, as a PUT replaces the resource. The etag changes on every update.
//
// Inspection: POST /_emulator/incidents (one or an array, ARM shape; may carry `alerts`, `entities`, `comments`; an
// `id` names the workspace, else the first configured one), GET /_emulator/incidents[/{name}] (with `comments`),
// DELETE /_emulator/incidents[/{name}]. Faults and /_emulator/received come from the base (server.ts).
// Authorization: PUT /_emulator/actions {actions: [...]} limits what the caller's role grants (wildcards as in a role
// definition, e.g. Microsoft.SecurityInsights/incidents/*); a call needing another action answers ARM's 403
// AuthorizationFailed naming it. DELETE /_emulator/actions grants everything again (the default).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { armError, armPreflight } from './arm.js';
import INCIDENT_CONTRACT from './contracts/securityinsights-incident.json' with { type: 'json' };
import {
  type EmulatorRequest,
  type Grants,
  grantsRoute,
  JsonStore,
  type Reply,
  type RunningEmulator,
  reply,
  seedAll,
  startEmulator,
} from './server.js';
import type { EmulatorTls } from './tls.js';

export interface EmulatorWorkspace {
  subscriptionId: string;
  resourceGroup: string;
  workspaceName: string;
}

export interface SentinelEmulatorOptions {
  port: number;
  dataDir: string;
  tls?: EmulatorTls;
  host?: string;
  /** Workspaces that exist; the first owns seeded incidents without an `id`. Others appear when an incident is seeded into them. */
  workspaces?: EmulatorWorkspace[];
  /** Largest page the list returns, whatever $top asks (default 50), so paging shows with few incidents. */
  pageSize?: number;
  /** Status for a stale etag: 412 (default) or 409 as the real service answers. */
  conflictStatus?: 409 | 412;
}

interface Label {
  labelName: string;
  labelType: string;
}

interface Incident {
  id: string;
  name: string;
  type: string;
  etag: string;
  properties: Record<string, unknown> & { title: string; severity: string; status: string; labels: Label[] };
}

interface Comment {
  id: string;
  name: string;
  type: string;
  etag: string;
  properties: { message: string; createdTimeUtc: string; lastModifiedTimeUtc: string; author: Record<string, string> };
}

interface Stored {
  workspaceId: string;
  incident: Incident;
  comments: Comment[];
  alerts: Record<string, unknown>[];
  entities: Record<string, unknown>[];
}

interface State {
  seq: number;
  workspaces: string[];
  incidents: Stored[];
}

// The service's published rules (contracts/securityinsights-incident.json names its source).
const SEVERITIES = INCIDENT_CONTRACT.enums.severity;
const STATUSES = INCIDENT_CONTRACT.enums.status;
const READ_ONLY = INCIDENT_CONTRACT.readOnly;
const COMMENT_MAX = 30_000;

const ROUTE =
  /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.OperationalInsights\/workspaces\/[^/]+)\/providers\/Microsoft\.SecurityInsights\/incidents(?:\/([^/]+)(?:\/(comments|alerts|entities)(?:\/([^/]+))?)?)?\/?$/i;

/** The RBAC action ARM checks for a request: `<resource type>/read|write|delete`, a POST `<type>/<name>/action`. */
function actionOf(method: string, sub: string | undefined): string {
  const type = `Microsoft.SecurityInsights/incidents${sub ? `/${sub.toLowerCase()}` : ''}`;
  return `${type}/${VERBS.get(method) ?? 'write'}`;
}
const VERBS = new Map([
  ['GET', 'read'],
  ['POST', 'action'],
  ['DELETE', 'delete'],
]);

const grants = (held: readonly string[], action: string) =>
  held.some((h) => new RegExp(`^${h.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action));

/** Object id ARM names in a 403 (the emulator's token carries no identity). */
const CALLER = '00000000-0000-4000-8000-0000000c411e';

const newEtag = () => `"${randomUUID()}"`;
const nowIso = () => new Date().toISOString();

function workspaceIdOf(ws: EmulatorWorkspace): string {
  return `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${ws.workspaceName}`;
}

// ---- OData: the subset Sentinel accepts on incidents (comparisons, and/or/not, parentheses) ----

type Value = string | number | boolean | null | undefined;
type Node =
  | { kind: 'or' | 'and'; left: Node; right: Node }
  | { kind: 'not'; operand: Node }
  | { kind: 'cmp'; op: string; left: Operand; right: Operand };
type Operand = { kind: 'path'; path: string[] } | { kind: 'literal'; value: Value; date?: number };

export class ODataError extends Error {}

const DATE_LITERAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push(c);
      i++;
    } else if (c === "'") {
      let j = i + 1;
      let s = '';
      for (;;) {
        if (j >= text.length) throw new ODataError('unterminated string literal');
        if (text[j] === "'") {
          if (text[j + 1] === "'") {
            s += "'";
            j += 2;
            continue;
          }
          break;
        }
        s += text[j];
        j++;
      }
      tokens.push(`'${s}`); // a leading quote marks a string token
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s()']/.test(text[j] as string)) j++;
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

export function parseFilter(text: string): Node {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => {
    const t = tokens[pos++];
    if (t === undefined) throw new ODataError('unexpected end of $filter');
    return t;
  };
  const operand = (): Operand => {
    const t = next();
    if (t.startsWith("'")) return { kind: 'literal', value: t.slice(1) };
    if (/^-?\d+(\.\d+)?$/.test(t)) return { kind: 'literal', value: Number(t) };
    if (t === 'true' || t === 'false') return { kind: 'literal', value: t === 'true' };
    if (t === 'null') return { kind: 'literal', value: null };
    if (DATE_LITERAL.test(t)) return { kind: 'literal', value: t, date: Date.parse(t) };
    if (/^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/.test(t)) return { kind: 'path', path: t.split('/') };
    throw new ODataError(`unsupported token '${t}'`);
  };
  const primary = (): Node => {
    if (peek() === '(') {
      next();
      const e = orExpr();
      if (next() !== ')') throw new ODataError('missing )');
      return e;
    }
    if (peek()?.toLowerCase() === 'not') {
      next();
      return { kind: 'not', operand: primary() };
    }
    const left = operand();
    const op = next().toLowerCase();
    if (!['eq', 'ne', 'gt', 'ge', 'lt', 'le'].includes(op)) throw new ODataError(`unsupported operator '${op}'`);
    return { kind: 'cmp', op, left, right: operand() };
  };
  const andExpr = (): Node => {
    let left = primary();
    while (peek()?.toLowerCase() === 'and') {
      next();
      left = { kind: 'and', left, right: primary() };
    }
    return left;
  };
  const orExpr = (): Node => {
    let left = andExpr();
    while (peek()?.toLowerCase() === 'or') {
      next();
      left = { kind: 'or', left, right: andExpr() };
    }
    return left;
  };
  const tree = orExpr();
  if (pos !== tokens.length) throw new ODataError(`unexpected '${tokens[pos]}'`);
  return tree;
}

function resolvePath(doc: unknown, path: string[]): Value {
  let v: unknown = doc;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v === undefined || v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
}

function compare(a: Value, b: Value, asDate: boolean): number | undefined {
  if (a === undefined || a === null || b === undefined || b === null) return undefined;
  if (asDate) {
    const x = Date.parse(String(a));
    const y = Date.parse(String(b));
    return Number.isNaN(x) || Number.isNaN(y) ? undefined : x - y;
  }
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

export function evaluate(node: Node, doc: unknown): boolean {
  switch (node.kind) {
    case 'or':
      return evaluate(node.left, doc) || evaluate(node.right, doc);
    case 'and':
      return evaluate(node.left, doc) && evaluate(node.right, doc);
    case 'not':
      return !evaluate(node.operand, doc);
    case 'cmp': {
      const value = (o: Operand) => (o.kind === 'path' ? resolvePath(doc, o.path) : o.value);
      const l = value(node.left);
      const r = value(node.right);
      if (node.op === 'eq' && (l === null || l === undefined || r === null || r === undefined)) return (l ?? null) === (r ?? null);
      if (node.op === 'ne' && (l === null || l === undefined || r === null || r === undefined)) return (l ?? null) !== (r ?? null);
      const asDate =
        (node.left.kind === 'literal' && node.left.date !== undefined) || (node.right.kind === 'literal' && node.right.date !== undefined);
      const c = compare(l, r, asDate);
      if (c === undefined) return false;
      return { eq: c === 0, ne: c !== 0, gt: c > 0, ge: c >= 0, lt: c < 0, le: c <= 0 }[node.op] ?? false;
    }
  }
}

export function parseOrderBy(text: string): { path: string[]; desc: boolean }[] {
  return text.split(',').map((part) => {
    const [field, dir, ...rest] = part.trim().split(/\s+/);
    if (!field || rest.length || !/^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/.test(field))
      throw new ODataError(`bad $orderby '${part.trim()}'`);
    if (dir !== undefined && !/^(asc|desc)$/i.test(dir)) throw new ODataError(`bad $orderby direction '${dir}'`);
    return { path: field.split('/'), desc: dir?.toLowerCase() === 'desc' };
  });
}

function sortValue(v: Value): number | string {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && DATE_LITERAL.test(v)) return Date.parse(v);
  return v === undefined || v === null ? '' : String(v);
}

// ---- the emulator ----

export async function startSentinelEmulator(options: SentinelEmulatorOptions): Promise<RunningEmulator> {
  const store = new JsonStore<State>(join(options.dataDir, 'sentinel-incidents.json'), { seq: 0, workspaces: [], incidents: [] });
  const configured = (options.workspaces ?? []).map(workspaceIdOf);
  const pageSize = Math.min(Math.max(options.pageSize ?? 50, 1), 1000);
  const conflictStatus = options.conflictStatus ?? 412;
  /** The actions the caller's role grants; undefined: every action. */
  const actions: Grants = {};

  const knownWorkspace = (wsId: string) =>
    configured.some((w) => w.toLowerCase() === wsId.toLowerCase()) ||
    store.data.workspaces.some((w) => w.toLowerCase() === wsId.toLowerCase());
  const find = (wsId: string, name: string) =>
    store.data.incidents.find(
      (s) => s.workspaceId.toLowerCase() === wsId.toLowerCase() && s.incident.name.toLowerCase() === name.toLowerCase(),
    );

  const inspectView = (s: Stored) => ({ ...s.incident, comments: s.comments });

  function normalizeLabels(labels: unknown, previous: Label[] = []): Label[] | string {
    if (labels === undefined || labels === null) return [];
    if (!Array.isArray(labels)) return 'labels must be an array';
    const out: Label[] = [];
    for (const l of labels) {
      const name = (l as { labelName?: unknown })?.labelName;
      if (typeof name !== 'string' || !name) return 'each label needs a labelName';
      if (out.some((o) => o.labelName === name)) continue;
      const before = previous.find((p) => p.labelName === name);
      const seededType = (l as { labelType?: unknown }).labelType;
      out.push({ labelName: name, labelType: before?.labelType ?? (typeof seededType === 'string' ? seededType : 'User') });
    }
    return out;
  }

  /** Seeds (or replaces) an incident in ARM shape; fills what the service would. */
  function seed(raw: unknown): Stored | string {
    if (!raw || typeof raw !== 'object') return 'each incident must be an object';
    const item = raw as {
      id?: unknown;
      name?: unknown;
      properties?: Record<string, unknown>;
      alerts?: unknown;
      entities?: unknown;
      comments?: unknown;
    };
    let wsId: string | undefined;
    let name = typeof item.name === 'string' && item.name ? item.name : undefined;
    if (typeof item.id === 'string') {
      const m = ROUTE.exec(item.id);
      if (!m?.[2]) return `id ${item.id} is not an incident ARM id`;
      wsId = m[1] as string;
      name ??= m[2];
    }
    wsId ??= configured[0];
    if (!wsId) return 'the incident has no ARM id and the emulator has no configured workspace';
    name ??= randomUUID();
    const p = { ...(item.properties ?? {}) };
    const severity = p.severity ?? 'Medium';
    const status = p.status ?? 'New';
    if (!SEVERITIES.includes(String(severity))) return `severity must be one of ${SEVERITIES.join(', ')}`;
    if (!STATUSES.includes(String(status))) return `status must be one of ${STATUSES.join(', ')}`;
    const labels = normalizeLabels(p.labels);
    if (typeof labels === 'string') return labels;
    const existing = find(wsId, name);
    if (!store.data.workspaces.some((w) => w.toLowerCase() === wsId.toLowerCase())) store.data.workspaces.push(wsId);
    const created = typeof p.createdTimeUtc === 'string' ? p.createdTimeUtc : nowIso();
    const id = `${wsId}/providers/Microsoft.SecurityInsights/Incidents/${name}`;
    const alerts = Array.isArray(item.alerts) ? (item.alerts as Record<string, unknown>[]) : (existing?.alerts ?? []);
    const entities = Array.isArray(item.entities) ? (item.entities as Record<string, unknown>[]) : (existing?.entities ?? []);
    const incident: Incident = {
      id,
      name,
      type: 'Microsoft.SecurityInsights/Incidents',
      etag: newEtag(),
      properties: {
        ...p,
        title: String(p.title ?? `Emulated incident ${name}`),
        severity: String(severity),
        status: String(status),
        labels,
        createdTimeUtc: created,
        lastModifiedTimeUtc: typeof p.lastModifiedTimeUtc === 'string' ? p.lastModifiedTimeUtc : existing ? nowIso() : created,
        incidentNumber:
          typeof p.incidentNumber === 'number' ? p.incidentNumber : (existing?.incident.properties.incidentNumber ?? ++store.data.seq),
        incidentUrl: `https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident${id}`,
        additionalData: {
          alertsCount: alerts.length,
          bookmarksCount: 0,
          commentsCount: 0,
          alertProductNames: [],
          tactics: [],
          ...((p.additionalData as object) ?? {}),
        },
      },
    };
    const comments = Array.isArray(item.comments)
      ? (item.comments as { name?: string; properties?: { message?: string; createdTimeUtc?: string } }[]).map((c) =>
          makeComment(id, c.name ?? randomUUID(), String(c.properties?.message ?? ''), c.properties?.createdTimeUtc),
        )
      : (existing?.comments ?? []);
    const stored: Stored = { workspaceId: wsId, incident, comments, alerts, entities };
    if (existing) Object.assign(existing, stored);
    else store.data.incidents.push(stored);
    return existing ?? stored;
  }

  function makeComment(incidentId: string, name: string, message: string, created?: string): Comment {
    const at = created ?? nowIso();
    return {
      id: `${incidentId}/Comments/${name}`,
      name,
      type: 'Microsoft.SecurityInsights/Incidents/Comments',
      etag: newEtag(),
      properties: {
        message,
        createdTimeUtc: at,
        lastModifiedTimeUtc: at,
        author: { name: 'Sentinel Bridge (emulated caller)', userPrincipalName: 'bridge@emulator.local' },
      },
    };
  }

  function list(req: EmulatorRequest, wsId: string): Reply {
    const q = req.url.searchParams;
    const topText = q.get('$top');
    let top: number | undefined;
    if (topText !== null) {
      top = Number(topText);
      if (!Number.isInteger(top) || top < 1 || top > 1000)
        return armError(400, 'BadRequest', 'The value of $top must be an integer between 1 and 1000.');
    }
    let items = store.data.incidents.filter((s) => s.workspaceId.toLowerCase() === wsId.toLowerCase()).map((s) => s.incident);
    try {
      const filter = q.get('$filter');
      if (filter) {
        const tree = parseFilter(filter);
        items = items.filter((i) => evaluate(tree, i));
      }
      const order = parseOrderBy(q.get('$orderby') || 'properties/createdTimeUtc desc');
      items = [...items].sort((a, b) => {
        for (const o of order) {
          const x = sortValue(resolvePath(a, o.path));
          const y = sortValue(resolvePath(b, o.path));
          if (x !== y) return (x < y ? -1 : 1) * (o.desc ? -1 : 1);
        }
        return a.name.localeCompare(b.name);
      });
    } catch (e) {
      if (e instanceof ODataError) return armError(400, 'BadRequest', `OData query syntax error: ${e.message}`);
      throw e;
    }
    const skipToken = q.get('$skipToken');
    const offset = skipToken ? Number(Buffer.from(skipToken, 'base64url').toString('utf8')) : 0;
    if (!Number.isInteger(offset) || offset < 0) return armError(400, 'BadRequest', 'Invalid $skipToken.');
    const size = Math.min(top ?? pageSize, pageSize);
    const page = items.slice(offset, offset + size);
    const body: { value: Incident[]; nextLink?: string } = { value: page };
    if (offset + size < items.length) {
      const next = new URL(`https://${req.headers.host ?? '127.0.0.1'}${req.url.pathname}`);
      for (const [k, v] of q) if (k !== '$skipToken') next.searchParams.set(k, v);
      next.searchParams.set('$skipToken', Buffer.from(String(offset + size)).toString('base64url'));
      body.nextLink = next.toString();
    }
    return reply(200, body);
  }

  async function put(req: EmulatorRequest, wsId: string, name: string): Promise<Reply> {
    let body: { etag?: unknown; properties?: Record<string, unknown> };
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      return armError(400, 'BadRequest', 'The request body is not valid JSON.');
    }
    const p = body?.properties;
    if (!p || typeof p !== 'object') return armError(400, 'BadRequest', "The 'properties' object is required.");
    for (const field of ['title', 'severity', 'status'] as const) {
      if (typeof p[field] !== 'string' || !p[field]) return armError(400, 'BadRequest', `The '${field}' property is required.`);
    }
    if (!SEVERITIES.includes(p.severity as string)) return armError(400, 'BadRequest', `Invalid severity '${p.severity}'.`);
    if (!STATUSES.includes(p.status as string)) return armError(400, 'BadRequest', `Invalid status '${p.status}'.`);
    const existing = find(wsId, name);
    const etag = typeof body.etag === 'string' ? body.etag : (req.headers['if-match'] as string | undefined);
    if (etag && etag !== '*' && etag !== existing?.incident.etag) {
      return armError(
        conflictStatus,
        conflictStatus === 409 ? 'Conflict' : 'PreconditionFailed',
        `Newer version of resource '${name}' exists. Data was not saved`,
      );
    }
    const labels = normalizeLabels(p.labels, existing?.incident.properties.labels);
    if (typeof labels === 'string') return armError(400, 'BadRequest', labels);
    const writable = Object.fromEntries(Object.entries(p).filter(([k]) => !READ_ONLY.includes(k)));
    const now = nowIso();
    if (existing) {
      const kept = Object.fromEntries(Object.entries(existing.incident.properties).filter(([k]) => READ_ONLY.includes(k)));
      existing.incident = {
        ...existing.incident,
        etag: newEtag(),
        properties: { ...writable, ...kept, labels, lastModifiedTimeUtc: now } as unknown as Incident['properties'],
      };
      await store.save();
      return reply(200, existing.incident);
    }
    const made = seed({
      id: `${wsId}/providers/Microsoft.SecurityInsights/Incidents/${name}`,
      properties: { ...writable, labels, createdTimeUtc: now },
    });
    if (typeof made === 'string') return armError(400, 'BadRequest', made);
    await store.save();
    return reply(201, made.incident);
  }

  async function handle(req: EmulatorRequest): Promise<Reply | undefined> {
    const m = ROUTE.exec(req.url.pathname);
    if (!m) return undefined;
    const refused = armPreflight(req);
    if (refused) return refused;
    const [, wsId, rawName, sub, rawCommentId] = m as unknown as [
      string,
      string,
      string | undefined,
      string | undefined,
      string | undefined,
    ];
    const action = actionOf(req.method, sub);
    const heldActions = actions.held;
    if (heldActions && !grants(heldActions, action))
      return armError(
        403,
        'AuthorizationFailed',
        `The client '${CALLER}' with object id '${CALLER}' does not have authorization to perform action '${action}' over scope '${req.url.pathname}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      );
    if (!knownWorkspace(wsId)) return armError(404, 'ResourceNotFound', `The workspace '${wsId}' was not found.`);
    const name = rawName && decodeURIComponent(rawName);
    const commentId = rawCommentId && decodeURIComponent(rawCommentId);

    if (!name)
      return req.method === 'GET'
        ? list(req, wsId)
        : armError(405, 'MethodNotAllowed', `${req.method} is not supported on the incidents collection.`);
    if (!sub) {
      if (req.method === 'GET') {
        const s = find(wsId, name);
        return s ? reply(200, s.incident) : armError(404, 'NotFound', `Incident '${name}' was not found.`);
      }
      if (req.method === 'PUT') return put(req, wsId, name);
      if (req.method === 'DELETE') {
        const before = store.data.incidents.length;
        store.data.incidents = store.data.incidents.filter(
          (s) => !(s.workspaceId.toLowerCase() === wsId.toLowerCase() && s.incident.name.toLowerCase() === name.toLowerCase()),
        );
        await store.save();
        return reply(before === store.data.incidents.length ? 204 : 200);
      }
      return armError(405, 'MethodNotAllowed', `${req.method} is not supported on an incident.`);
    }
    const s = find(wsId, name);
    if (!s) return armError(404, 'NotFound', `Incident '${name}' was not found.`);
    if (sub.toLowerCase() === 'alerts')
      return req.method === 'POST' ? reply(200, { value: s.alerts }) : armError(405, 'MethodNotAllowed', 'alerts is a POST action.');
    if (sub.toLowerCase() === 'entities') {
      if (req.method !== 'POST') return armError(405, 'MethodNotAllowed', 'entities is a POST action.');
      const counts = new Map<string, number>();
      for (const e of s.entities) counts.set(String(e.kind ?? 'Unknown'), (counts.get(String(e.kind ?? 'Unknown')) ?? 0) + 1);
      return reply(200, { entities: s.entities, metaData: [...counts].map(([entityKind, count]) => ({ entityKind, count })) });
    }
    // comments
    if (!commentId)
      return req.method === 'GET'
        ? reply(200, { value: s.comments })
        : armError(405, 'MethodNotAllowed', `${req.method} is not supported on the comments collection.`);
    const existing = s.comments.find((c) => c.name.toLowerCase() === commentId.toLowerCase());
    if (req.method === 'GET') return existing ? reply(200, existing) : armError(404, 'NotFound', `Comment '${commentId}' was not found.`);
    if (req.method === 'DELETE') {
      s.comments = s.comments.filter((c) => c !== existing);
      await store.save();
      return reply(existing ? 200 : 204);
    }
    if (req.method !== 'PUT') return armError(405, 'MethodNotAllowed', `${req.method} is not supported on a comment.`);
    let message: unknown;
    try {
      message = (JSON.parse(req.body.toString('utf8')) as { properties?: { message?: unknown } })?.properties?.message;
    } catch {
      return armError(400, 'BadRequest', 'The request body is not valid JSON.');
    }
    if (typeof message !== 'string' || !message) return armError(400, 'BadRequest', "The 'message' property is required.");
    if (message.length > COMMENT_MAX) return armError(400, 'BadRequest', `The comment is longer than ${COMMENT_MAX} characters.`);
    if (existing) {
      existing.properties = { ...existing.properties, message, lastModifiedTimeUtc: nowIso() };
      existing.etag = newEtag();
      await store.save();
      return reply(200, existing);
    }
    const made = makeComment(s.incident.id, commentId, message);
    s.comments.push(made);
    await store.save();
    return reply(201, made);
  }

  async function inspect(req: EmulatorRequest, path: string): Promise<Reply | undefined> {
    if (path === 'actions') return grantsRoute(req, actions, 'actions', 'Microsoft.SecurityInsights/…');
    const m = /^incidents(?:\/([^/]+))?$/.exec(path);
    if (!m) return undefined;
    const name = m[1] && decodeURIComponent(m[1]);
    const wsFilter = req.url.searchParams.get('workspace')?.toLowerCase();
    const matches = (s: Stored) =>
      (!name || s.incident.name.toLowerCase() === name.toLowerCase()) &&
      (!wsFilter || s.workspaceId.toLowerCase().endsWith(`/workspaces/${wsFilter}`));
    if (req.method === 'GET') {
      if (!name) return reply(200, store.data.incidents.filter(matches).map(inspectView));
      const s = store.data.incidents.find(matches);
      return s ? reply(200, inspectView(s)) : reply(404, { error: `no incident ${name}` });
    }
    if (req.method === 'DELETE') {
      store.data.incidents = name || wsFilter ? store.data.incidents.filter((s) => !matches(s)) : [];
      if (!name && !wsFilter) {
        store.data.seq = 0;
        store.data.workspaces = [];
      }
      await store.save();
      return reply(200, { incidents: store.data.incidents.length });
    }
    if (req.method === 'POST' && !name) {
      const seeded = seedAll(req, 'incident', seed);
      if (!Array.isArray(seeded)) return seeded;
      await store.save();
      return reply(201, seeded.map(inspectView));
    }
    return undefined;
  }

  return startEmulator({ name: 'sentinel', port: options.port, host: options.host, tls: options.tls, handle, inspect, keepReceived: true });
}
