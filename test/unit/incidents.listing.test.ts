// Paging and conditional updates against a fake Sentinel client.
import { describe, expect, it } from 'vitest';
import { listAll } from '../../shared/incidents/incidentApiSentinel.js';
import { type ArmIncident, type IncidentPage, SentinelApiError, type SentinelClient } from '../../shared/incidents/sentinelClient.js';
import { addIncidentLabel, IncidentUpdateError } from '../../shared/incidents/tagging.js';

const ws = { subscriptionId: '00000000-0000-4000-8000-000000000001', resourceGroup: 'rg', workspaceName: 'w' };
const incident = (i: number): ArmIncident => ({
  name: `inc-${String(i).padStart(3, '0')}`,
  etag: '"1"',
  properties: { title: `t${i}`, severity: 'High', status: 'New', createdTimeUtc: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() },
});

function fakeClient(over: Partial<SentinelClient>): SentinelClient {
  const no = () => {
    throw new Error('not used');
  };
  return {
    listIncidentPages: no,
    getIncident: no,
    putIncident: no,
    putComment: no,
    listAlerts: no,
    listEntities: no,
    ...over,
  } as SentinelClient;
}

describe('listAll', () => {
  it('follows nextLink through every page', async () => {
    const all = Array.from({ length: 25 }, (_, i) => incident(i));
    const client = fakeClient({
      async *listIncidentPages() {
        for (let i = 0; i < all.length; i += 10)
          yield { value: all.slice(i, i + 10), ...(i + 10 < all.length ? { nextLink: 'https://x/next' } : {}) } as IncidentPage;
      },
    });
    const names: string[] = [];
    for await (const x of listAll(client, ws, 'f', 'o', 'createdTimeUtc', 1000)) names.push(x.name);
    expect(names).toEqual(all.map((x) => x.name));
  });

  it('continues from the last key when a full page comes without nextLink ($top read as a total)', async () => {
    const all = Array.from({ length: 7 }, (_, i) => incident(i));
    const filters: string[] = [];
    const client = fakeClient({
      async *listIncidentPages(_ws, q) {
        filters.push(q.filter ?? '');
        const m = / and properties\/createdTimeUtc ge (\S+)$/.exec(q.filter ?? '');
        const from = m ? Date.parse(m[1] as string) : 0;
        yield { value: all.filter((x) => Date.parse(x.properties.createdTimeUtc as string) >= from).slice(0, q.top) };
      },
    });
    const names: string[] = [];
    for await (const x of listAll(client, ws, 'base', 'o', 'createdTimeUtc', 3)) names.push(x.name);
    expect(names).toEqual(all.map((x) => x.name));
    expect(filters[0]).toBe('base');
    expect(filters[1]).toBe('base and properties/createdTimeUtc ge 2026-01-01T00:02:00Z');
  });
});

describe('addIncidentLabel', () => {
  it('re-reads and retries on a stale etag (412 or 409) and keeps what the other writer changed', async () => {
    let stored: ArmIncident = {
      ...incident(1),
      properties: { ...incident(1).properties, labels: [{ labelName: 'a', labelType: 'AutoAssigned' }] },
    };
    let version = 1;
    const puts: unknown[] = [];
    const conflicts = [412, 409];
    const client = fakeClient({
      async getIncident() {
        return structuredClone(stored);
      },
      async putIncident(_ws, _name, body) {
        puts.push(body);
        const status = conflicts.shift();
        if (status) {
          // Someone else wrote in between: a new label and a new etag.
          version++;
          stored = {
            ...stored,
            etag: `"${version}"`,
            properties: {
              ...stored.properties,
              labels: [...(stored.properties.labels ?? []), { labelName: `other${version}`, labelType: 'User' }],
            },
          };
          throw new SentinelApiError('stale', status);
        }
        if (body.etag !== stored.etag) throw new SentinelApiError('stale', 412);
        stored = { ...stored, etag: `"${++version}"`, properties: body.properties };
        return stored;
      },
    });
    const r = await addIncidentLabel(client, ws, 'inc-001', 'SentinelBridge');
    expect(r?.attempts).toBe(3);
    expect(puts).toHaveLength(3);
    expect(stored.properties.labels?.map((l) => l.labelName)).toEqual(['a', 'other2', 'other3', 'SentinelBridge']);
    expect(await addIncidentLabel(client, ws, 'inc-001', 'SentinelBridge')).toMatchObject({ changed: false });
  });

  it('gives up with a clear error when every attempt is refused', async () => {
    const client = fakeClient({
      getIncident: async () => incident(1),
      putIncident: async () => {
        throw new SentinelApiError('stale', 409);
      },
    });
    await expect(addIncidentLabel(client, ws, 'inc-001', 'x')).rejects.toBeInstanceOf(IncidentUpdateError);
  });

  it('does not retry other errors', async () => {
    let puts = 0;
    const client = fakeClient({
      getIncident: async () => incident(1),
      putIncident: async () => {
        puts++;
        throw new SentinelApiError('forbidden', 403);
      },
    });
    await expect(addIncidentLabel(client, ws, 'inc-001', 'x')).rejects.toMatchObject({ status: 403 });
    expect(puts).toBe(1);
  });
});
