// Issue 15 §1 and §2 against Azurite and the Logs Ingestion emulator: records with undeclared fields and a mistyped
// column are named by the schema drift report with their counts (merged across instances); the catalog change
// `npm run catalog:suggest` prints, applied, puts the next records' fields in typed columns; and the bytes counted per
// table are the JSON size of the rows the emulator received, in /api/status and the hourly health record.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TableClient } from '@azure/data-tables';
import { beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../shared/app.js';
import type { DriftField, TableDrift } from '../../shared/catalog/drift.js';
import { DriftTally } from '../../shared/catalog/drift.js';
import type { JsonRecord } from '../../shared/catalog/types.js';
import { deliverEnvelope } from '../../shared/delivery/deliver.js';
import { HEALTH_STREAM, writeHealthRecord } from '../../shared/delivery/hourly.js';
import { handleEvents } from '../../shared/ingest/handlers.js';
import { handleSchemaDrift, handleStatus } from '../../shared/operations/status.js';
import { hourKey } from '../../shared/reliability/stats.js';
import { Usage } from '../../shared/reliability/usage.js';
import { planChange } from '../../tools/catalog/suggest.js';
import type { UploadLogEntry } from '../../tools/emulators/logsIngestion.js';
import { useDeliveryStack } from '../support/deliveryStack.js';
import { jsonRequest, request } from '../support/http.js';
import { drainEnvelopes, drainQueue } from '../support/queue.js';

const stack = useDeliveryStack();
const MCAS = 'McasShadowItReporting_CL';
const WEBHOOK = 'Custom-WebhookEvents_CL';

const queue = () => stack.app.storage.queue('events');
const drained = () => drainEnvelopes(queue(), stack.app.storage.container('claim-checks'));

/** A discovery row with two undeclared fields (one nested), a token, an AppId beyond int and an AppScore as a string. */
const mcasRow = (i: number) => ({
  AppName: 'Dropbox',
  UserName: `user${i}@contoso.com`,
  AppId: 5_000_000_000 + i,
  AppScore: '7',
  DeviceType: 'Laptop',
  Risk: { level: i },
  apiToken: 'tok-0123456789',
});

const post = (app: typeof stack.app, source: string, records: unknown[]) =>
  handleEvents(jsonRequest(`/api/events/${source}`, records, { source }), app.ingest);

const driftOf = async (app = stack.newApp(), table = MCAS) => {
  const res = await handleSchemaDrift(request({ method: 'GET', path: `/api/schema/drift?table=${table}` }), app);
  expect(res.status).toBe(200);
  return res.jsonBody as { tables: TableDrift[]; suggestion: { columns: { table: string; name: string; type: string; from: string[] }[] } };
};
const field = (d: TableDrift[], kind: DriftField['kind'], path: string) => d[0]?.fields.find((f) => f.kind === kind && f.path === path);

beforeEach(async () => {
  await drained();
});

describe('schema drift report', () => {
  it('names undeclared fields and mistyped columns with counts, merged across instances, and the fix puts them in typed columns', async () => {
    const a = stack.newApp();
    const b = stack.newApp();
    expect((await post(a, 'mcas', [0, 1, 2].map(mcasRow))).status).toBe(202);
    expect((await post(b, 'mcas', [3, 4].map(mcasRow))).status).toBe(202);
    // Not yet written: each instance sees its own counts before the stats cadence writes them.
    expect(field((await driftOf(a)).tables, 'undeclared', 'DeviceType')?.count).toBe(3);
    // At once: both write the same rows, the ETag makes the loser read again and add its counts.
    await Promise.all([a.reliability.stats.flush(), b.reliability.stats.flush()]);

    // A third instance reads what both wrote.
    const { tables, suggestion } = await driftOf();
    expect(tables.map((t) => t.table)).toEqual([MCAS]);
    expect(field(tables, 'undeclared', 'DeviceType')).toMatchObject({ count: 5, types: { string: 5 }, example: 'Laptop' });
    expect(field(tables, 'undeclared', 'Risk.level')).toMatchObject({ count: 5, types: { integer: 5 }, example: '0' });
    expect(field(tables, 'undeclared', 'apiToken')).toMatchObject({ count: 5, example: '[redacted]' });
    expect(field(tables, 'mistyped', 'AppId')).toMatchObject({ column: 'AppId', columnType: 'int', count: 5, unconverted: 5 });
    // Converted into its column ("7" → 7): reported, nothing to fix.
    expect(field(tables, 'mistyped', 'AppScore')).toMatchObject({ column: 'AppScore', count: 5, unconverted: 0, types: { string: 5 } });
    // Taken by typed columns: no drift.
    expect(field(tables, 'undeclared', 'AppName')).toBeUndefined();
    expect(field(tables, 'undeclared', 'UserName')).toBeUndefined();

    const change = planChange(tables);
    const added = change.suggestions.map((s) => [s.column.name, s.column.type, s.column.from]);
    expect(added).toEqual(
      expect.arrayContaining([
        ['DeviceType', 'string', ['DeviceType']],
        ['RiskLevel', 'long', ['Risk.level']],
        ['ApiToken', 'string', ['apiToken']],
        ['AppIdLong', 'long', ['AppId']],
      ]),
    );
    expect(added).toHaveLength(4);
    expect(suggestion.columns.map((c) => c.name).sort()).toEqual(['ApiToken', 'AppIdLong', 'DeviceType', 'RiskLevel']);
    const tableLine = change.diff.find((l) => l.startsWith(`tables.json  ${MCAS}: `)) ?? '';
    const dcrLine = change.diff.find((l) => l.startsWith('dcrs.json') && l.includes(`Custom-${MCAS}: `)) ?? '';
    for (const c of ['+ DeviceType (string)', '+ RiskLevel (long)', '+ ApiToken (string)', '+ AppIdLong (long)']) {
      expect(tableLine).toContain(c);
      expect(dcrLine).toContain(c);
    }
    expect(change.diff).toHaveLength(2);

    await drained();
    // Applied: the next records land in typed columns, nothing left in RawData or Unconverted.
    const fixed = createApp(stack.config, { now: () => stack.clock.now, catalog: change.catalog });
    expect((await post(fixed, 'mcas', [5].map(mcasRow))).status).toBe(202);
    const [row] = (await drained()).rows as JsonRecord[];
    expect(row).toMatchObject({ DeviceType: 'Laptop', RiskLevel: 5, ApiToken: 'tok-0123456789', AppIdLong: 5_000_000_005, AppScore: 7 });
    expect(row?.RawData).toBeUndefined();
    expect(row?.Unconverted).toBeUndefined();
    const after = (await driftOf(fixed)).tables;
    expect(field(after, 'undeclared', 'DeviceType')?.count).toBe(5);
    expect(field(after, 'mistyped', 'AppId')?.count).toBe(5);
    expect((await driftOf(fixed)).suggestion.columns).toEqual([]);
  });

  it('npm run catalog:suggest reads the drift from Table Storage with the settings npm start uses (the shell wins)', async () => {
    const a = stack.newApp();
    await post(a, 'mcas', [mcasRow(9)]);
    await a.reliability.stats.flush();
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'tools/catalog/suggest.ts', '--table', MCAS], {
      env: {
        ...process.env,
        AzureWebJobsStorage: stack.azurite.connectionString,
        EMULATOR_CA_FILE: stack.emulators.caFile,
        LOG_LEVEL: 'silent',
      },
    });
    expect(stdout).toContain(`${MCAS}: add to its columns in shared/catalog/mcas.ts`);
    expect(stdout).toMatch(/\{ name: 'DeviceType', type: 'string', .*from: \['DeviceType'\] \}/);
    expect(stdout).toContain(`tables.json  ${MCAS}: `);
  });

  it('keeps the counts when the drift cannot be written, and writes them on the next flush', async () => {
    const table = TableClient.fromConnectionString(stack.azurite.connectionString, `drift${Date.now()}`, { allowInsecureConnection: true });
    const usage = new Usage(stack.newApp().reliability.stats, table, () => stack.clock.now);
    const tally = new DriftTally();
    tally.put('T_CL', {
      path: 'p',
      kind: 'undeclared',
      types: { string: 2 },
      count: 2,
      unconverted: 0,
      firstSeen: 'a',
      lastSeen: 'b',
      example: 'x',
    });
    usage.addDrift(tally);
    // The table does not exist yet: the write fails (404) and nothing is lost.
    await expect(usage.flushDrift()).rejects.toThrow();
    await table.createTable();
    await usage.flushDrift();
    expect((await new Usage(stack.newApp().reliability.stats, table, () => stack.clock.now).drift('T_CL'))[0]?.fields[0]?.count).toBe(2);
  });

  it('answers 404 naming the known tables for an unknown one', async () => {
    const res = await handleSchemaDrift(request({ method: 'GET', path: '/api/schema/drift?table=__proto__' }), stack.app);
    expect(res.status).toBe(404);
    expect((res.jsonBody as { knownTables: string[] }).knownTables).toContain(MCAS);
  });
});

