// Microsoft Graph security emulator: the incidents part of Graph v1.0 (`/v1.0/security/incidents`) over HTTPS, as
// docs/graph-security-api.md describes it from Microsoft's pages (microsoftgraph/microsoft-graph-docs-contrib).
//
//   GET   /v1.0/security/incidents?$filter&$top(≤50)&$skip&$count&$expand=alerts&$orderby   list, `@odata.nextLink`
//   GET   /v1.0/security/incidents/{id}[?$expand=alerts]                                     one incident (404)
//   PATCH /v1.0/security/incidents/{id}   only the updatable properties; a read-only one → 400 naming it
//   POST  /v1.0/security/incidents/{id}/comments {comment} → 200 {value: every comment of the incident}
// `Authorization: Bearer …` is required (401 InvalidAuthenticationToken). Errors have Graph's shape
// `{error:{code, message, innerError:{date, request-id, client-request-id}}}`.
//
// Inspection: POST /_emulator/incidents (one or an array in Graph shape; may carry `alerts`, `comments`; a
// `redirected` one needs `redirectIncidentId`), GET /_emulator/incidents[/{id}] (with customTags and comments),
// DELETE /_emulator/incidents. Faults (429 + Retry-After) and /_emulator/received come from the base (server.ts).
// Application roles: PUT /_emulator/roles {roles: [...]} sets the roles the caller's token holds; a call whose documented
// permissions it lacks answers Graph's 403 Forbidden "Missing application roles…". DELETE /_emulator/roles: every role.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { evaluate, ODataError, parseFilter, parseOrderBy } from './sentinel.js';
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

export interface GraphEmulatorOptions {
  port: number;
  dataDir: string;
  tls?: EmulatorTls;
  host?: string;
  /** Tenant of incidents seeded without one. */
  tenantId?: string;
}

export interface GraphComment {
  comment: string;
  createdByDisplayName: string;
  createdDateTime: string;
}

export interface GraphIncident {
  id: string;
  tenantId: string;
  displayName: string;
  description: string | null;
  summary: string | null;
  createdDateTime: string;
  lastUpdateDateTime: string;
  lastModifiedBy: string | null;
  assignedTo: string | null;
  classification: string;
  determination: string;
  status: string;
  severity: string;
  customTags: string[];
  systemTags: string[];
  comments: GraphComment[];
  redirectIncidentId: string | null;
  incidentWebUrl: string;
  resolvingComment: string | null;
  [field: string]: unknown;
}

interface Stored {
  incident: GraphIncident;
  alerts: Record<string, unknown>[];
}

interface State {
  seq: number;
  incidents: Stored[];
}

// Enum members as the resource page lists them (security-incident.md); update-page spellings are aliases.
const STATUSES = ['active', 'resolved', 'inProgress', 'redirected', 'unknownFutureValue', 'awaitingAction'];
const PATCH_STATUSES = ['active', 'resolved', 'redirected', 'unknownFutureValue'];
const SEVERITIES = ['unknown', 'informational', 'low', 'medium', 'high', 'unknownFutureValue'];
const CLASSIFICATIONS = ['unknown', 'falsePositive', 'truePositive', 'informationalExpectedActivity', 'unknownFutureValue'];
const DETERMINATIONS = [
  'unknown',
  'apt',
  'malware',
  'securityPersonnel',
  'securityTesting',
  'unwantedSoftware',
  'other',
  'multiStagedAttack',
  'compromisedUser',
  'compromisedAccount',
  'phishing',
  'maliciousUserActivity',
  'clean',
  'notMalicious',
  'insufficientData',
  'notEnoughDataToValidate',
  'confirmedUserActivity',
  'lineOfBusinessApplication',
  'unknownFutureValue',
];
const ENUMS = new Map<string, string[]>([
  ['status', STATUSES],
  ['severity', SEVERITIES],
  ['classification', CLASSIFICATIONS],
  ['determination', DETERMINATIONS],
]);
/** security-incident-update.md (2025): the properties a PATCH may carry. */
const UPDATABLE = new Set([
  'assignedTo',
  'classification',
  'determination',
  'status',
  'customTags',
  'description',
  'displayName',
  'severity',
  'summary',
  'resolvingComment',
]);
/** security-list-incidents.md: the properties `$filter` supports. */
const FILTERABLE = new Set([
  'assignedTo',
  'classification',
  'createdDateTime',
  'determination',
  'lastUpdateDateTime',
  'severity',
  'status',
]);
const DATE_FIELDS = new Set(['createdDateTime', 'lastUpdateDateTime']);
const MAX_TOP = 50;
const BY_ID = new Intl.Collator('en', { numeric: true }).compare;
const COMMENT_MAX = 30_000;

