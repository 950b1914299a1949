// The Microsoft Graph security incidents API (v1.0 /security/incidents) through @azure-rest/core-client with the
// app's credential. Contract and sources: docs/graph-security-api.md.
//   GET   /security/incidents?$filter&$top(≤50)&$expand=alerts → {value[], @odata.nextLink?}
//   GET   /security/incidents/{id}                              → incident
//   PATCH /security/incidents/{id}  assignedTo|classification|determination|status|customTags|… → 200 incident
//   POST  /security/incidents/{id}/comments {comment}           → 200 {value: every comment}
// 429 with Retry-After is retried by the pipeline's throttling policy (bounded by maxRetries) when the wait is at most
// maxRetryAfterMs; a longer wait, or what is left after the retries, is a GraphApiError carrying retryAfterMs for the
// caller's own schedule (a function invocation should not sleep for minutes).
// Graph incidents carry no ETag, so addTag's read-then-PATCH is last-writer-wins; the bridge is the only writer of
// its tag.

import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { type Client, getClient } from '@azure-rest/core-client';
import { scopeOf } from '../azure/credential.js';
import type { CLASSIFICATION_REASONS, CLASSIFICATIONS } from '../config.js';
import { parseRetryAfter } from '../reliability/retrySchedule.js';
import { IncidentApiError } from './apiError.js';
import { followPages, restCaller } from './restCall.js';

export const GRAPH_STATUSES = ['active', 'resolved', 'inProgress', 'redirected', 'awaitingAction'] as const;
export const GRAPH_SEVERITIES = ['informational', 'low', 'medium', 'high'] as const;
export type GraphStatus = (typeof GRAPH_STATUSES)[number];
export type GraphSeverity = (typeof GRAPH_SEVERITIES)[number];

export interface GraphIncidentComment {
  comment: string;
  createdByDisplayName?: string;
  createdDateTime?: string;
}

export interface GraphIncident {
  id: string;
  tenantId?: string;
  displayName: string;
  description?: string | null;
  createdDateTime: string;
  lastUpdateDateTime: string;
  assignedTo?: string | null;
  classification?: string;
  determination?: string;
  status: string;
  severity: string;
  customTags?: string[];
  comments?: GraphIncidentComment[];
  redirectIncidentId?: string | null;
  incidentWebUrl?: string;
  alerts?: Record<string, unknown>[];
  [field: string]: unknown;
}

export interface GraphIncidentPatch {
  status?: 'active' | 'resolved';
  assignedTo?: string | null;
  classification?: string;
  determination?: string;
  customTags?: string[];
  description?: string;
  resolvingComment?: string;
}

export interface ListIncidentsQuery {
  /** Only incidents created since then; absent: any creation time (the changed list). */
  createdSince?: Date;
  /** Only incidents changed since then (the watermark, with the caller's overlap). */
  updatedSince?: Date;
  /** Empty or absent: every status. */
  statuses?: readonly GraphStatus[];
  severities?: readonly GraphSeverity[];
  /** Page size, 1–50 (Graph refuses more); default 50. */
  top?: number;
}

export class GraphApiError extends IncidentApiError {
  override name = 'GraphApiError';
}

export interface GraphClient {
  /** Every page of the matching incidents with their alerts, following @odata.nextLink. */
  listIncidents(query: ListIncidentsQuery): AsyncIterable<GraphIncident[]>;
  /** The incident (with its alerts when asked), or undefined when it does not exist. */
  getIncident(id: string, options?: { expandAlerts?: boolean }): Promise<GraphIncident | undefined>;
  /** Refuses `status: redirected` before any request (a merge is Defender's to make, never the bridge's). */
  updateIncident(id: string, patch: GraphIncidentPatch): Promise<GraphIncident>;
  /** Adds the tag, keeping the existing ones (PATCH replaces the collection). No request when it is there already. */
  addTag(id: string, tag: string): Promise<GraphIncident>;
  /** Returns every comment of the incident, as Graph answers. */
  addComment(id: string, text: string): Promise<GraphIncidentComment[]>;
}

export interface GraphClientOptions {
  /** Graph's base, e.g. https://graph.microsoft.com (the v1.0 segment is added). */
  endpoint: string;
  credential: TokenCredential;
  /** PEM CA(s) to trust (the local emulators). */
  ca?: string;
  /** Retries of the pipeline for 408/429/5xx and network errors (default 3). */
  maxRetries?: number;
  retryDelayInMs?: number;
  /** Longest Retry-After the client waits out itself (default 30 s); longer → GraphApiError with retryAfterMs. */
  maxRetryAfterMs?: number;
}

const RETRY_AFTER_HEADERS = ['retry-after', 'retry-after-ms', 'x-ms-retry-after-ms'];
const LONG_RETRY_AFTER = 'x-sentinel-bridge-retry-after-ms';

/** Runs inside the retry loop: a throttled answer asking for a longer wait than `maxMs` loses its Retry-After headers,
 * so the throttling strategy returns it at once; the wait rides along in LONG_RETRY_AFTER for the error. */
function capRetryAfter(maxMs: number): PipelinePolicy {
  return {
    name: 'graphRetryAfterCap',
    async sendRequest(request, next) {
      const response = await next(request);
      if (response.status !== 429 && response.status !== 503) return response;
      const h = response.headers;
      const ms =
        parseRetryAfter(h.get('retry-after')) ??
        (h.get('retry-after-ms') ? Number(h.get('retry-after-ms')) : undefined) ??
        (h.get('x-ms-retry-after-ms') ? Number(h.get('x-ms-retry-after-ms')) : undefined);
      if (ms !== undefined && ms > maxMs) {
        for (const name of RETRY_AFTER_HEADERS) h.delete(name);
        h.set(LONG_RETRY_AFTER, String(ms));
      }
      return response;
    },
  };
}

