// Poison and partial state, against Azurite: queue messages that are not what the bridge writes, storage trouble
// while a message is read, and held rows written without their counts.
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { beforeEach, describe, expect, it } from 'vitest';
import { deadLetterPoison, deliverEnvelope } from '../../shared/delivery/deliver.js';
import { handleIncidentPoison } from '../../shared/incidents/handlers.js';
import { handleStatus } from '../../shared/operations/status.js';
import { Stats } from '../../shared/reliability/stats.js';
import { TABLES } from '../../shared/storage/names.js';
import { connectionStringFor, freePort } from '../../tools/dev/azurite.js';
import { useDeliveryStack } from '../support/deliveryStack.js';

const stack = useDeliveryStack({ LOG_LEVEL: 'silent' });
const STREAM = 'Custom-WebhookEvents_CL';

const envelopeWith = (json: string) =>
  JSON.stringify({ v: 1, id: randomUUID(), stream: STREAM, count: 1, retry: 0, enc: 'gzip', data: gzipSync(json).toString('base64') });

/** What a message can be that the bridge did not write: as text, and as the value the host parsed from JSON text. */
const UNREADABLE: [string, unknown][] = [
  ['text that is not JSON', 'not json {'],
  ['null (text)', 'null'],
  ['null (parsed by the host)', null],
  ['a number', 42],
  ['a string', 'just text'],
  ['an array', [1, 2]],
  ['an object of the wrong shape', { v: 1, stream: STREAM }],
  ['an envelope whose rows decode to null', envelopeWith('null')],
  ['an envelope whose rows decode to an object', envelopeWith('{"a":1}')],
  ['an envelope whose rows are not objects', envelopeWith('[1,"x"]')],
  ['an envelope whose rows are not gzip', JSON.stringify({ v: 1, id: 'x', stream: STREAM, count: 1, enc: 'gzip', data: 'bm90IGd6aXA=' })],
  ['a claim check whose blob is gone', JSON.stringify({ v: 1, id: 'x', stream: STREAM, count: 1, enc: 'blob', blob: 'gone.json.gz' })],
];

const rawText = (m: unknown) => (typeof m === 'string' ? m : JSON.stringify(m));

async function unreadable() {
  const items = await stack.deps.deadLetters.list('_unreadable');
  return Promise.all(items.map(async (i) => ({ ...i, rows: await stack.deps.deadLetters.rows(i) })));
}

async function clearDeadLetters() {
  for (const item of await stack.deps.deadLetters.list()) await stack.deps.deadLetters.remove(item);
}

beforeEach(clearDeadLetters);

type Status = {
  targets: Record<string, unknown>[];
  deadLetters: unknown;
  parked: unknown;
  deadLetterItems: { events: unknown }[];
};
const status = async () => (await handleStatus({ delivery: stack.app.delivery, incidents: stack.app.incidents })).jsonBody as Status;

function expectNumbers(s: Status) {
  expect(typeof s.deadLetters).toBe('number');
  expect(typeof s.parked).toBe('number');
  for (const t of s.targets)
    for (const k of ['failureRatio12h', 'queueDepth', 'parked', 'deadLetters']) expect(typeof t[k], `${t.name}.${k}`).toBe('number');
  for (const i of s.deadLetterItems) expect(typeof i.events).toBe('number');
}

