// PagerDuty's REST API, read only, for one question: which of our Events v2 dedup_keys does a PagerDuty incident
// hold? A Webhooks v3 event names PagerDuty's own incident id; its alerts carry our keys as `alert_key`.
// Contract (PagerDuty/api-schema reference/REST/openapiv3.json, listIncidentAlerts; PagerDuty/developer-docs
// docs/REST-API/): GET https://api.pagerduty.com/incidents/{id}/alerts?limit&offset → {alerts: [{alert_key, …}],
// limit, offset, more}; HTTPS only; `Authorization: Token token=<key>` (02-Authentication.md); the version header
// `Accept: application/vnd.pagerduty+json;version=2` (03-Versioning.md; required in the spec, with
// `Content-Type: application/json`); classic pagination: limit ≤ 100, offset + limit ≤ 10,000 (09-Pagination.md);
// errors {error: {message, code}} (14-Errors.md), 429 when rate limited (retried by the pipeline).

import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { type Client, getClient } from '@azure-rest/core-client';

export const PAGERDUTY_API = 'https://api.pagerduty.com';
export const ACCEPT = 'application/vnd.pagerduty+json;version=2';
/** The documented page size cap, and the records classic pagination reaches at most. */
export const PAGE_LIMIT = 100;
export const PAGINATION_MAX = 10_000;

export class PagerDutyRestError extends Error {
  override name = 'PagerDutyRestError';
  constructor(
    message: string,
    readonly status: number,
    readonly code?: number,
  ) {
    super(message);
  }
}

export interface PagerDutyRestOptions {
  /** A read-only REST API key (account or user token). Never logged, never in an error. */
  apiKey: string;
  /** Default https://api.pagerduty.com; an emulator's URL in tests. */
  endpoint?: string;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /** Retries for 408/429/5xx and network errors (default 3). */
  maxRetries?: number;
  retryDelayInMs?: number;
  /** Extra CAs (the emulators' self-signed CA). */
  tlsOptions?: { ca: string };
}

export interface PagerDutyRestClient {
  /** The distinct alert_keys of the incident's alerts, in PagerDuty's order; undefined when the incident does not exist. */
  dedupKeysOf(incidentId: string): Promise<string[] | undefined>;
}

/** Sets PagerDuty's token header and its versioned Accept header on every request. */
function tokenPolicy(apiKey: string): PipelinePolicy {
  return {
    name: 'pagerDutyTokenPolicy',
    sendRequest(request, next) {
      request.headers.set('authorization', `Token token=${apiKey}`);
      request.headers.set('accept', ACCEPT);
      return next(request);
    },
  };
}

interface AlertsPage {
  alerts?: { alert_key?: string | null }[];
  more?: boolean;
}

export function createPagerDutyRestClient(options: PagerDutyRestOptions): PagerDutyRestClient {
  const endpoint = (options.endpoint ?? PAGERDUTY_API).replace(/\/+$/, '');
  if (new URL(endpoint).protocol !== 'https:') throw new TypeError('the PagerDuty REST API is HTTPS only (an http endpoint is refused)');
  const client: Client = getClient(endpoint, {
    additionalPolicies: [{ policy: tokenPolicy(options.apiKey), position: 'perCall' }],
    retryOptions: { maxRetries: options.maxRetries ?? 3, retryDelayInMs: options.retryDelayInMs ?? 500, maxRetryDelayInMs: 8000 },
    userAgentOptions: { userAgentPrefix: 'sentinel-bridge' },
    ...(options.tlsOptions ? { tlsOptions: options.tlsOptions } : {}),
  });
  const timeout = options.timeoutMs ?? 10_000;

  return {
    async dedupKeysOf(incidentId) {
      const keys = new Set<string>();
      for (let offset = 0; offset + PAGE_LIMIT <= PAGINATION_MAX; offset += PAGE_LIMIT) {
        let res: Awaited<ReturnType<ReturnType<Client['pathUnchecked']>['get']>>;
        try {
          res = await client.pathUnchecked('/incidents/{id}/alerts', incidentId).get({
            queryParameters: { limit: PAGE_LIMIT, offset },
            headers: { 'content-type': 'application/json' },
            timeout,
          });
        } catch (e) {
          // Network errors and timeouts: the message names the host, never the request's headers.
          throw new PagerDutyRestError(`PagerDuty REST API unreachable: ${(e as Error).message}`, 0);
        }
        const status = Number(res.status);
        if (status === 404) return offset === 0 ? undefined : [...keys];
        if (status !== 200) {
          const err = (res.body as { error?: { message?: string; code?: number } } | undefined)?.error;
          const advice = status === 401 ? ' — check the REST API key' : status === 403 ? ' — the key may not read this incident' : '';
          throw new PagerDutyRestError(
            `PagerDuty GET /incidents/${incidentId}/alerts failed: ${status}${err?.message ? ` ${err.message}` : ''}${advice}`,
            status,
            err?.code,
          );
        }
        const page = res.body as AlertsPage | undefined;
        for (const alert of page?.alerts ?? []) if (alert.alert_key) keys.add(alert.alert_key);
        if (!page?.more) break;
      }
      return [...keys];
    },
  };
}
