// Storage that stops answering (Azurite frozen with SIGSTOP: connections are accepted, nothing comes back): every
// ingest, status and health answer still comes within 10 s — the bound a webhook sender (Wallarm: 15 s) can live
// with. A behaviour bound, not a benchmark: the figures are printed, the assertion is only "answered in time".
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BridgeResponse } from '../../shared/http.js';
import { handleEvents, handleLegacyLogs } from '../../shared/ingest/handlers.js';
import { handleHealth, healthChecks } from '../../shared/operations/health.js';
import { handleStatus } from '../../shared/operations/status.js';
import { useDeliveryStack } from '../support/deliveryStack.js';
import { jsonRequest, request } from '../support/http.js';

const WORKSPACE = '7c0a1b2c-3d4e-4f50-8a9b-0c1d2e3f4a5b';
const KEY = randomBytes(64).toString('base64');
const stack = useDeliveryStack({ LOG_LEVEL: 'silent', DATA_COLLECTOR_WORKSPACE_ID: WORKSPACE, DATA_COLLECTOR_SHARED_KEY: KEY });

const BOUND_MS = 10_000;

/** The answer and how long it took; a request still unanswered well past the bound counts as hung. */
async function timed(name: string, call: () => Promise<BridgeResponse>): Promise<{ res: BridgeResponse | 'hung'; ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), BOUND_MS + 5_000);
  });
  const res = await Promise.race([call(), hung]).finally(() => clearTimeout(timer));
  const ms = Math.round(performance.now() - started);
  console.log(`frozen storage: ${name} answered ${res === 'hung' ? 'nothing' : res.status} after ${ms} ms`);
  return { res, ms };
}

const event = (tag: string) => ({ type: 'order', tag, time: new Date(stack.clock.now).toISOString() });
const postEvents = (tag: string) => handleEvents(jsonRequest('/api/events/generic', [event(tag)], { source: 'generic' }), stack.app.ingest);

function postLegacy(tag: string): Promise<BridgeResponse> {
  const body = JSON.stringify([{ domain: 'example.com', type: 'sqli', comment: tag }]);
  const length = Buffer.byteLength(body);
  const date = new Date(stack.clock.now).toUTCString();
  const signature = createHmac('sha256', Buffer.from(KEY, 'base64'))
    .update(`POST\n${length}\napplication/json\nx-ms-date:${date}\n/api/logs`)
    .digest('base64');
  return handleLegacyLogs(
    request({
      path: '/api/logs?api-version=2016-04-01',
      body,
      headers: {
        'content-type': 'application/json',
        'content-length': String(length),
        'log-type': 'new_hits',
        'x-ms-date': date,
        authorization: `SharedKey ${WORKSPACE}:${signature}`,
      },
    }),
    stack.app.ingest,
  );
}

/** Runs `body` with Azurite frozen; it is always resumed, whatever happens. */
async function whileFrozen<T>(body: () => Promise<T>): Promise<T> {
  process.kill(stack.azurite.pid, 'SIGSTOP');
  try {
    return await body();
  } finally {
    process.kill(stack.azurite.pid, 'SIGCONT');
  }
}

const expectUnavailable = (r: { res: BridgeResponse | 'hung'; ms: number }) => {
  expect(r.res).not.toBe('hung');
  expect(r.ms).toBeLessThan(BOUND_MS);
  const res = r.res as BridgeResponse;
  expect(res.status).toBe(503);
  return res;
};

describe('§4 storage trouble is answered fast, never hung', () => {
  it('§4 with storage frozen, POST /api/events and /api/logs answer 503 with Retry-After within 10 s, concurrent requests included', async () => {
    // Warm the connections first: a frozen peer then holds keep-alive sockets the SDK reuses.
    expect((await postEvents('warm')).status).toBe(202);
    const answers = await whileFrozen(() =>
      Promise.all([
        timed('POST /api/events', () => postEvents('frozen-1')),
        timed('POST /api/events (same stream, joins the group commit)', () => postEvents('frozen-2')),
        timed('POST /api/logs', () => postLegacy('frozen-3')),
      ]),
    );
    for (const a of answers) expect(expectUnavailable(a).headers?.['retry-after']).toMatch(/^\d+$/);
    // Resumed: the very next request is accepted again (no socket left stuck).
    const after = await timed('POST /api/events after resume', () => postEvents('after'));
    expect(after.res === 'hung' ? 0 : after.res.status).toBe(202);
  }, 60_000);

  it('§4 with storage frozen, GET /api/status and /api/health answer 503 naming the failing check within 10 s', async () => {
    const checks = healthChecks(stack.config, stack.app.storage, stack.app.azure.tls);
    const [status, health] = await whileFrozen(() =>
      Promise.all([
        timed('GET /api/status', () => handleStatus({ delivery: stack.app.delivery, incidents: stack.app.incidents })),
        timed('GET /api/health', () => handleHealth(checks)),
      ]),
    );
    const statusBody = expectUnavailable(status).jsonBody as { failing?: string[]; error?: string };
    expect(statusBody.failing).toContain('storage');
    expect(statusBody.error).toMatch(/storage/);
    const healthBody = expectUnavailable(health).jsonBody as { failing: string[] };
    expect(healthBody.failing).toEqual(expect.arrayContaining(['queue', 'table']));
    expect(healthBody.failing).not.toContain('logsIngestion');
  }, 60_000);
});
