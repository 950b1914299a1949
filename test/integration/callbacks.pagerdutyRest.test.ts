// The PagerDuty REST client (shared/callbacks/pagerdutyRest.ts) against the PagerDuty emulator over HTTPS, through
// @azure-rest/core-client: incident id → our dedup_keys (alert_key), every page, the documented headers, and errors
// that never name the key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPagerDutyRestClient, PagerDutyRestError } from '../../shared/callbacks/pagerdutyRest.js';
import { emulatorCall } from '../../tools/emulators/client.js';
import { startPagerDutyEmulator } from '../../tools/emulators/pagerduty.js';
import type { ReceivedRequest, RunningEmulator } from '../../tools/emulators/server.js';
import { type EmulatorTls, emulatorTls } from '../../tools/emulators/tls.js';

const KEY = 'y_NbAkKc66ryYTWUXYEu-readonly';
let dir: string;
let tls: EmulatorTls;
let pd: RunningEmulator;

const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  emulatorCall(pd.url, tls.ca, method, path, body, headers ? { headers } : {});
const client = (o: Partial<Parameters<typeof createPagerDutyRestClient>[0]> = {}) =>
  createPagerDutyRestClient({ apiKey: KEY, endpoint: pd.url, tlsOptions: { ca: tls.ca }, retryDelayInMs: 10, ...o });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pagerduty-emu-'));
  tls = await emulatorTls(dir);
  pd = await startPagerDutyEmulator({ port: 0, tls, apiKeys: [KEY] });
});
afterAll(async () => {
  await pd?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  for (const path of ['/_emulator/incidents', '/_emulator/received', '/_emulator/faults']) await call('DELETE', path);
});

describe('PagerDuty REST client', () => {
  it('maps an incident to the distinct alert_keys of all its alerts, page by page, with the documented headers', async () => {
    const keys = Array.from({ length: 230 }, (_, i) => `incident-${i % 229}`);
    expect((await call('POST', '/_emulator/incidents', { id: 'Q1XQPZ3PYQ0ABC', alerts: keys.map((k) => ({ alert_key: k })) })).status).toBe(
      200,
    );
    const got = await client().dedupKeysOf('Q1XQPZ3PYQ0ABC');
    expect(got).toEqual(Array.from({ length: 229 }, (_, i) => `incident-${i}`));

    const received = (await call('GET', '/_emulator/received')).json as ReceivedRequest[];
    expect(received.map((r) => r.path)).toEqual([0, 100, 200].map((o) => `/incidents/Q1XQPZ3PYQ0ABC/alerts?limit=100&offset=${o}`));
    for (const r of received) {
      expect(r.method).toBe('GET');
      expect(r.headers.authorization).toBe(`Token token=${KEY}`);
      expect(r.headers.accept).toBe('application/vnd.pagerduty+json;version=2');
    }
  });

  it('answers undefined for an incident PagerDuty does not know, and [] for one without alert keys', async () => {
    await call('POST', '/_emulator/incidents', { id: 'PEMPTY1', alerts: [] });
    expect(await client().dedupKeysOf('PNOPE42')).toBeUndefined();
    expect(await client().dedupKeysOf('PEMPTY1')).toEqual([]);
  });

  it('refuses a wrong key with a 401 error that says what to check and does not name the key', async () => {
    await call('POST', '/_emulator/incidents', { id: 'P1', alerts: [{ alert_key: 'k' }] });
    const e = await client({ apiKey: 'wrong-key-123456' })
      .dedupKeysOf('P1')
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PagerDutyRestError);
    expect(e).toMatchObject({ status: 401, code: 2006 });
    expect((e as Error).message).toContain('check the REST API key');
    expect((e as Error).message).not.toContain('wrong-key-123456');
  });

  it('retries a 503 and gives up on a slow answer after its timeout, without the key in the error', async () => {
    await call('POST', '/_emulator/incidents', { id: 'P2', alerts: [{ alert_key: 'k2' }] });
    await call('POST', '/_emulator/faults', { status: 503, count: 1 });
    expect(await client().dedupKeysOf('P2')).toEqual(['k2']);

    await call('POST', '/_emulator/faults', { latencyMs: 2000, count: 1 });
    const e = await client({ timeoutMs: 200, maxRetries: 0 })
      .dedupKeysOf('P2')
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PagerDutyRestError);
    expect((e as Error).message).not.toContain(KEY);
  });

  it('refuses an http endpoint: the REST API is HTTPS only', () => {
    expect(() => createPagerDutyRestClient({ apiKey: KEY, endpoint: 'http://127.0.0.1:1' })).toThrow(/HTTPS only/);
  });
});

describe('PagerDuty emulator rules', () => {
  it('cuts limit to 100, refuses offset + limit beyond 10,000, counts total only when asked, and needs the token', async () => {
    await call('POST', '/_emulator/incidents', { id: 'P3', alerts: Array.from({ length: 150 }, (_, i) => ({ alert_key: `k${i}` })) });
    const auth = { authorization: `Token token=${KEY}` };
    const big = await call('GET', '/incidents/P3/alerts?limit=500', undefined, auth);
    expect(big.json).toMatchObject({ limit: 100, offset: 0, more: true, total: null });
    expect((big.json as { alerts: unknown[] }).alerts).toHaveLength(100);
    const last = await call('GET', '/incidents/P3/alerts?offset=125&total=true', undefined, auth);
    expect(last.json).toMatchObject({ limit: 25, offset: 125, more: false, total: 150 });
    expect((await call('GET', '/incidents/P3/alerts?offset=9950&limit=100', undefined, auth)).status).toBe(400);
    expect((await call('GET', '/incidents/P3/alerts?limit=ten', undefined, auth)).status).toBe(400);
    expect((await call('GET', '/incidents/P3/alerts')).json).toEqual({ error: { message: 'Authentication failed', code: 2006 } });
    expect((await call('GET', '/incidents/P404/alerts', undefined, auth)).status).toBe(404);
  });
});