describe('§6 poison and partial state', () => {
  it.each(UNREADABLE)(
    '§6 a queue message that is %s becomes an unreadable dead letter with its raw text (delivery and poison)',
    async (_, message) => {
      await expect(deliverEnvelope(message, stack.deps)).resolves.toBeUndefined();
      await expect(deadLetterPoison(message, stack.deps)).resolves.toBeUndefined();
      const held = await unreadable();
      expect(held).toHaveLength(2);
      for (const item of held) {
        expect(item.rows).toEqual([{ message: rawText(message) }]);
        expect(item.count).toBe(1);
        expect(item.reason).toMatch(/not a readable bridge envelope: \S/);
      }
      // Nothing of it reached a real stream's dead letters, and every status figure is a number.
      expect(await stack.deps.deadLetters.list(STREAM)).toEqual([]);
      const s = await status();
      expectNumbers(s);
      expect(s.deadLetters).toBe(2);
    },
  );

  it('§6 an incident message that is not one becomes an unreadable dead letter with its raw text, named by no destination', async () => {
    const messages: unknown[] = [null, 42, 'not json {', { v: 1, incident: 'x' }, ['a']];
    for (const m of messages) await expect(handleIncidentPoison(m, stack.app.incidents)).resolves.toBeUndefined();
    const held = await unreadable();
    expect(held.map((h) => h.rows[0]?.message).sort()).toEqual(messages.map(rawText).sort());
    for (const h of held) expect(h.reason).toMatch(/incidents-poison.*(invalid incident message|neither JSON)/);
    expect((await stack.deps.deadLetters.list()).filter((i) => i.stream.startsWith('destination:'))).toEqual([]);
  });

  it('§6 a held row written without a count (by an older version) shows as a number in /api/status, never null', async () => {
    await stack.app.storage.table(TABLES.deadletters).createEntity({
      partitionKey: STREAM,
      rowKey: `old_${randomUUID()}`,
      envelopeId: 'old',
      reason: 'written by an older version',
      heldAt: new Date(stack.clock.now).toISOString(),
      blob: 'deadletters/old.json.gz',
    });
    const s = await status();
    expectNumbers(s);
    expect(s.targets.find((t) => t.name === STREAM)?.deadLetters).toBe(0);
  });

  it('§6 a claim-check download that fails on the network (no status code) is thrown for a retry, not filed unreadable', async () => {
    const rows = [{ EventId: 'cc-1', TimeGenerated: new Date(stack.clock.now).toISOString(), RawData: { big: 'x' } }];
    const blob = `${randomUUID()}.json.gz`;
    await stack.deps.claimChecks.getBlockBlobClient(blob).uploadData(gzipSync(JSON.stringify(rows)));
    const message = { v: 1, id: 'cc', stream: STREAM, count: 1, retry: 0, enc: 'blob', blob };
    // The same account on a port where nothing listens: connection refused, no HTTP status.
    const down = BlobServiceClient.fromConnectionString(connectionStringFor({ ...stack.azurite.ports, blob: await freePort() }), {
      retryOptions: { maxTries: 1 },
    }).getContainerClient(stack.deps.claimChecks.containerName);
    const error = await deliverEnvelope(message, { ...stack.deps, claimChecks: down }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    expect((error as { statusCode?: number }).statusCode).toBeUndefined();
    expect(await unreadable()).toEqual([]);
    // The host's retry, with storage back, delivers it.
    await deliverEnvelope(message, stack.deps);
    const delivered = (await stack.emulator('GET', `/_emulator/records?stream=${STREAM}`)).json as { EventId: string }[];
    expect(delivered.map((r) => r.EventId)).toContain('cc-1');
  });

  it('§6 Stats.flush keeps its counts when the write fails, and writes them with the next flush', async () => {
    // A stats table that is not there yet: every write fails (404 TableNotFound), as when storage is in trouble.
    const name = `stats${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const table = TableClient.fromConnectionString(stack.azurite.connectionString, name, { allowInsecureConnection: true });
    const stats = new Stats(table, () => stack.clock.now, 300_000);
    stats.add(STREAM, { delivered: 5, okCalls: 2 });
    stats.add(STREAM, { failed: 1, failedCalls: 1 });
    await expect(stats.flush()).rejects.toMatchObject({ statusCode: 404 });
    stats.add(STREAM, { okCalls: 1 });
    await table.createTable();
    await stats.flush();
    // Read back by a fresh instance: only what reached the table counts.
    const written = await new Stats(table, () => stack.clock.now, 300_000).window(STREAM, 1);
    expect(written).toMatchObject({ delivered: 5, failed: 1, okCalls: 3, failedCalls: 1 });
    expect(written.lastSuccess).toBe(new Date(stack.clock.now).toISOString());
  });
});
