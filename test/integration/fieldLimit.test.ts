// Issue 10 §2 "Fields over 64 KB": the Logs Ingestion API cuts values over 64 KB without a word. The bridge cuts
// first, says so on the row (Truncated, OriginalRecord) and keeps the complete record in a blob, listed in status.
// Against Azurite and the Logs Ingestion emulator, whose /_emulator/dropped shows what the service would have cut.
import { readFileSync } from 'node:fs';
import { ContainerClient } from '@azure/storage-blob';
import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_FIELD_BYTES } from '../../shared/catalog/fieldLimit.js';
import type { JsonRecord } from '../../shared/catalog/types.js';
import { deliverEnvelope } from '../../shared/delivery/deliver.js';
import { handleEvents } from '../../shared/ingest/handlers.js';
import { handleStatus, type TargetStatus } from '../../shared/operations/status.js';
import { OriginalStore } from '../../shared/reliability/originals.js';
import { CONTAINERS } from '../../shared/storage/names.js';
import { useDeliveryStack } from '../support/deliveryStack.js';
import { jsonRequest } from '../support/http.js';
import { isWellFormed } from '../support/unicode.js';
import { drainQueue } from '../support/worker.js';

const WALLARM_TABLE = 'WallarmSentinel_CL';
const stack = useDeliveryStack({ INGEST_GROUP_COMMIT_MS: '0', WALLARM_TABLE });
const GENERIC = 'Custom-WebhookEvents_CL';
const WALLARM = `Custom-${WALLARM_TABLE}`;

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const at = () => new Date(Math.floor(stack.clock.now / 1000) * 1000 - 3600_000).toISOString();
/** ~100 KB of text: ASCII, or a mix of 2-, 3- and 4-byte characters (a surrogate pair in JavaScript). */
const ascii = (tag: string) => `${tag}:${'a'.repeat(100 * 1024)}`;
const multiByte = (tag: string) => `${tag}:${'é€😀'.repeat(Math.ceil((100 * 1024) / 9))}`;

async function post(source: string, body: unknown[], deps = stack.app.ingest) {
  return handleEvents(jsonRequest(`/api/events/${source}`, body, { source }), deps);
}
const deliverAll = () => drainQueue(stack.app.storage.queue('events'), (m) => deliverEnvelope(m, stack.deps));
const records = async (stream: string) => (await stack.emulator('GET', `/_emulator/records?stream=${stream}`)).json as JsonRecord[];
const dropped = async () => (await stack.emulator('GET', '/_emulator/dropped')).json as { column: string; reason: string }[];
const originals = () => stack.app.storage.container(CONTAINERS.originals);
const blobText = async (url: unknown) =>
  (
    await originals()
      .getBlockBlobClient(new URL(String(url)).pathname.split(`/${CONTAINERS.originals}/`)[1] ?? '')
      .downloadToBuffer()
  ).toString('utf8');

beforeEach(async () => {
  await stack.emulator('DELETE', '/_emulator/records');
  for await (const blob of originals().listBlobsFlat()) await originals().deleteBlob(blob.name);
});

