// The Graph security emulator's contract, exercised with the app's own client (shared/incidents/graphClient.ts).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGraphClient, GraphApiError, type GraphClient, mapCloseClassification } from '../../shared/incidents/graphClient.js';
import { startGraphEmulator } from '../../tools/emulators/graph.js';
import type { ReceivedRequest, RunningEmulator } from '../../tools/emulators/server.js';
import { type EmulatorTls, emulatorTls } from '../../tools/emulators/tls.js';
import { emulatorCredential } from '../support/credential.js';
import { emulatorCall } from '../support/emulatorClient.js';

let dir: string;
let tls: EmulatorTls;
let emulator: RunningEmulator;
let client: GraphClient;

// biome-ignore lint/suspicious/noExplicitAny: Graph answers are asserted field by field
type Json = any;

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  emulatorCall<Json>(emulator.url, tls.ca, method, path, body, { headers });
const auth = { authorization: 'Bearer test' };
const seed = async (incidents: unknown) => {
  const r = await call('POST', '/_emulator/incidents', incidents);
  expect(r.status, r.text).toBe(201);
  return r.json;
};
const received = async (): Promise<ReceivedRequest[]> => (await call('GET', '/_emulator/received')).json;
const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000);
const clientWith = (maxRetries: number) =>
  createGraphClient({ endpoint: emulator.url, credential: emulatorCredential, ca: tls.ca, maxRetries, retryDelayInMs: 10 });

async function listIds(query: Parameters<GraphClient['listIncidents']>[0]): Promise<{ ids: string[]; pages: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  for await (const page of client.listIncidents(query)) {
    pages.push(page.length);
    ids.push(...page.map((i) => i.id));
  }
  return { ids, pages };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'graph-emu-'));
  tls = await emulatorTls(dir);
  emulator = await startGraphEmulator({ port: 0, dataDir: join(dir, 'state'), tls });
  client = clientWith(0);
});
afterAll(async () => {
  await emulator?.close();
});
beforeEach(async () => {
  await call('DELETE', '/_emulator/incidents');
  await call('DELETE', '/_emulator/received');
  await call('DELETE', '/_emulator/faults');
});

