// The Sentinel ARM emulator's contract, exercised with the app's own REST client (shared/incidents/sentinelClient.ts).

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAzureAccess } from '../../shared/azure/credential.js';
import { loadConfig } from '../../shared/config.js';
import {
  type ArmIncident,
  createSentinelClient,
  isConflict,
  SENTINEL_API_VERSION,
  type SentinelClient,
} from '../../shared/incidents/sentinelClient.js';
import { startSentinelEmulator } from '../../tools/emulators/sentinel.js';
import type { RunningEmulator } from '../../tools/emulators/server.js';
import { type EmulatorTls, emulatorTls } from '../../tools/emulators/tls.js';
import { emulatorCall } from '../support/emulatorClient.js';

const ws = { subscriptionId: '00000000-0000-4000-8000-000000000001', resourceGroup: 'rg-sec', workspaceName: 'sentinel-a' };
const wsPath = `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${ws.workspaceName}`;
const incidentsPath = `${wsPath}/providers/Microsoft.SecurityInsights/incidents`;

let dir: string;
let tls: EmulatorTls;
let emulator: RunningEmulator;
let client: SentinelClient;

// biome-ignore lint/suspicious/noExplicitAny: ARM answers are asserted field by field
type Json = any;

const call = (
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Json }> => emulatorCall<Json>(emulator.url, tls.ca, method, path, body, { headers });
const seed = (incidents: unknown) => call('POST', '/_emulator/incidents', incidents);
const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();

function clientFor(url: string, maxRetries = 0): SentinelClient {
  const config = loadConfig({
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    ARM_ENDPOINT: url,
    BRIDGE_CREDENTIAL: 'emulator',
    EMULATOR_CA_FILE: tls.caFile,
  });
  return createSentinelClient(config.ARM_ENDPOINT, createAzureAccess(config), { maxRetries, retryDelayInMs: 10 });
}

async function listAllNames(filter?: string, orderby?: string, top = 1000): Promise<{ names: string[]; pages: number }> {
  const names: string[] = [];
  let pages = 0;
  for await (const page of client.listIncidentPages(ws, { ...(filter ? { filter } : {}), ...(orderby ? { orderby } : {}), top })) {
    pages++;
    names.push(...page.value.map((i) => i.name));
  }
  return { names, pages };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sentinel-emu-'));
  tls = await emulatorTls(dir);
  emulator = await startSentinelEmulator({ port: 0, dataDir: join(dir, 'state'), tls, workspaces: [ws], pageSize: 10 });
  client = clientFor(emulator.url);
});
afterAll(async () => {
  await emulator?.close();
});
beforeEach(async () => {
  await call('DELETE', '/_emulator/incidents');
  await call('DELETE', '/_emulator/received');
  await call('DELETE', '/_emulator/faults');
});