describe('§2 fields over 64 KB', () => {
  it('§2 a field over 64 KB is cut to fit, named in Truncated, and kept whole in a blob', async () => {
    const events = [
      { type: 'upload', n: 1, body: ascii('one'), time: at() },
      { type: 'upload', n: 2, body: multiByte('two'), note: 'kept', time: at() },
    ];
    expect((await post('generic', events)).status).toBe(202);
    await deliverAll();

    const rows = await records(GENERIC);
    expect(rows).toHaveLength(2);
    for (const event of events) {
      const row = rows.find((r) => (r.RawData as JsonRecord).n === event.n) as JsonRecord;
      const raw = row.RawData as JsonRecord;
      // Cut by the bridge to fit, on a character boundary: a prefix of the original, still a JSON object.
      expect(bytes(JSON.stringify(raw))).toBeLessThanOrEqual(MAX_FIELD_BYTES);
      expect(event.body.startsWith(String(raw.body))).toBe(true);
      expect(isWellFormed(String(raw.body))).toBe(true);
      expect(bytes(String(raw.body))).toBeGreaterThan(MAX_FIELD_BYTES - 200);
      expect(row.Truncated).toEqual(['RawData.body']);
      expect({ ...raw, body: event.body }).toEqual(event); // every other field whole
      // The blob holds the record exactly as it was posted (the array element's JSON text).
      expect(row.OriginalRecord).toMatch(new RegExp(`/${CONTAINERS.originals}/${GENERIC}/${row.EventId}\\.json$`));
      expect(await blobText(row.OriginalRecord)).toBe(JSON.stringify(event));
    }
    // The service cut nothing: the bridge already had.
    expect(await dropped()).toEqual([]);

    const status = (await handleStatus(stack.app)).jsonBody as {
      targets: TargetStatus[];
      truncated: { count: number; complete: boolean; recent: { stream: string; eventId: string; blob: string; fields: string[] }[] };
    };
    expect(status.truncated.count).toBe(2);
    expect(status.truncated.complete).toBe(true);
    expect(status.truncated.recent.map((t) => t.eventId).sort()).toEqual(rows.map((r) => r.EventId).sort());
    for (const t of status.truncated.recent) {
      expect(t).toMatchObject({ stream: GENERIC, blob: `${GENERIC}/${t.eventId}.json`, fields: ['RawData.body'] });
    }
  });

  it("§2 a typed column and Wallarm's JSON RawData over 64 KB: the column is cut, RawData stays parseable JSON", async () => {
    const [hit] = JSON.parse(readFileSync('test/fixtures/wallarm/hits-2026-host.json', 'utf8')) as JsonRecord[];
    const event = { ...hit, description: multiByte('desc') };
    expect((await post('wallarm', [event])).status).toBe(202);
    await deliverAll();

    const [row] = await records(WALLARM);
    expect(row?.Truncated).toEqual(['Description', 'RawData.description']);
    const description = String(row?.Description);
    expect(bytes(description)).toBeLessThanOrEqual(MAX_FIELD_BYTES);
    expect(event.description.startsWith(description)).toBe(true);
    const raw = String(row?.RawData);
    expect(bytes(raw)).toBeLessThanOrEqual(MAX_FIELD_BYTES);
    // parse_json(RawData) still gives every other field, as Wallarm's own KQL expects.
    const parsed = JSON.parse(raw) as JsonRecord;
    expect({ ...parsed, description: undefined }).toEqual({ ...event, description: undefined });
    expect(event.description.startsWith(String(parsed.description))).toBe(true);
    expect(await blobText(row?.OriginalRecord)).toBe(JSON.stringify(event));
    expect(await dropped()).toEqual([]);
  });

  it('§2 a RawData over 64 KB as a whole (many fields, none over the limit) is cut evenly and stays a JSON object', async () => {
    const fields = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, `${i}:${'x'.repeat(3000)}`]));
    const event = { type: 'wide', ...fields, id: 'w-1', time: at() };
    expect((await post('generic', [event])).status).toBe(202);
    await deliverAll();

    const [row] = await records(GENERIC);
    const raw = row?.RawData as JsonRecord;
    expect(bytes(JSON.stringify(raw))).toBeLessThanOrEqual(MAX_FIELD_BYTES);
    expect(raw.id).toBe('w-1');
    expect(row?.Truncated).toEqual(
      Object.keys(fields)
        .map((k) => `RawData.${k}`)
        .sort(),
    );
    for (const [k, v] of Object.entries(fields)) expect(v.startsWith(String(raw[k]))).toBe(true);
    expect(await blobText(row?.OriginalRecord)).toBe(JSON.stringify(event));
    expect(await dropped()).toEqual([]);
  });

  it('§2 a row that reaches delivery over 64 KB (queued uncut by an older version, or grown by shaping) is cut there and kept whole', async () => {
    const base = { TimeGenerated: at(), ReceivedAt: at(), Source: 'generic', EventType: 'upload' };
    const queued = { ...base, EventId: 'queued-uncut', RawData: { body: ascii('old'), n: 1 } };
    // An undeclared column: delivery folds it into RawData, which then goes over the limit.
    const folded = { ...base, EventId: 'folded', Legacy: ascii('legacy') };
    await stack.deps.writer.write(GENERIC, [queued, folded]);
    await deliverAll();

    const rows = await records(GENERIC);
    const byId = (id: string) => rows.find((r) => r.EventId === id) as JsonRecord;
    expect(byId('queued-uncut').Truncated).toEqual(['RawData.body']);
    expect((byId('queued-uncut').RawData as JsonRecord).n).toBe(1);
    expect(JSON.parse(await blobText(byId('queued-uncut').OriginalRecord))).toEqual(queued);
    expect(byId('folded').Truncated).toEqual(['RawData.Legacy']);
    expect(JSON.parse(await blobText(byId('folded').OriginalRecord)).RawData).toEqual({ Legacy: folded.Legacy });
    for (const row of rows) expect(bytes(JSON.stringify(row.RawData))).toBeLessThanOrEqual(MAX_FIELD_BYTES);
    expect(await dropped()).toEqual([]);
  });

  it('§2 a record with no field over 64 KB makes no blob write and gets no Truncated or OriginalRecord', async () => {
    const events = Array.from({ length: 50 }, (_, i) => ({ type: 'small', i, text: 'y'.repeat(2000), time: at() }));
    stack.blobProxy.reset();
    expect((await post('generic', events)).status).toBe(202);
    await deliverAll();
    expect(stack.blobProxy.byOperation()).toEqual({});
    const rows = await records(GENERIC);
    expect(rows).toHaveLength(50);
    for (const row of rows) {
      expect(row).not.toHaveProperty('Truncated');
      expect(row).not.toHaveProperty('OriginalRecord');
    }
  });

  it('§2 when the original cannot be stored, nothing is accepted: 503 and no queue message', async () => {
    const queue = stack.app.storage.queue('events');
    const before = (await queue.getProperties()).approximateMessagesCount ?? 0;
    // A blob endpoint nothing listens on.
    const dead = new ContainerClient('http://127.0.0.1:9/devstoreaccount1/originals', undefined, {
      retryOptions: { maxTries: 1, tryTimeoutInMs: 2000 },
    });
    const deps = { ...stack.app.ingest, originals: new OriginalStore(dead) };
    const res = await post('generic', [{ type: 'upload', body: ascii('lost?'), time: at() }], deps);
    expect(res.status).toBe(503);
    expect(res.headers).toMatchObject({ 'retry-after': '5' });
    expect((await queue.getProperties()).approximateMessagesCount ?? 0).toBe(before);
  });
});
