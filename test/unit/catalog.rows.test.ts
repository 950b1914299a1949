import { describe, expect, it } from 'vitest';
import { MCAS_TABLE, mcasSource } from '../../shared/catalog/mcas.js';
import { eventIdOf, getPath, shapeToTable, toIsoTime, toRow } from '../../shared/catalog/rows.js';
import { columnsOf, columnTypesOf } from '../../shared/catalog/tables.js';
import type { EventType, JsonRecord, TableDef } from '../../shared/catalog/types.js';

const declaredOf = columnTypesOf;

const ctx = { receivedAt: '2026-11-25T12:00:00.000Z' };
const mcas = mcasSource.types[0] as EventType;

const TYPED: TableDef = {
  table: 'Typed_CL',
  description: 'every column type',
  rawData: 'extras',
  columns: [
    { name: 'S', type: 'string', description: '', from: ['s'] },
    { name: 'SObj', type: 'string', description: '', from: ['sobj'] },
    { name: 'I', type: 'int', description: '', from: ['i'] },
    { name: 'L', type: 'long', description: '', from: ['l'] },
    { name: 'R', type: 'real', description: '', from: ['r'] },
    { name: 'B', type: 'boolean', description: '', from: ['b'] },
    { name: 'B0', type: 'boolean', description: '', from: ['b0'] },
    { name: 'D', type: 'datetime', description: '', from: ['d'] },
    { name: 'Dyn', type: 'dynamic', description: '', from: ['dyn'] },
    { name: 'G', type: 'guid', description: '', from: ['g'] },
    { name: 'Nested', type: 'string', description: '', from: ['a.missing', 'a.b.c'] },
    { name: 'Const', type: 'string', description: '', compute: () => 'fixed' },
  ],
};
const typed: EventType = { source: 'test', type: 'typed', description: '', table: TYPED, time: ['when'] };

const ok = (r: ReturnType<typeof toRow>) => {
  if (!r.ok) throw new Error(`expected a row, got ${JSON.stringify(r.errors)}`);
  return r.row;
};
const errorsOf = (r: ReturnType<typeof toRow>) => {
  if (r.ok) throw new Error(`expected errors, got the row ${JSON.stringify(r.row)}`);
  return r.errors;
};

describe('toRow: coercion', () => {
  it('coerces each column type from the forms senders use', () => {
    const row = ok(
      toRow(
        typed,
        TYPED,
        {
          s: 42,
          sobj: { k: [1, 2] },
          i: '15600',
          l: 5368709120,
          r: '0.25',
          b: 'true',
          b0: 0,
          d: 1703519823,
          dyn: ['sanctioned'],
          g: '72F988BF-86F1-41AF-91AB-2D7CD011DB47',
          a: { b: { c: 'deep' } },
        },
        ctx,
      ),
    );
    expect(row).toMatchObject({
      S: '42',
      SObj: '{"k":[1,2]}',
      I: 15600,
      L: 5368709120,
      R: 0.25,
      B: true,
      B0: false,
      D: '2023-12-25T15:57:03.000Z',
      Dyn: ['sanctioned'],
      G: '72F988BF-86F1-41AF-91AB-2D7CD011DB47',
      Nested: 'deep',
      Const: 'fixed',
    });
  });

  it('reads unix seconds, unix milliseconds, numeric strings and ISO strings with offsets as datetimes', () => {
    expect(toIsoTime(1591261367)).toBe('2020-06-04T09:02:47.000Z');
    expect(toIsoTime(1591261367000)).toBe('2020-06-04T09:02:47.000Z');
    expect(toIsoTime('1591261367')).toBe('2020-06-04T09:02:47.000Z');
    expect(toIsoTime('2021-06-10 02:27:15 +0300')).toBe('2021-06-09T23:27:15.000Z');
    expect(toIsoTime('2019-07-23T11:00:35.858Z')).toBe('2019-07-23T11:00:35.858Z');
    expect(toIsoTime('yesterday')).toBeUndefined();
    expect(toIsoTime(true)).toBeUndefined();
  });

  it('takes the first present path, skipping null and empty strings', () => {
    const t: TableDef = { ...TYPED, columns: [{ name: 'Host', type: 'string', description: '', from: ['host', 'domain', 'fqdn'] }] };
    const row = ok(toRow({ ...typed, table: t }, t, { host: '', domain: null, fqdn: 'example.com' }, ctx));
    expect(row.Host).toBe('example.com');
    expect(row.RawData).toEqual({ host: '', domain: null });
  });
});