describe('cost per table', () => {
  it('counts the JSON bytes of the delivered rows as the emulator got them, in /api/status and the health record', async () => {
    await stack.emulator('DELETE', '/_emulator/uploads');
    const app = stack.newApp();
    const records = [
      { message: 'hello', n: 1 },
      { message: 'grüße, 東京 🎉', tags: ['a', 'b'] },
      { message: 'x'.repeat(3000), nested: { deep: { er: true } } },
    ];
    expect((await post(app, 'generic', records)).status).toBe(202);
    const deliveredAt = stack.clock.now;
    await drainQueue(queue(), (m) => deliverEnvelope(m, app.delivery));

    const uploads = ((await stack.emulator('GET', '/_emulator/uploads')).json as UploadLogEntry[]).filter(
      (u) => u.stream === WEBHOOK && u.status === 204,
    );
    expect(uploads.reduce((n, u) => n + u.records, 0)).toBe(3);
    // The body the emulator got is the JSON array of the rows: [row,row,row] — each row's bytes plus commas and brackets.
    const bytes = uploads.reduce((n, u) => n + u.bytes - (u.records - 1) - 2, 0);
    expect(bytes).toBeGreaterThan(3000);
    expect((await app.reliability.usage.delivered(24)).get(WEBHOOK)).toEqual({ records: 3, bytes });

    await app.reliability.stats.flush();
    const status = (await handleStatus(stack.newApp())).jsonBody as {
      targets: { name: string; last24h: { records: number; bytes: number } }[];
      schemaDrift: { table: string; fields: DriftField[] }[];
    };
    expect(status.targets.find((t) => t.name === WEBHOOK)?.last24h).toEqual({ records: 3, bytes });
    const webhookDrift = status.schemaDrift.find((d) => d.table === 'WebhookEvents_CL')?.fields.map((f) => f.path);
    expect(webhookDrift).toEqual(expect.arrayContaining(['message', 'n', 'tags', 'nested.deep.er']));

    stack.clock.now = deliveredAt + 3600_000;
    expect(await writeHealthRecord(app.delivery, hourKey(deliveredAt))).toBeGreaterThan(0);
    const health = (await drained()).envelopes.filter((e) => e.stream === HEALTH_STREAM).flatMap((e) => e.rows);
    const row = health.find((r) => r.Stream === WEBHOOK);
    expect(row).toMatchObject({ Delivered: 3, DeliveredBytes: bytes });
    const driftFields = (row?.SchemaDrift ?? []) as { path: string; count: number }[];
    expect(driftFields.find((f) => f.path === 'message')).toMatchObject({ count: 3 });
  });
});
