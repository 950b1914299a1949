// The Sentinel incidents REST API (Microsoft.SecurityInsights, api-version 2025-09-01) through
// @azure-rest/core-client with the app's credential. We use the REST client rather than @azure/arm-securityinsight
// 1.0.0-beta.6 because that SDK's models are from 2022-09-01-preview and silently drop fields they do not know in
// both directions — a PUT of an incident must send back every writable field it read, or the update clears them.
//
// Contract (azure-rest-api-specs, specification/securityinsights/.../stable/2025-09-01/Incidents.json):
//   GET  …/incidents?$filter&$orderby&$top(≤1000)&$skipToken → {value[], nextLink?}
//   GET  …/incidents/{id}                                    → Incident (with etag)
//   PUT  …/incidents/{id}  body {etag, properties:{title, severity, status (required), …}} → 200/201
//   PUT  …/incidents/{id}/comments/{commentId} body {properties:{message}}                → 200/201
//   POST …/incidents/{id}/alerts   → {value: SecurityAlert[]};  POST …/incidents/{id}/entities → {entities[], metaData[]}
// Read-only incident fields (ignored or rejected on PUT): createdTimeUtc, lastModifiedTimeUtc, incidentNumber,
// incidentUrl, additionalData, relatedAnalyticRuleIds, providerName, providerIncidentId, labels[].labelType.
// A stale etag is refused: the real service answers 409 Conflict ("Newer version of resource … exists"), the
// emulator 412; both mean "re-read and try again" (isConflict).
import { type Client, getClient } from '@azure-rest/core-client';
import { type AzureAccess, scopeOf } from '../azure/credential.js';
import type { SentinelWorkspace } from '../config.js';
import { parseRetryAfter } from '../reliability/retrySchedule.js';
import { IncidentApiError } from './apiError.js';
import { followPages, type RestCall, restCaller } from './restCall.js';
import { workspaceArmId } from './workspaces.js';

export const SENTINEL_API_VERSION = '2025-09-01';

export interface IncidentLabel {
  labelName: string;
  labelType?: string;
}

export interface IncidentOwner {
  objectId?: string;
  email?: string;
  assignedTo?: string;
  userPrincipalName?: string;
  ownerType?: string;
}

export interface ArmIncidentProperties {
  title: string;
  severity: string;
  status: string;
  description?: string;
  classification?: string;
  classificationReason?: string;
  classificationComment?: string;
  owner?: IncidentOwner;
  labels?: IncidentLabel[];
  createdTimeUtc?: string;
  lastModifiedTimeUtc?: string;
  incidentNumber?: number;
  [field: string]: unknown;
}

export interface ArmIncident {
  id?: string;
  name: string;
  type?: string;
  etag?: string;
  properties: ArmIncidentProperties;
}

export interface ArmComment {
  id?: string;
  name: string;
  etag?: string;
  properties: { message: string; createdTimeUtc?: string; author?: unknown };
}

export interface IncidentPage {
  value: ArmIncident[];
  nextLink?: string;
}

export interface ListQuery {
  filter?: string;
  orderby?: string;
  top?: number;
}

export class SentinelApiError extends IncidentApiError {
  override name = 'SentinelApiError';
}

/** A stale etag: 409 from Sentinel, 412 from a strict ETag server (the emulator). Re-read and retry. */
export function isConflict(e: unknown): boolean {
  return e instanceof SentinelApiError && (e.status === 409 || e.status === 412);
}

export interface SentinelClient {
  /** Every page of the list, following nextLink. */
  listIncidentPages(ws: SentinelWorkspace, query: ListQuery): AsyncIterable<IncidentPage>;
  /** The incident, or undefined when it does not exist. */
  getIncident(ws: SentinelWorkspace, name: string): Promise<ArmIncident | undefined>;
  /** Writes the incident; `etag` makes the write conditional. Throws SentinelApiError (isConflict on a stale etag). */
  putIncident(ws: SentinelWorkspace, name: string, incident: { etag?: string; properties: ArmIncidentProperties }): Promise<ArmIncident>;
  /** Creates or replaces a comment: the same commentId never makes a second comment. */
  putComment(ws: SentinelWorkspace, name: string, commentId: string, message: string): Promise<ArmComment>;
  listAlerts(ws: SentinelWorkspace, name: string): Promise<Record<string, unknown>[]>;
  listEntities(ws: SentinelWorkspace, name: string): Promise<Record<string, unknown>[]>;
}

