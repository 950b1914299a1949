// The Log Analytics query emulator, driven by @azure/monitor-query-logs through shared/incidents/kqlQuery.ts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createKqlQueryRunner, type KqlQueryRunner } from '../../shared/incidents/kqlQuery.js';
import { startLogAnalyticsQueryEmulator } from '../../tools/emulators/logAnalyticsQuery.js';
import type { ReceivedRequest, RunningEmulator } from '../../tools/emulators/server.js';
import { type EmulatorTls, emulatorTls } from '../../tools/emulators/tls.js';
import { emulatorCredential } from '../support/credential.js';
import { emulatorCall } from '../support/emulatorClient.js';
import { parseKql } from '../support/kusto.js';

const WORKSPACE = '11111111-2222-4333-8444-555555555555';
const TABLE = {
  name: 'PrimaryResult',
  columns: [
    { name: 'TimeGenerated', type: 'datetime' },
    { name: 'IpAddress', type: 'string' },
    { name: 'Count', type: 'long' },
  ],
  rows: [
    ['2026-01-01T00:00:00Z', '10.0.0.1', 3],
    ['2026-01-01T00:05:00Z', '10.0.0.2', 1],
  ],
};

let dir: string;
let tls: EmulatorTls;
let emulator: RunningEmulator;
let runner: KqlQueryRunner;

// biome-ignore lint/suspicious/noExplicitAny: answers are asserted field by field
type Json = any;
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  emulatorCall<Json>(emulator.url, tls.ca, method, path, body, { headers });
const received = async (): Promise<ReceivedRequest[]> => (await call('GET', '/_emulator/received')).json;
const seed = async (answers: unknown) => expect((await call('POST', '/_emulator/queries', answers)).status).toBe(200);

beforeAll(async () => {
  // The parser's first use takes seconds of CPU; do it before any keep-alive socket to the emulator is idle.
  parseKql('print 1');
  dir = mkdtempSync(join(tmpdir(), 'la-query-emu-'));
  tls = await emulatorTls(dir);
  emulator = await startLogAnalyticsQueryEmulator({ port: 0, dataDir: join(dir, 'state'), tls });
  runner = createKqlQueryRunner({ credential: emulatorCredential, endpoint: emulator.url, ca: tls.ca, maxRetries: 0 });
});
afterAll(async () => {
  await emulator?.close();
});
beforeEach(async () => {
  await call('DELETE', '/_emulator/queries');
  await call('DELETE', '/_emulator/received');
  await call('DELETE', '/_emulator/faults');
});