describe('Sentinel emulator', () => {
  it('requires a bearer token and an api-version, like ARM', async () => {
    const noAuth = await call('GET', `${incidentsPath}?api-version=${SENTINEL_API_VERSION}`);
    expect(noAuth.status).toBe(401);
    expect(noAuth.json.error.code).toBe('AuthenticationFailed');
    const noVersion = await call('GET', incidentsPath, undefined, { authorization: 'Bearer x' });
    expect(noVersion.status).toBe(400);
    expect(noVersion.json.error.code).toBe('MissingApiVersionParameter');
    const unknownWorkspace = await call(
      'GET',
      `${incidentsPath.replace('sentinel-a', 'other')}?api-version=${SENTINEL_API_VERSION}`,
      undefined,
      { authorization: 'Bearer x' },
    );
    expect(unknownWorkspace.status).toBe(404);
  });

  it('lists with $filter on createdTimeUtc, status and severity, $orderby, and pages by nextLink', async () => {
    const severities = ['High', 'Medium', 'Low', 'Informational'];
    const statuses = ['New', 'Active', 'Closed'];
    const seeded = Array.from({ length: 36 }, (_, i) => ({
      name: `inc-${String(i).padStart(2, '0')}`,
      properties: {
        title: `Incident ${i}`,
        severity: severities[i % 4],
        status: statuses[i % 3],
        createdTimeUtc: hoursAgo(i % 2 === 0 ? 1 + i / 10 : 30 + i),
      },
    }));
    expect((await seed(seeded)).status).toBe(201);

    const all = await listAllNames();
    expect(all.names).toHaveLength(36);
    expect(all.pages).toBe(4);

    const since = `${new Date(Date.now() - 24 * 3600_000).toISOString().slice(0, 19)}Z`;
    const filter = `properties/createdTimeUtc ge ${since} and properties/status eq 'New' and (properties/severity eq 'High' or properties/severity eq 'Low')`;
    const expected = seeded
      .filter(
        (s) =>
          Date.parse(s.properties.createdTimeUtc) >= Date.parse(since) &&
          s.properties.status === 'New' &&
          ['High', 'Low'].includes(s.properties.severity as string),
      )
      .sort((a, b) => Date.parse(a.properties.createdTimeUtc) - Date.parse(b.properties.createdTimeUtc))
      .map((s) => s.name);
    expect(expected.length).toBeGreaterThan(0);
    const filtered = await listAllNames(filter, 'properties/createdTimeUtc asc');
    expect(filtered.names).toEqual(expected);
    const desc = await listAllNames(filter, 'properties/createdTimeUtc desc');
    expect(desc.names).toEqual([...expected].reverse());

    // Small pages: the nextLink keeps the filter and order.
    const paged = await listAllNames(filter, 'properties/createdTimeUtc asc', 2);
    expect(paged.names).toEqual(expected);
    expect(paged.pages).toBe(Math.ceil(expected.length / 2));

    const received = (await call('GET', '/_emulator/received')).json as { path: string; headers: Record<string, string> }[];
    const first = new URL(received[0]?.path ?? '', 'https://x');
    expect(first.searchParams.get('api-version')).toBe('2025-09-01');
    expect(first.searchParams.get('$top')).toBe('1000');
    expect(received.every((r) => /^Bearer /.test(r.headers.authorization ?? ''))).toBe(true);
    const next = received.find((r) => r.path.includes('skipToken'));
    expect(new URL(next?.path ?? '', 'https://x').searchParams.get('api-version')).toBe('2025-09-01');
  });

  it('refuses a bad $filter and $top > 1000 with 400', async () => {
    const bad = await call(
      'GET',
      `${incidentsPath}?api-version=${SENTINEL_API_VERSION}&$filter=${encodeURIComponent("properties/status like 'N'")}`,
      undefined,
      { authorization: 'Bearer x' },
    );
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/OData query syntax error/);
    const top = await call('GET', `${incidentsPath}?api-version=${SENTINEL_API_VERSION}&$top=1001`, undefined, {
      authorization: 'Bearer x',
    });
    expect(top.status).toBe(400);
  });

  it('updates with the etag, keeps read-only fields and labelType, and refuses a stale etag with 412', async () => {
    await seed({
      name: 'inc-1',
      properties: {
        title: 'T',
        severity: 'High',
        status: 'New',
        description: 'd',
        createdTimeUtc: hoursAgo(2),
        labels: [{ labelName: 'auto', labelType: 'AutoAssigned' }],
      },
    });
    const read = await client.getIncident(ws, 'inc-1');
    expect(read?.etag).toMatch(/^".+"$/);
    expect(read?.id).toBe(`${wsPath}/providers/Microsoft.SecurityInsights/Incidents/inc-1`);
    const written = await client.putIncident(ws, 'inc-1', {
      etag: read?.etag as string,
      properties: {
        ...(read as ArmIncident).properties,
        labels: [...(read?.properties.labels ?? []), { labelName: 'mine' }],
        status: 'Active',
      },
    });
    expect(written.etag).not.toBe(read?.etag);
    expect(written.properties.status).toBe('Active');
    expect(written.properties.description).toBe('d');
    expect(written.properties.createdTimeUtc).toBe(read?.properties.createdTimeUtc);
    expect(written.properties.incidentNumber).toBe(read?.properties.incidentNumber);
    expect(written.properties.labels).toEqual([
      { labelName: 'auto', labelType: 'AutoAssigned' },
      { labelName: 'mine', labelType: 'User' },
    ]);

    const stale = await client
      .putIncident(ws, 'inc-1', { etag: read?.etag as string, properties: { title: 'T', severity: 'Low', status: 'New' } })
      .catch((e: unknown) => e);
    expect(isConflict(stale)).toBe(true);
    expect((stale as { status: number }).status).toBe(412);

    const missing = await call(
      'PUT',
      `${incidentsPath}/inc-1?api-version=${SENTINEL_API_VERSION}`,
      { properties: { severity: 'Low', status: 'New' } },
      { authorization: 'Bearer x' },
    );
    expect(missing.status).toBe(400);
    expect(missing.json.error.message).toMatch(/'title' property is required/);

    // A PUT replaces: a writable field left out is gone.
    const current = await client.getIncident(ws, 'inc-1');
    const replaced = await client.putIncident(ws, 'inc-1', {
      etag: current?.etag as string,
      properties: { title: 'T2', severity: 'Low', status: 'Active' },
    });
    expect(replaced.properties.description).toBeUndefined();
    expect(replaced.properties.labels).toEqual([]);
    expect(await client.getIncident(ws, 'missing')).toBeUndefined();
  });

  it('keeps comments by id (the same id replaces), and serves alerts and entities', async () => {
    await seed({
      id: `${incidentsPath}/inc-2`,
      properties: { title: 'T', severity: 'Low', status: 'New' },
      alerts: [{ name: 'a1', kind: 'SecurityAlert', properties: { alertDisplayName: 'A1', severity: 'Low' } }],
      entities: [
        { name: 'e1', kind: 'Account', properties: { friendlyName: 'jane' } },
        { name: 'e2', kind: 'Ip', properties: { friendlyName: '10.0.0.1', address: '10.0.0.1' } },
      ],
    });
    await client.putComment(ws, 'inc-2', 'c-1', 'first');
    await client.putComment(ws, 'inc-2', 'c-1', 'first, edited');
    await client.putComment(ws, 'inc-2', 'c-2', 'second');
    const view = (await call('GET', '/_emulator/incidents/inc-2')).json;
    expect(
      view.comments.map((c: { name: string; properties: { message: string; createdTimeUtc: string } }) => [
        c.name,
        c.properties.message,
        typeof c.properties.createdTimeUtc,
      ]),
    ).toEqual([
      ['c-1', 'first, edited', 'string'],
      ['c-2', 'second', 'string'],
    ]);
    expect(view.properties.labels).toEqual([]);
    expect((await client.listAlerts(ws, 'inc-2')).map((a) => a.name)).toEqual(['a1']);
    expect((await client.listEntities(ws, 'inc-2')).map((e) => e.kind)).toEqual(['Account', 'Ip']);
    const empty = await call(
      'PUT',
      `${incidentsPath}/inc-2/comments/c-3?api-version=${SENTINEL_API_VERSION}`,
      { properties: {} },
      { authorization: 'Bearer x' },
    );
    expect(empty.status).toBe(400);
  });

  it('applies queued faults from the base (and the client retries 5xx when allowed)', async () => {
    await seed({ name: 'inc-3', properties: { title: 'T', severity: 'Low', status: 'New' } });
    await call('POST', '/_emulator/faults', { status: 503, count: 1 });
    await expect(client.getIncident(ws, 'inc-3')).rejects.toMatchObject({ status: 503 });
    await call('POST', '/_emulator/faults', { status: 503, count: 1 });
    expect((await clientFor(emulator.url, 2).getIncident(ws, 'inc-3'))?.name).toBe('inc-3');
  });

  it('persists incidents across a restart until DELETE; 409 mode answers a stale etag as Sentinel does', async () => {
    await seed({ name: 'inc-4', properties: { title: 'Persisted', severity: 'Medium', status: 'New' } });
    const second = await startSentinelEmulator({ port: 0, dataDir: join(dir, 'state'), tls, workspaces: [ws], conflictStatus: 409 });
    try {
      const c2 = clientFor(second.url);
      const read = await c2.getIncident(ws, 'inc-4');
      expect(read?.properties.title).toBe('Persisted');
      await c2.putIncident(ws, 'inc-4', {
        etag: read?.etag as string,
        properties: { ...(read as ArmIncident).properties, status: 'Active' },
      });
      const stale = await c2
        .putIncident(ws, 'inc-4', { etag: read?.etag as string, properties: { title: 'x', severity: 'Low', status: 'New' } })
        .catch((e: unknown) => e);
      expect((stale as { status: number }).status).toBe(409);
      expect(isConflict(stale)).toBe(true);
    } finally {
      await second.close();
    }
    await call('DELETE', '/_emulator/incidents');
    expect((await call('GET', '/_emulator/incidents')).json).toEqual([]);
  });

  it('seeds into the workspace an ARM id names, else the first configured one; refuses bad seeds', async () => {
    const other = { ...ws, workspaceName: 'sentinel-b' };
    const otherPath = `/subscriptions/${other.subscriptionId}/resourceGroups/${other.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${other.workspaceName}`;
    const r = await seed([
      {
        id: `${otherPath}/providers/Microsoft.SecurityInsights/Incidents/inc-b`,
        properties: { title: 'B', severity: 'High', status: 'New' },
      },
      { name: 'inc-a', properties: { title: 'A', severity: 'High', status: 'New' } },
    ]);
    expect(r.json.map((i: { id: string }) => i.id)).toEqual([
      `${otherPath}/providers/Microsoft.SecurityInsights/Incidents/inc-b`,
      `${wsPath}/providers/Microsoft.SecurityInsights/Incidents/inc-a`,
    ]);
    expect((await client.getIncident(other, 'inc-b'))?.properties.title).toBe('B');
    expect(await client.getIncident(ws, 'inc-b')).toBeUndefined();
    expect((await seed({ properties: { severity: 'Critical' } })).status).toBe(400);
  });
});