describe('Graph security emulator', () => {
  it('answers 401 InvalidAuthenticationToken without a bearer token, in Graph’s error shape', async () => {
    const r = await call('GET', '/v1.0/security/incidents');
    expect(r.status).toBe(401);
    expect(r.json.error).toMatchObject({ code: 'InvalidAuthenticationToken', message: 'Access token is empty.' });
    expect(r.json.error.innerError['request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('pages through every @odata.nextLink with the filter and $expand kept', async () => {
    await seed(Array.from({ length: 120 }, (_, i) => ({ id: String(1000 + i), createdDateTime: hoursAgo(1 + i / 100).toISOString() })));
    const { ids, pages } = await listIds({ createdSince: hoursAgo(24) });
    expect(pages).toEqual([50, 50, 20]);
    expect(new Set(ids).size).toBe(120);
    // newest first, as Graph lists them
    expect(ids.slice(0, 3)).toEqual(['1000', '1001', '1002']);
    const gets = (await received()).filter((r) => r.method === 'GET');
    expect(gets).toHaveLength(3);
    for (const r of gets) {
      const q = new URL(r.path, 'https://x').searchParams;
      expect(q.get('$expand')).toBe('alerts');
      expect(q.get('$top')).toBe('50');
      expect(q.get('$filter')).toMatch(/^createdDateTime ge \d{4}-/);
    }
  });

  it('filters on createdDateTime, lastUpdateDateTime, status and severity as asked', async () => {
    await seed([
      { id: 'a', status: 'active', severity: 'high', createdDateTime: hoursAgo(2).toISOString() },
      { id: 'b', status: 'inProgress', severity: 'medium', createdDateTime: hoursAgo(3).toISOString() },
      { id: 'c', status: 'resolved', severity: 'high', createdDateTime: hoursAgo(3).toISOString() },
      { id: 'd', status: 'active', severity: 'low', createdDateTime: hoursAgo(3).toISOString() },
      { id: 'e', status: 'active', severity: 'informational', createdDateTime: hoursAgo(4).toISOString() },
      { id: 'old', status: 'active', severity: 'high', createdDateTime: hoursAgo(48).toISOString() },
      {
        id: 'stale',
        status: 'active',
        severity: 'high',
        createdDateTime: hoursAgo(5).toISOString(),
        lastUpdateDateTime: hoursAgo(5).toISOString(),
      },
    ]);
    const since = hoursAgo(24);
    expect((await listIds({ createdSince: since, statuses: ['active', 'inProgress'], severities: ['high', 'medium'] })).ids.sort()).toEqual(
      ['a', 'b', 'stale'],
    );
    expect((await listIds({ createdSince: since, statuses: ['active'], severities: ['informational'] })).ids).toEqual(['e']);
    expect((await listIds({ createdSince: since, updatedSince: hoursAgo(4.5), severities: ['high'] })).ids.sort()).toEqual(['a', 'c']);
  });

  it('refuses filters Graph does not support, and $top above 50 as Graph does', async () => {
    const bad = await call('GET', `/v1.0/security/incidents?$filter=${encodeURIComponent("displayName eq 'x'")}`, undefined, auth);
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('BadRequest');
    expect(bad.json.error.message).toMatch(/Invalid filter clause.*displayName/);
    const notOp = await call('GET', `/v1.0/security/incidents?$filter=${encodeURIComponent("not (status eq 'active')")}`, undefined, auth);
    expect(notOp.status).toBe(400);
    const badEnum = await call('GET', `/v1.0/security/incidents?$filter=${encodeURIComponent("severity eq 'critical'")}`, undefined, auth);
    expect(badEnum.status).toBe(400);
    const top = await call('GET', '/v1.0/security/incidents?$top=100', undefined, auth);
    expect(top.status).toBe(400);
    expect(top.json.error.message).toBe(
      "The query specified in the URI is not valid. The limit of '50' for Top query has been exceeded. The value from the incoming request is '100'.",
    );
    await expect(async () => {
      for await (const _ of client.listIncidents({ createdSince: hoursAgo(1), top: 51 })) break;
    }).rejects.toThrow(RangeError);
  });

  it('expands alerts on the list and on one incident only when asked', async () => {
    await seed({ id: '7', alerts: [{ id: 'da637_1', title: 'Suspicious execution of hidden file', severity: 'low' }] });
    const [page] = await (async () => {
      const out = [];
      for await (const p of client.listIncidents({ createdSince: hoursAgo(1) })) out.push(p);
      return out;
    })();
    expect(page?.[0]?.alerts).toEqual([{ id: 'da637_1', title: 'Suspicious execution of hidden file', severity: 'low' }]);
    const one = await client.getIncident('7');
    expect(one?.alerts).toBeUndefined();
    const expanded = await call('GET', '/v1.0/security/incidents/7?$expand=alerts', undefined, auth);
    expect(expanded.json.alerts).toHaveLength(1);
    expect(await client.getIncident('nope')).toBeUndefined();
  });

  it('PATCHes updatable fields and refuses read-only ones with 400 naming the property', async () => {
    await seed({ id: '11', customTags: ['Demo'] });
    const updated = await client.updateIncident('11', {
      assignedTo: 'kai@contoso.example',
      classification: 'TruePositive',
      determination: 'MultiStagedAttack',
    });
    expect(updated).toMatchObject({
      assignedTo: 'kai@contoso.example',
      classification: 'truePositive',
      determination: 'multiStagedAttack',
    });
    for (const field of ['createdDateTime', 'tenantId', 'redirectIncidentId', 'incidentWebUrl', 'comments']) {
      const err = await client.updateIncident('11', { [field]: 'x' } as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GraphApiError);
      expect((err as GraphApiError).status).toBe(400);
      expect((err as GraphApiError).message).toContain(`'${field}'`);
    }
    const badValue = await client.updateIncident('11', { classification: 'maybe' }).catch((e: unknown) => e);
    expect((badValue as GraphApiError).status).toBe(400);
    const after = (await call('GET', '/_emulator/incidents/11')).json;
    expect(after.tenantId).not.toBe('x');
    expect(after.customTags).toEqual(['Demo']);
  });

  it('addTag keeps the existing tags and sends nothing when the tag is there', async () => {
    await seed({ id: '12', customTags: ['Demo', 'Phishing'] });
    await client.addTag('12', 'sentinel-bridge');
    expect((await call('GET', '/_emulator/incidents/12')).json.customTags).toEqual(['Demo', 'Phishing', 'sentinel-bridge']);
    await call('DELETE', '/_emulator/received');
    await client.addTag('12', 'sentinel-bridge');
    expect((await received()).map((r) => r.method)).toEqual(['GET']);
    await expect(client.addTag('missing', 'x')).rejects.toMatchObject({ status: 404 });
  });

  it('adds comments and answers with every comment of the incident', async () => {
    await seed({
      id: '13',
      comments: [{ comment: 'test', createdByDisplayName: 'secAdmin@contoso.example', createdDateTime: hoursAgo(1).toISOString() }],
    });
    const all = await client.addComment('13', 'Forwarded to pagerduty');
    expect(all.map((c) => c.comment)).toEqual(['test', 'Forwarded to pagerduty']);
    expect(all[1]?.createdDateTime).toMatch(/^\d{4}-/);
    const sent = (await received()).find((r) => r.method === 'POST');
    expect(sent?.json).toEqual({ '@odata.type': 'microsoft.graph.security.alertComment', comment: 'Forwarded to pagerduty' });
    expect((await call('GET', '/_emulator/incidents/13')).json.comments).toHaveLength(2);
  });

  it('syncs status with the mapped classification, and never PATCHes redirected', async () => {
    await seed({ id: '14' });
    await client.updateIncident('14', { status: 'resolved', ...mapCloseClassification('FalsePositive', 'InaccurateData') });
    expect((await call('GET', '/_emulator/incidents/14')).json).toMatchObject({
      status: 'resolved',
      classification: 'falsePositive',
      determination: 'notEnoughDataToValidate',
    });
    await call('DELETE', '/_emulator/received');
    await expect(client.updateIncident('14', { status: 'redirected' } as never)).rejects.toThrow(RangeError);
    expect(await received()).toEqual([]);
  });

  it('lists a merged incident as redirected, naming where it went; seeding one needs the target', async () => {
    await seed([{ id: '20' }, { id: '21', status: 'redirected', redirectIncidentId: '20' }]);
    const { ids } = await listIds({ createdSince: hoursAgo(1), statuses: ['redirected'] });
    expect(ids).toEqual(['21']);
    expect(await client.getIncident('21')).toMatchObject({ status: 'redirected', redirectIncidentId: '20' });
    const bad = await call('POST', '/_emulator/incidents', { id: '22', status: 'redirected' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toContain('redirectIncidentId');
  });

  it('shows awaitingAction only to callers that opt in to the evolvable enum members', async () => {
    await seed({ id: '30', status: 'awaitingAction' });
    expect((await client.getIncident('30'))?.status).toBe('unknownFutureValue');
    const optIn = await call('GET', '/v1.0/security/incidents/30', undefined, { ...auth, prefer: 'include-unknown-enum-members' });
    expect(optIn.json.status).toBe('awaitingAction');
  });

  it('honours 429 Retry-After through the pipeline, a bounded number of times', async () => {
    await seed({ id: '40' });
    const retrying = clientWith(2);
    await call('POST', '/_emulator/faults', { status: 429, count: 1, retryAfter: 1 });
    const started = Date.now();
    expect((await retrying.getIncident('40'))?.id).toBe('40');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect((await received()).filter((r) => r.method === 'GET')).toHaveLength(2);

    await call('DELETE', '/_emulator/received');
    await call('POST', '/_emulator/faults', { status: 429, count: 5, retryAfter: 0 });
    const err = await retrying.getIncident('40').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphApiError);
    expect((err as GraphApiError).status).toBe(429);
    expect((err as GraphApiError).retryAfterMs).toBe(0);
    expect(await received()).toHaveLength(3);

    // A wait longer than the client's cap is the caller's to schedule: no sleeping in the invocation.
    await call('DELETE', '/_emulator/received');
    await call('DELETE', '/_emulator/faults');
    await call('POST', '/_emulator/faults', { status: 429, count: 1, retryAfter: 120 });
    const long = await retrying.getIncident('40').catch((e: unknown) => e);
    expect(long).toMatchObject({ status: 429, retryAfterMs: 120_000 });
    expect(await received()).toHaveLength(1);
  });

  it('keeps incidents across a restart until DELETE', async () => {
    await seed({ id: '50', customTags: ['kept'] });
    const dataDir = join(dir, 'state');
    await emulator.close();
    emulator = await startGraphEmulator({ port: 0, dataDir, tls });
    client = clientWith(0);
    expect((await client.getIncident('50'))?.customTags).toEqual(['kept']);
  });
});