describe('Log Analytics query emulator', () => {
  it('requires a bearer token and a query, as the API does', async () => {
    const path = `/v1/workspaces/${WORKSPACE}/query`;
    const noAuth = await call('POST', path, { query: 'print 1' });
    expect(noAuth.status).toBe(401);
    expect(noAuth.json.error.code).toBe('AuthorizationRequiredError');
    const noQuery = await call('POST', path, { timespan: 'P1D' }, { authorization: 'Bearer t' });
    expect(noQuery.status).toBe(400);
    expect(noQuery.json.error.code).toBe('BadArgumentError');
    expect((await call('POST', '/_emulator/queries', { match: 'x' })).status).toBe(400);
    expect((await call('POST', '/_emulator/queries', { match: 'x', tables: [{ ...TABLE, rows: [['only one cell']] }] })).status).toBe(400);
  });

  it('answers the seeded tables for a matching query, as the SDK sends it', async () => {
    await seed({ match: 'SecurityEvent', tables: [TABLE] });
    const r = await runner.run({
      workspaceId: WORKSPACE,
      query: 'SecurityEvent | summarize Count = count() by IpAddress',
      timespan: 'PT4H',
    });
    expect(r).toEqual({
      ok: true,
      truncated: false,
      tables: [
        {
          ...TABLE,
          rows: [
            ['2026-01-01T00:00:00.000Z', '10.0.0.1', 3],
            ['2026-01-01T00:05:00.000Z', '10.0.0.2', 1],
          ],
        },
      ],
    });
    const [req] = await received();
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe(`/v1/workspaces/${WORKSPACE}/query`); // no api-version: the SDK sends none
    expect(req?.json).toEqual({ query: 'SecurityEvent | summarize Count = count() by IpAddress', timespan: 'PT4H' });
    expect(req?.headers.prefer).toBe('wait=30');
    expect(req?.headers.authorization).toMatch(/^Bearer /);
  });

  it('matches by regex and by workspace; an unmatched query finds no rows', async () => {
    await seed([
      { match: '^Heartbeat', regex: true, workspaceId: '99999999-0000-4000-8000-000000000000', tables: [TABLE] },
      { match: 'Heartbeat\\s*\\|', regex: true, tables: [{ ...TABLE, rows: [] }] },
    ]);
    const r = await runner.run({ workspaceId: WORKSPACE, query: 'Heartbeat | take 1' });
    expect(r).toMatchObject({ ok: true, tables: [{ rows: [] }] });
    const none = await runner.run({ workspaceId: WORKSPACE, query: 'AzureActivity | take 1' });
    expect(none).toEqual({ ok: true, truncated: false, tables: [{ name: 'PrimaryResult', columns: [], rows: [] }] });
  });

  it('returns a partial error beside the rows, and a fatal one as an error value', async () => {
    await seed([
      {
        match: 'partial',
        tables: [TABLE],
        error: { code: 'PartialError', message: 'Query result set has exceeded the internal data size limit', details: [] },
      },
      {
        match: 'broken',
        status: 400,
        error: { code: 'BadArgumentError', message: "Failed to resolve table or column expression named 'Nope'" },
      },
    ]);
    const partial = await runner.run({ workspaceId: WORKSPACE, query: 'SecurityEvent // partial' });
    expect(partial).toMatchObject({
      ok: true,
      partialError: { code: 'PartialError', message: 'Query result set has exceeded the internal data size limit' },
    });
    expect(partial.ok && partial.tables[0]?.rows).toHaveLength(2);
    const broken = await runner.run({ workspaceId: WORKSPACE, query: 'Nope | take 1 // broken' });
    expect(broken).toMatchObject({ ok: false, error: { status: 400 } });
    expect(!broken.ok && broken.error.message).toContain('Nope');
  });

  it('caps the result and times out a slow query, returning instead of throwing', async () => {
    await seed({ match: 'SecurityEvent', tables: [TABLE] });
    const capped = await runner.run({ workspaceId: WORKSPACE, query: 'SecurityEvent', limits: { maxRows: 1, maxColumns: 2 } });
    expect(capped).toMatchObject({
      ok: true,
      truncated: true,
      tables: [{ columns: [{ name: 'TimeGenerated' }, { name: 'IpAddress' }], rows: [[expect.any(String), '10.0.0.1']] }],
    });
    await call('POST', '/_emulator/faults', { latencyMs: 3000, count: 1 });
    const slow = await runner.run({ workspaceId: WORKSPACE, query: 'SecurityEvent', limits: { timeoutMs: 300 } });
    expect(slow).toEqual({ ok: false, error: { code: 'Timeout', message: 'no answer within 300 ms' } });
  });

  it('sends incident values as let literals: an injection attempt arrives as a literal', async () => {
    const hostile = '10.0.0.1"; SecurityEvent | take 100000; let x = "\\\n';
    const query = 'SecurityEvent | where IpAddress in (ips) or Account == account | take 10';
    await runner.run({ workspaceId: WORKSPACE, query, parameters: { ips: [hostile, '10.0.0.2'], account: "o'brien\r\n" } });
    const [req] = await received();
    const text = String((req?.json as { query?: string } | undefined)?.query);
    expect(text.endsWith(`\n${query}`)).toBe(true);
    const parsed = parseKql(text);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.statements).toBe(3);
    expect(parsed.lets).toEqual(
      new Map<string, unknown>([
        ['ips', [hostile, '10.0.0.2']],
        ['account', "o'brien\r\n"],
      ]),
    );
  });

  it('keeps seeded answers across a restart until DELETE', async () => {
    await seed({ match: 'kept', tables: [TABLE] });
    await emulator.close();
    emulator = await startLogAnalyticsQueryEmulator({ port: 0, dataDir: join(dir, 'state'), tls });
    runner = createKqlQueryRunner({ credential: emulatorCredential, endpoint: emulator.url, ca: tls.ca, maxRetries: 0 });
    expect((await call('GET', '/_emulator/queries')).json).toHaveLength(1);
  });
});