const READ_ONLY = new Set([
  'createdTimeUtc',
  'lastModifiedTimeUtc',
  'incidentNumber',
  'incidentUrl',
  'additionalData',
  'relatedAnalyticRuleIds',
  'providerName',
  'providerIncidentId',
]);

/**
 * The properties to PUT back: everything read except the read-only fields, labels reduced to `{labelName}` (labelType
 * is read-only; existing labels must be sent again or the update removes them). Fields newer than this code are kept.
 */
export function writableProperties(p: ArmIncidentProperties): ArmIncidentProperties {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (!READ_ONLY.has(k) && v !== undefined && v !== null) out[k] = v;
  if (Array.isArray(p.labels)) out.labels = p.labels.map((l) => ({ labelName: l.labelName }));
  return out as ArmIncidentProperties;
}

export interface SentinelClientOptions {
  /** Retries of the pipeline for 408/429/5xx and network errors (default 3). */
  maxRetries?: number;
  retryDelayInMs?: number;
  /** Token scope: AZURE_CLOUD's Resource Manager scope (default: the endpoint's own origin). */
  scope?: string;
}

/** Every page of a list (nextLink only on the configured endpoint's origin). */
async function* incidentPages(call: RestCall, origin: string, listPath: string, query: ListQuery): AsyncGenerator<IncidentPage> {
  const q: Record<string, string | number> = {};
  if (query.filter) q.$filter = query.filter;
  if (query.orderby) q.$orderby = query.orderby;
  if (query.top) q.$top = query.top;
  const pages = followPages<IncidentPage>(
    call,
    origin,
    { path: listPath, query: q },
    (page) => page?.nextLink,
    (o) => new SentinelApiError(`nextLink points outside ${o}; refusing to follow it`, 502),
  );
  for await (const page of pages) yield { value: page?.value ?? [], ...(page?.nextLink ? { nextLink: page.nextLink } : {}) };
}

export function createSentinelClient(armEndpoint: string, azure: AzureAccess, options: SentinelClientOptions = {}): SentinelClient {
  const endpoint = armEndpoint.replace(/\/+$/, '');
  const origin = new URL(endpoint).origin;
  const client: Client = getClient(endpoint, azure.credential, {
    credentials: { scopes: [options.scope ?? scopeOf(endpoint)] },
    apiVersion: SENTINEL_API_VERSION,
    retryOptions: { maxRetries: options.maxRetries ?? 3, retryDelayInMs: options.retryDelayInMs ?? 500, maxRetryDelayInMs: 8000 },
    userAgentOptions: { userAgentPrefix: 'sentinel-bridge' },
    ...azure.tls,
  });
  const base = (ws: SentinelWorkspace) => `${workspaceArmId(ws)}/providers/Microsoft.SecurityInsights/incidents`;
  const seg = encodeURIComponent;
  const call = restCaller(
    client,
    (f) =>
      new SentinelApiError(
        `Sentinel ${f.method.toUpperCase()} ${f.path.replace(/^\/subscriptions\/[^/]+/, '/subscriptions/…')} failed: ${f.status} ${f.code ?? ''} ${f.message ?? ''}`.trim(),
        f.status,
        f.code,
        parseRetryAfter(f.headers['retry-after']),
      ),
  );

  return {
    listIncidentPages: (ws, query) => incidentPages(call, origin, base(ws), query),
    async getIncident(ws, name) {
      const { status, body } = await call('get', `${base(ws)}/${seg(name)}`);
      return status === 404 ? undefined : (body as ArmIncident);
    },
    async putIncident(ws, name, incident) {
      const body = { ...(incident.etag ? { etag: incident.etag } : {}), properties: writableProperties(incident.properties) };
      return (await call('put', `${base(ws)}/${seg(name)}`, { body })).body as ArmIncident;
    },
    async putComment(ws, name, commentId, message) {
      return (await call('put', `${base(ws)}/${seg(name)}/comments/${seg(commentId)}`, { body: { properties: { message } } }))
        .body as ArmComment;
    },
    async listAlerts(ws, name) {
      const body = (await call('post', `${base(ws)}/${seg(name)}/alerts`, { body: {} })).body as { value?: Record<string, unknown>[] };
      return body?.value ?? [];
    },
    async listEntities(ws, name) {
      const body = (await call('post', `${base(ws)}/${seg(name)}/entities`, { body: {} })).body as { entities?: Record<string, unknown>[] };
      return body?.entities ?? [];
    },
  };
}