describe('toRow: errors name the field path', () => {
  const mcasRow = { AppName: 'Dropbox', AppId: 11627, AppScore: 7, TotalEvents: 3 };

  it('AppScore 11 → an error at AppScore', () => {
    expect(errorsOf(toRow(mcas, MCAS_TABLE, { ...mcasRow, AppScore: 11 }, ctx))).toEqual([
      { path: 'AppScore', message: 'must be ≤ 10, got 11' },
    ]);
  });

  it('reports every bad field at once, each with its path', () => {
    const errors = errorsOf(
      toRow(mcas, MCAS_TABLE, { ...mcasRow, AppId: 'Dropbox', UploadedBytes: -1, AppScore: 2.5, TimeGenerated: 'not a date' }, ctx),
    );
    expect(errors.map((e) => e.path).sort()).toEqual(['AppId', 'AppScore', 'TimeGenerated', 'UploadedBytes']);
    expect(errors.find((e) => e.path === 'AppId')?.message).toBe('expected a number, got "Dropbox"');
    expect(errors.find((e) => e.path === 'AppScore')?.message).toBe('expected an integer, got number');
    expect(errors.find((e) => e.path === 'UploadedBytes')?.message).toBe('must be ≥ 0, got -1');
    expect(errors.find((e) => e.path === 'TimeGenerated')?.message).toMatch(/^expected a date-time/);
  });

  it('names the nested path a value came from, not the column', () => {
    const errors = errorsOf(toRow(typed, TYPED, { a: { b: { c: 'x' } }, i: 'many', d: 'soon', g: 'not-a-guid', b: 'yes' }, ctx));
    expect(errors).toEqual([
      { path: 'i', message: 'expected a number, got "many"' },
      { path: 'b', message: 'expected true or false, got "yes"' },
      { path: 'd', message: 'expected a date-time (ISO 8601 or unix time), got "soon"' },
      { path: 'g', message: 'expected a GUID, got "not-a-guid"' },
    ]);
    const deep: TableDef = {
      ...TYPED,
      columns: [{ name: 'ResponseStatus', type: 'int', description: '', from: ['details.hit.response_status'] }],
    };
    expect(errorsOf(toRow({ ...typed, table: deep }, deep, { details: { hit: { response_status: 'OK' } } }, ctx))).toEqual([
      { path: 'details.hit.response_status', message: 'expected a number, got "OK"' },
    ]);
  });

  it('a missing required column is reported at its first path', () => {
    const t: TableDef = {
      ...TYPED,
      columns: [{ name: 'AppName', type: 'string', description: '', from: ['AppName', 'app'], required: true }],
    };
    expect(errorsOf(toRow({ ...typed, table: t }, t, { other: 1 }, ctx))).toEqual([{ path: 'AppName', message: 'is required' }]);
  });

  it('a numeric string is accepted for AppId, a fraction is not', () => {
    expect(ok(toRow(mcas, MCAS_TABLE, { ...mcasRow, AppId: '15600' }, ctx)).AppId).toBe(15600);
    expect(errorsOf(toRow(mcas, MCAS_TABLE, { ...mcasRow, AppId: '15600.5' }, ctx))).toEqual([
      { path: 'AppId', message: 'expected an integer, got "15600.5"' },
    ]);
  });
});