/** The `$filter` for a listing; values come only from Dates and the enums above, so nothing needs quoting beyond them. */
export function incidentFilter(query: Omit<ListIncidentsQuery, 'top'>): string {
  const parts: string[] = [];
  if (query.createdSince) parts.push(`createdDateTime ge ${query.createdSince.toISOString()}`);
  if (query.updatedSince) parts.push(`lastUpdateDateTime ge ${query.updatedSince.toISOString()}`);
  const anyOf = (field: string, values: readonly string[], allowed: readonly string[]) => {
    for (const v of values) if (!allowed.includes(v)) throw new RangeError(`${field} '${v}' is not one of ${allowed.join(', ')}`);
    return values.length === 1 ? `${field} eq '${values[0]}'` : `(${values.map((v) => `${field} eq '${v}'`).join(' or ')})`;
  };
  if (query.statuses?.length) parts.push(anyOf('status', query.statuses, GRAPH_STATUSES));
  if (query.severities?.length) parts.push(anyOf('severity', query.severities, GRAPH_SEVERITIES));
  return parts.join(' and ');
}

export function createGraphClient(options: GraphClientOptions): GraphClient {
  const base = `${options.endpoint.replace(/\/+$/, '')}/v1.0`;
  const origin = new URL(base).origin;
  const client: Client = getClient(base, options.credential, {
    credentials: { scopes: [scopeOf(options.endpoint)] },
    retryOptions: { maxRetries: options.maxRetries ?? 3, retryDelayInMs: options.retryDelayInMs ?? 500, maxRetryDelayInMs: 8000 },
    userAgentOptions: { userAgentPrefix: 'sentinel-bridge' },
    additionalPolicies: [{ policy: capRetryAfter(options.maxRetryAfterMs ?? 30_000), position: 'perRetry' }],
    ...(options.ca ? { tlsOptions: { ca: options.ca } } : {}),
  });
  const seg = encodeURIComponent;

  const call = restCaller(
    client,
    (f) =>
      new GraphApiError(
        `Graph ${f.method.toUpperCase()} ${new URL(f.path, `${base}/`).pathname} failed: ${f.status} ${f.code ?? ''} ${f.message ?? ''}`
          .replace(/\s+/g, ' ')
          .trim(),
        f.status,
        f.code,
        parseRetryAfter(f.headers['retry-after']) ?? (f.headers[LONG_RETRY_AFTER] ? Number(f.headers[LONG_RETRY_AFTER]) : undefined),
      ),
  );

  const api: GraphClient = {
    async *listIncidents(query) {
      const top = query.top ?? 50;
      if (!Number.isInteger(top) || top < 1 || top > 50) throw new RangeError(`top must be 1–50 (Graph's limit), not ${top}`);
      const filter = incidentFilter(query);
      type Page = { value?: GraphIncident[]; '@odata.nextLink'?: string };
      const pages = followPages<Page>(
        call,
        origin,
        { path: '/security/incidents', query: { ...(filter ? { $filter: filter } : {}), $top: top, $expand: 'alerts' } },
        (page) => page?.['@odata.nextLink'],
        (o) => new GraphApiError(`@odata.nextLink points outside ${o}; refusing to follow it`, 502),
      );
      for await (const page of pages) yield page?.value ?? [];
    },
    async getIncident(id, options = {}) {
      const { status, body } = await call(
        'get',
        `/security/incidents/${seg(id)}`,
        options.expandAlerts ? { query: { $expand: 'alerts' } } : {},
      );
      return status === 404 ? undefined : (body as GraphIncident);
    },
    async updateIncident(id, patch) {
      if ((patch as { status?: string }).status === 'redirected') throw new RangeError('the bridge never sets status redirected');
      return (await call('patch', `/security/incidents/${seg(id)}`, { body: patch })).body as GraphIncident;
    },
    async addTag(id, tag) {
      const incident = await api.getIncident(id);
      if (!incident) throw new GraphApiError(`Graph incident ${id} was not found`, 404, 'NotFound');
      const tags = incident.customTags ?? [];
      if (tags.includes(tag)) return incident;
      return api.updateIncident(id, { customTags: [...tags, tag] });
    },
    async addComment(id, text) {
      const body = { '@odata.type': 'microsoft.graph.security.alertComment', comment: text };
      const res = (await call('post', `/security/incidents/${seg(id)}/comments`, { body })).body as { value?: GraphIncidentComment[] };
      return res?.value ?? [];
    },
  };
  return api;
}

export type SentinelClassification = (typeof CLASSIFICATIONS)[number];
export type SentinelClassificationReason = (typeof CLASSIFICATION_REASONS)[number];

/** Sentinel's closing classification as Graph's classification + determination (table in docs/graph-security-api.md). */
export function mapCloseClassification(
  classification: SentinelClassification,
  reason?: SentinelClassificationReason,
): { classification: string; determination: string } {
  switch (classification) {
    case 'TruePositive':
      return { classification: 'truePositive', determination: 'other' };
    case 'BenignPositive':
      return { classification: 'informationalExpectedActivity', determination: 'other' };
    case 'FalsePositive':
      return {
        classification: 'falsePositive',
        determination:
          reason === 'InaccurateData' ? 'notEnoughDataToValidate' : reason === 'IncorrectAlertLogic' ? 'notMalicious' : 'other',
      };
    case 'Undetermined':
      return { classification: 'unknown', determination: 'unknown' };
  }
}