const ROUTE = /^\/v1\.0\/security\/incidents(?:\/([^/]+)(?:\/(comments))?)?\/?$/i;

/** Application permissions of each call (learn.microsoft.com/graph/api/security-incident-{list,get,update,post-comments}). */
const rolesFor = (method: string): readonly string[] =>
  method === 'GET' ? ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'] : ['SecurityIncident.ReadWrite.All'];

function graphError(status: number, code: string, message: string, headers?: Record<string, string>): Reply {
  const id = randomUUID();
  return reply(
    status,
    { error: { code, message, innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': id, 'client-request-id': id } } },
    headers,
  );
}

const canonical = (values: string[], v: unknown): string | undefined =>
  typeof v === 'string' ? values.find((x) => x.toLowerCase() === v.toLowerCase()) : undefined;

type FilterTree = ReturnType<typeof parseFilter>;

/** Accepts only what Graph documents for incidents; enum literals are made canonical (Graph reads them case-insensitively). */
function checkFilter(node: FilterTree): FilterTree {
  if (node.kind === 'not') throw new ODataError("'not' is not supported on incidents");
  if (node.kind !== 'cmp') return { ...node, left: checkFilter(node.left), right: checkFilter(node.right) };
  const { left, right, op } = node;
  if (left.kind !== 'path' || left.path.length !== 1 || !FILTERABLE.has(left.path[0] as string))
    throw new ODataError(`filtering on '${left.kind === 'path' ? left.path.join('/') : String(left.value)}' is not supported`);
  if (right.kind !== 'literal') throw new ODataError('the right side of a comparison must be a literal');
  const field = left.path[0] as string;
  if (DATE_FIELDS.has(field)) {
    if (right.date === undefined) throw new ODataError(`${field} must be compared with a DateTimeOffset literal`);
    return node;
  }
  if (op !== 'eq' && op !== 'ne') throw new ODataError(`operator '${op}' is not supported on ${field}`);
  const values = ENUMS.get(field);
  if (!values) return node;
  const value = canonical(values, right.value);
  if (!value) throw new ODataError(`'${String(right.value)}' is not a member of ${field}`);
  return { ...node, right: { kind: 'literal', value } };
}

export async function startGraphEmulator(options: GraphEmulatorOptions): Promise<RunningEmulator> {
  const store = new JsonStore<State>(join(options.dataDir, 'graph-incidents.json'), { seq: 0, incidents: [] });
  const defaultTenant = options.tenantId ?? '00000000-0000-4000-8000-00000000a11e';
  /** The application roles of the caller's token; undefined: every role. */
  const roles: Grants = {};

  const find = (id: string) => store.data.incidents.find((s) => s.incident.id === id);
  const touch = (s: Stored) => {
    s.incident.lastUpdateDateTime = new Date().toISOString();
  };

  /** The incident as Graph returns it: `awaitingAction` only to callers that opt in (evolvable enum). */
  function view(s: Stored, req: EmulatorRequest, expandAlerts: boolean): Record<string, unknown> {
    const optIn = /include-unknown-enum-members/i.test(String(req.headers.prefer ?? ''));
    const status = s.incident.status === 'awaitingAction' && !optIn ? 'unknownFutureValue' : s.incident.status;
    return {
      '@odata.type': '#microsoft.graph.security.incident',
      ...s.incident,
      status,
      ...(expandAlerts ? { alerts: s.alerts } : {}),
    };
  }

  function seed(raw: unknown): Stored | string {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return 'each incident must be an object';
    const { alerts, ...p } = raw as Record<string, unknown>;
    const id = typeof p.id === 'string' && p.id ? p.id : String(++store.data.seq);
    const fields: [string, string[], string][] = [
      ['status', STATUSES, 'active'],
      ['severity', SEVERITIES, 'medium'],
      ['classification', CLASSIFICATIONS, 'unknown'],
      ['determination', DETERMINATIONS, 'unknown'],
    ];
    const enums: Record<string, string> = {};
    for (const [field, values, dflt] of fields) {
      const v = p[field] === undefined || p[field] === null ? dflt : canonical(values, p[field]);
      if (!v) return `${field} must be one of ${values.join(', ')}`;
      enums[field] = v;
    }
    if (enums.status === 'redirected' && typeof p.redirectIncidentId !== 'string')
      return 'a redirected incident needs redirectIncidentId (the incident it was merged into)';
    for (const field of ['customTags', 'systemTags'])
      if (p[field] !== undefined && !(Array.isArray(p[field]) && (p[field] as unknown[]).every((t) => typeof t === 'string')))
        return `${field} must be an array of strings`;
    if (alerts !== undefined && !Array.isArray(alerts)) return 'alerts must be an array';
    const created = typeof p.createdDateTime === 'string' ? p.createdDateTime : new Date().toISOString();
    if (Number.isNaN(Date.parse(created))) return `createdDateTime '${created}' is not a date`;
    const tenantId = typeof p.tenantId === 'string' ? p.tenantId : defaultTenant;
    const comments = Array.isArray(p.comments)
      ? (p.comments as Partial<GraphComment>[]).map((c) => ({
          comment: String(c.comment ?? ''),
          createdByDisplayName: String(c.createdByDisplayName ?? 'analyst@emulator.local'),
          createdDateTime: String(c.createdDateTime ?? created),
        }))
      : [];
    const incident: GraphIncident = {
      ...p,
      id,
      tenantId,
      displayName: String(p.displayName ?? `Emulated incident ${id}`),
      description: typeof p.description === 'string' ? p.description : null,
      summary: typeof p.summary === 'string' ? p.summary : null,
      createdDateTime: created,
      lastUpdateDateTime: typeof p.lastUpdateDateTime === 'string' ? p.lastUpdateDateTime : created,
      lastModifiedBy: typeof p.lastModifiedBy === 'string' ? p.lastModifiedBy : null,
      assignedTo: typeof p.assignedTo === 'string' ? p.assignedTo : null,
      classification: enums.classification as string,
      determination: enums.determination as string,
      status: enums.status as string,
      severity: enums.severity as string,
      customTags: (p.customTags as string[] | undefined) ?? [],
      systemTags: (p.systemTags as string[] | undefined) ?? [],
      comments,
      redirectIncidentId: typeof p.redirectIncidentId === 'string' ? p.redirectIncidentId : null,
      incidentWebUrl: `https://security.microsoft.com/incidents/${encodeURIComponent(id)}?tid=${tenantId}`,
      resolvingComment: typeof p.resolvingComment === 'string' ? p.resolvingComment : null,
    };
    const stored: Stored = { incident, alerts: (alerts as Record<string, unknown>[] | undefined) ?? [] };
    const existing = find(id);
    if (existing) Object.assign(existing, stored);
    else store.data.incidents.push(stored);
    return existing ?? stored;
  }

  function expandsAlerts(req: EmulatorRequest): boolean | Reply {
    const expand = req.url.searchParams.get('$expand');
    if (expand === null) return false;
    if (expand.trim().toLowerCase() === 'alerts') return true;
    return graphError(
      400,
      'BadRequest',
      `Parsing OData Select and Expand failed: Could not find a property named '${expand}' on type 'microsoft.graph.security.incident'.`,
    );
  }

  function list(req: EmulatorRequest): Reply {
    const q = req.url.searchParams;
    const expand = expandsAlerts(req);
    if (typeof expand !== 'boolean') return expand;
    let top = MAX_TOP;
    const topText = q.get('$top');
    if (topText !== null) {
      top = Number(topText);
      if (!Number.isInteger(top) || top < 0) return graphError(400, 'BadRequest', `Invalid value '${topText}' for $top query option.`);
      if (top > MAX_TOP)
        // Graph's observed answer, empty code included (docs/graph-security-api.md).
        return graphError(
          400,
          '',
          `The query specified in the URI is not valid. The limit of '${MAX_TOP}' for Top query has been exceeded. The value from the incoming request is '${topText}'.`,
        );
    }
    const skipText = q.get('$skip') ?? '0';
    const skip = Number(skipText);
    if (!Number.isInteger(skip) || skip < 0) return graphError(400, 'BadRequest', `Invalid value '${skipText}' for $skip query option.`);
    let items = store.data.incidents;
    try {
      const filter = q.get('$filter');
      if (filter) {
        const tree = checkFilter(parseFilter(filter));
        items = items.filter((s) => evaluate(tree, s.incident));
      }
      const order = parseOrderBy(q.get('$orderby') || 'createdDateTime desc');
      for (const o of order)
        if (o.path.length !== 1 || !DATE_FIELDS.has(o.path[0] as string))
          throw new ODataError(`$orderby on '${o.path.join('/')}' is not supported`);
      // Keys computed once per item, and one collator: sorting 10,000 incidents per page must not dominate a bench.
      const keyed = items.map((item) => ({
        item,
        times: order.map((o) => Date.parse(item.incident[o.path[0] as 'createdDateTime' | 'lastUpdateDateTime'])),
      }));
      keyed.sort((a, b) => {
        for (const [i, o] of order.entries()) {
          const d = (a.times[i] ?? 0) - (b.times[i] ?? 0);
          if (d !== 0) return o.desc ? -d : d;
        }
        return BY_ID(a.item.incident.id, b.item.incident.id);
      });
      items = keyed.map((k) => k.item);
    } catch (e) {
      if (e instanceof ODataError) return graphError(400, 'BadRequest', `Invalid filter clause: ${e.message}`);
      throw e;
    }
    const page = items.slice(skip, skip + top);
    const body: Record<string, unknown> = {
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#security/incidents',
      ...(q.get('$count')?.toLowerCase() === 'true' ? { '@odata.count': items.length } : {}),
      value: page.map((s) => view(s, req, expand)),
    };
    if (top > 0 && skip + top < items.length) {
      const next = new URL(`https://${req.headers.host ?? '127.0.0.1'}${req.url.pathname}`);
      for (const [k, v] of q) if (k !== '$skip') next.searchParams.set(k, v);
      next.searchParams.set('$skip', String(skip + top));
      body['@odata.nextLink'] = next.toString();
    }
    return reply(200, body);
  }

  async function patch(req: EmulatorRequest, s: Stored): Promise<Reply> {
    let body: unknown;
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      return graphError(400, 'BadRequest', 'Invalid JSON in the request body.');
    }
    if (!body || typeof body !== 'object' || Array.isArray(body))
      return graphError(400, 'BadRequest', 'The request body must be a JSON object.');
    const changes: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body)) {
      if (k.startsWith('@odata.')) continue;
      if (!UPDATABLE.has(k))
        return graphError(
          400,
          'BadRequest',
          `The property '${k}' is read-only or does not exist on type 'microsoft.graph.security.incident' and cannot be updated.`,
        );
      if (k === 'customTags') {
        if (!Array.isArray(v) || !v.every((t) => typeof t === 'string'))
          return graphError(400, 'BadRequest', "The property 'customTags' must be a collection of strings.");
        changes[k] = [...new Set(v)];
        continue;
      }
      const values = k === 'status' ? PATCH_STATUSES : ENUMS.get(k);
      if (values) {
        const value = canonical(values, v);
        if (!value)
          return graphError(400, 'BadRequest', `Invalid value '${String(v)}' for property '${k}'. Possible values: ${values.join(', ')}.`);
        changes[k] = value;
        continue;
      }
      if (v !== null && typeof v !== 'string') return graphError(400, 'BadRequest', `The property '${k}' must be a string.`);
      changes[k] = v;
    }
    Object.assign(s.incident, changes);
    s.incident.lastModifiedBy = 'Sentinel Bridge (emulated caller)';
    touch(s);
    await store.save();
    return reply(200, view(s, req, false));
  }

  async function addComment(req: EmulatorRequest, s: Stored): Promise<Reply> {
    let comment: unknown;
    try {
      comment = (JSON.parse(req.body.toString('utf8')) as { comment?: unknown })?.comment;
    } catch {
      return graphError(400, 'BadRequest', 'Invalid JSON in the request body.');
    }
    if (typeof comment !== 'string' || !comment) return graphError(400, 'BadRequest', "The 'comment' parameter is required.");
    if (comment.length > COMMENT_MAX) return graphError(400, 'BadRequest', `The comment is longer than ${COMMENT_MAX} characters.`);
    s.incident.comments.push({
      comment,
      createdByDisplayName: 'Sentinel Bridge (emulated caller)',
      createdDateTime: new Date().toISOString(),
    });
    touch(s);
    await store.save();
    return reply(200, {
      '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#security/incidents('${s.incident.id}')/comments`,
      value: s.incident.comments,
    });
  }

  async function handle(req: EmulatorRequest): Promise<Reply | undefined> {
    const m = ROUTE.exec(req.url.pathname);
    if (!m) return undefined;
    if (!/^Bearer \S+/.test(String(req.headers.authorization ?? '')))
      return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    const required = rolesFor(req.method);
    const heldRoles = roles.held;
    if (heldRoles && !required.some((r) => heldRoles.includes(r)))
      return graphError(
        403,
        'Forbidden',
        `Missing application roles. API required roles: ${required.join(',')}, application roles: ${heldRoles.join(',')}.`,
      );
    const id = m[1] && decodeURIComponent(m[1]);
    if (!id)
      return req.method === 'GET'
        ? list(req)
        : graphError(405, 'Request_BadRequest', `${req.method} is not supported on the incidents collection.`);
    const s = find(id);
    if (!s) return graphError(404, 'NotFound', `Incident '${id}' was not found.`);
    if (m[2])
      return req.method === 'POST'
        ? addComment(req, s)
        : graphError(405, 'Request_BadRequest', `${req.method} is not supported on comments.`);
    if (req.method === 'GET') {
      const expand = expandsAlerts(req);
      return typeof expand === 'boolean' ? reply(200, view(s, req, expand)) : expand;
    }
    if (req.method === 'PATCH') return patch(req, s);
    return graphError(405, 'Request_BadRequest', `${req.method} is not supported on an incident.`);
  }

  async function inspect(req: EmulatorRequest, path: string): Promise<Reply | undefined> {
    if (path === 'roles') return grantsRoute(req, roles, 'roles', 'SecurityIncident.Read.All');
    const m = /^incidents(?:\/([^/]+))?$/.exec(path);
    if (!m) return undefined;
    const id = m[1] && decodeURIComponent(m[1]);
    const inspectView = (s: Stored) => ({ ...s.incident, alerts: s.alerts });
    if (req.method === 'GET') {
      if (!id) return reply(200, store.data.incidents.map(inspectView));
      const s = find(id);
      return s ? reply(200, inspectView(s)) : reply(404, { error: `no incident ${id}` });
    }
    if (req.method === 'DELETE') {
      store.data.incidents = id ? store.data.incidents.filter((s) => s.incident.id !== id) : [];
      if (!id) store.data.seq = 0;
      await store.save();
      return reply(200, { incidents: store.data.incidents.length });
    }
    if (req.method === 'POST' && !id) {
      const seeded = seedAll(req, 'incident', seed);
      if (!Array.isArray(seeded)) return seeded;
      await store.save();
      return reply(201, seeded.map(inspectView));
    }
    return undefined;
  }

  return startEmulator({ name: 'graph', port: options.port, host: options.host, tls: options.tls, handle, inspect, keepReceived: true });
}