describe('toRow: common columns and RawData', () => {
  it('sets TimeGenerated and EventTime from the event, plus ReceivedAt, Source, EventType, EventId', () => {
    const row = ok(toRow(typed, TYPED, { s: 'x', when: 1703519823 }, ctx));
    expect(row).toMatchObject({
      TimeGenerated: '2023-12-25T15:57:03.000Z',
      EventTime: '2023-12-25T15:57:03.000Z',
      ReceivedAt: ctx.receivedAt,
      Source: 'test',
      EventType: 'typed',
    });
    expect(row.EventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('falls back to the receipt time without an event time, and prefers the request-named time field', () => {
    const none = ok(toRow(typed, TYPED, { s: 'x' }, ctx));
    expect(none.TimeGenerated).toBe(ctx.receivedAt);
    expect(none).not.toHaveProperty('EventTime');
    const named = ok(toRow(typed, TYPED, { when: 1703519823, myTime: '2020-01-01T00:00:00Z' }, { ...ctx, timeField: 'myTime' }));
    expect(named.TimeGenerated).toBe('2020-01-01T00:00:00.000Z');
  });

  it('RawData (extras) keeps what no column took, drops consumed paths and emptied objects', () => {
    const row = ok(
      toRow(typed, TYPED, { s: 'x', a: { b: { c: 'taken' }, keep: [1, null] }, extra: { deep: { v: false } }, nothing: null }, ctx),
    );
    expect(row.Nested).toBe('taken');
    expect(row.RawData).toEqual({ a: { keep: [1, null] }, extra: { deep: { v: false } }, nothing: null });
    const all = ok(toRow(typed, TYPED, { s: 'only' }, ctx));
    expect(all).not.toHaveProperty('RawData');
  });

  it("RawData 'json' is the whole record as a JSON string", () => {
    const t: TableDef = { ...TYPED, rawData: 'json' };
    const record = { s: 'x', a: { b: { c: 'y' } }, list: [1, 2] };
    const row = ok(toRow({ ...typed, table: t }, t, record, ctx));
    expect(typeof row.RawData).toBe('string');
    expect(JSON.parse(row.RawData as string)).toEqual(record);
    expect(row.S).toBe('x');
  });
});

describe('EventId', () => {
  const record: JsonRecord = { summary: 'New hit', details: { hit: { id: ['a', 'b'], remote_addr4: '8.8.8.8' }, cloud: 'EU' } };

  it('is equal for equal content, whatever the key order', () => {
    const reordered: JsonRecord = { details: { cloud: 'EU', hit: { remote_addr4: '8.8.8.8', id: ['a', 'b'] } }, summary: 'New hit' };
    expect(eventIdOf('wallarm', 'new_hits', reordered)).toBe(eventIdOf('wallarm', 'new_hits', record));
    const a = ok(toRow(typed, TYPED, record, ctx));
    const b = ok(toRow(typed, TYPED, structuredClone(record), { receivedAt: '2030-01-01T00:00:00.000Z' }));
    expect(a.EventId).toBe(b.EventId);
  });

  it('differs when any value, array order, source or type differs', () => {
    const base = eventIdOf('wallarm', 'new_hits', record);
    const ids = [
      eventIdOf('wallarm', 'new_hits', { ...record, summary: 'New hit!' }),
      eventIdOf('wallarm', 'new_hits', { ...record, details: { hit: { id: ['b', 'a'], remote_addr4: '8.8.8.8' }, cloud: 'EU' } }),
      eventIdOf('wallarm', 'new_hits', { ...record, details: { hit: { id: ['a', 'b'], remote_addr4: '8.8.4.4' }, cloud: 'EU' } }),
      eventIdOf('wallarm', 'ip_blocked', record),
      eventIdOf('generic', 'new_hits', record),
    ];
    expect(new Set([base, ...ids]).size).toBe(ids.length + 1);
  });
});

describe('shapeToTable', () => {
  it('keeps the declared columns and folds undeclared ones into RawData (dynamic)', () => {
    const shaped = shapeToTable(MCAS_TABLE, declaredOf(MCAS_TABLE), {
      AppName: 'Box',
      TimeGenerated: ctx.receivedAt,
      Stray: 1,
      RawData: { kept: true },
    });
    expect(shaped).toEqual({ AppName: 'Box', TimeGenerated: ctx.receivedAt, RawData: { kept: true, Stray: 1 } });
    const declared = new Set(columnsOf(MCAS_TABLE).map((c) => c.name));
    expect(Object.keys(shaped).every((k) => declared.has(k))).toBe(true);
  });

  it('merges undeclared ones into a JSON-string RawData', () => {
    const t: TableDef = { ...TYPED, rawData: 'json' };
    const shaped = shapeToTable(t, declaredOf(t), { S: 'x', RawData: JSON.stringify({ s: 'x' }), Stray: 2 });
    expect(JSON.parse(shaped.RawData as string)).toEqual({ s: 'x', Stray: 2 });
    expect(shaped).not.toHaveProperty('Stray');
  });
});

describe('getPath', () => {
  it('walks objects only', () => {
    expect(getPath({ a: { b: [{ c: 1 }] } }, 'a.b')).toEqual([{ c: 1 }]);
    expect(getPath({ a: { b: [{ c: 1 }] } }, 'a.b.0.c')).toBeUndefined();
    expect(getPath({ a: 'text' }, 'a.length')).toBeUndefined();
  });
});
