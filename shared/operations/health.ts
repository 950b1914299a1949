// GET /api/health: each dependency checked with a short timeout; 503 names the failing check.
import { createDefaultHttpClient, createPipelineRequest } from '@azure/core-rest-pipeline';
import type { TlsClientOptions } from '../azure/credential.js';
import type { Config } from '../config.js';
import type { BridgeResponse } from '../http.js';
import { type Storage, withinDeadline } from '../storage/clients.js';
import { QUEUES, TABLES } from '../storage/names.js';

/** One dependency check; it passes `signal` to its calls, so a check that runs out of time leaves nothing running. */
export type Check = (signal: AbortSignal) => Promise<string | undefined>;

/** Each check answers within this, so /api/health answers within it too (the checks run side by side). */
const TIMEOUT_MS = 5000;

async function run(name: string, check: Check): Promise<{ ok: boolean; detail?: string }> {
  try {
    const detail = await withinDeadline(TIMEOUT_MS, `health check ${name}`, check);
    return { ok: true, ...(detail ? { detail } : {}) };
  } catch (e) {
    return { ok: false, detail: (e as Error).message };
  }
}

export function healthChecks(config: Config, s: Storage, tls: TlsClientOptions): Record<string, Check> {
  return {
    queue: async (abortSignal) => {
      const p = await s.queue(QUEUES.events).getProperties({ abortSignal });
      return `events queue: ${p.approximateMessagesCount ?? 0} waiting`;
    },
    table: async (abortSignal) => {
      await s.table(TABLES.ledger).getAccessPolicy({ abortSignal });
      return undefined;
    },
    logsIngestion: (abortSignal) => logsIngestionReachable(config, tls, abortSignal),
  };
}

/** Every DCR endpoint answers over TLS (any HTTP status counts: it is reachability, not authorisation). */
async function logsIngestionReachable(config: Config, tls: TlsClientOptions, abortSignal: AbortSignal): Promise<string> {
  const endpoints = [...new Set(config.LOGS_INGESTION_RULES.map((r) => r.endpoint))];
  if (endpoints.length === 0) throw new Error('LOGS_INGESTION_RULES is empty: no DCR is configured, events cannot be delivered');
  const client = createDefaultHttpClient();
  const ca = tls.tlsOptions?.ca;
  await Promise.all(
    endpoints.map((url) =>
      client.sendRequest(
        // createPipelineRequest does not copy tlsSettings from its options: set it on the request.
        Object.assign(createPipelineRequest({ url, method: 'GET', timeout: TIMEOUT_MS, abortSignal }), ca ? { tlsSettings: { ca } } : {}),
      ),
    ),
  );
  return `${endpoints.length} endpoint(s) reachable`;
}

export async function handleHealth(checks: Record<string, Check>): Promise<BridgeResponse> {
  const results = Object.fromEntries(
    await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await run(name, check)] as const)),
  );
  const failing = Object.entries(results)
    .filter(([, r]) => !r.ok)
    .map(([name]) => name);
  return failing.length
    ? { status: 503, jsonBody: { status: 'unhealthy', failing, checks: results } }
    : { status: 200, jsonBody: { status: 'ok', checks: results } };
}

/**
 * The answer of every HTTP route while the settings are invalid (the host still registers them, so /api/health can
 * say why): 503 naming the problem. Queue and timer functions are not registered then, so no work is consumed.
 */
export function settingsUnavailable(problem: string, route: 'health' | 'other'): BridgeResponse {
  return route === 'health'
    ? { status: 503, jsonBody: { status: 'unhealthy', failing: ['settings'], checks: { settings: { ok: false, detail: problem } } } }
    : { status: 503, headers: { 'retry-after': '60' }, jsonBody: { error: `the app is not running: ${problem}` } };
}
