// The schema drift tally and the columns it suggests (shared/catalog/drift.ts), and the redaction of its examples.
import { describe, expect, it } from 'vitest';
import {
  columnNameFor,
  DriftTally,
  jsonTypeOf,
  MAX_PATH_DEPTH,
  MAX_PATHS_PER_TABLE,
  suggestColumns,
  typeForValues,
} from '../../shared/catalog/drift.js';
import { buildCatalog } from '../../shared/catalog/index.js';
import { MCAS_TABLE } from '../../shared/catalog/mcas.js';
import { toRow } from '../../shared/catalog/rows.js';
import { REDACTED, redactExample } from '../../shared/observability/redact.js';

const catalog = buildCatalog();
const mcas = catalog.source('mcas')?.types[0];
const at = '2026-01-01T00:00:00.000Z';

function observe(tally: DriftTally, record: Record<string, unknown>, when = at) {
  if (!mcas) throw new Error('no mcas type');
  const r = toRow(mcas, MCAS_TABLE, record, { receivedAt: when });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  tally.observe(MCAS_TABLE, record, r.seen, when);
  return r.row;
}

describe('DriftTally', () => {
  it('counts undeclared leaves by path and type, mistyped columns by outcome, and not the fields columns took', () => {
    const tally = new DriftTally(redactExample);
    observe(tally, { AppName: 'x', extra: { a: 1, b: [1] }, AppScore: '3', AppId: 2 ** 40, empty: {}, Date: '2026-01-01' });
    observe(tally, { extra: { a: 1.5 }, AppScore: 4 }, '2026-01-01T01:00:00.000Z');
    const fields = tally.tables.get(MCAS_TABLE.table);
    expect([...(fields?.keys() ?? [])].sort()).toEqual(['mistyped:AppId', 'mistyped:AppScore', 'undeclared:extra.a', 'undeclared:extra.b']);
    expect(fields?.get('undeclared:extra.a')).toMatchObject({ count: 2, types: { integer: 1, number: 1 }, firstSeen: at });
    expect(fields?.get('undeclared:extra.a')?.lastSeen).toBe('2026-01-01T01:00:00.000Z');
    expect(fields?.get('undeclared:extra.b')).toMatchObject({ types: { array: 1 }, example: '[1 items]' });
    // "3" converted into the int column: reported, not unconverted; 4 is an int: no drift.
    expect(fields?.get('mistyped:AppScore')).toMatchObject({ count: 1, unconverted: 0, types: { string: 1 } });
    expect(fields?.get('mistyped:AppId')).toMatchObject({ column: 'AppId', columnType: 'int', count: 1, unconverted: 1 });
  });

  it('keeps at most MAX_PATHS_PER_TABLE paths a table and counts the rest as overflow; deep objects count at the depth cap', () => {
    const tally = new DriftTally();
    const wide = Object.fromEntries(Array.from({ length: MAX_PATHS_PER_TABLE + 5 }, (_, i) => [`f${i}`, i]));
    observe(tally, wide);
    expect(tally.tables.get(MCAS_TABLE.table)?.size).toBe(MAX_PATHS_PER_TABLE);
    expect(tally.overflow.get(MCAS_TABLE.table)).toBe(5);

    const deep = new DriftTally();
    let nested: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 10; i++) nested = { n: nested };
    observe(deep, nested);
    const [path] = [...(deep.tables.get(MCAS_TABLE.table)?.values() ?? [])].map((f) => f.path);
    expect(path?.split('.')).toHaveLength(MAX_PATH_DEPTH);
    expect(deep.tables.get(MCAS_TABLE.table)?.get(`undeclared:${path}`)?.types).toEqual({ object: 1 });
  });

  it('merges another tally: counts summed, earliest first sighting and its example kept', () => {
    const a = new DriftTally((_p, v) => String(v));
    const b = new DriftTally((_p, v) => String(v));
    observe(a, { x: 'late' }, '2026-01-02T00:00:00.000Z');
    observe(b, { x: 'early' }, '2026-01-01T00:00:00.000Z');
    b.drainInto(a);
    expect(b.empty).toBe(true);
    expect(a.tables.get(MCAS_TABLE.table)?.get('undeclared:x')).toMatchObject({
      count: 2,
      example: 'early',
      firstSeen: '2026-01-01T00:00:00.000Z',
      lastSeen: '2026-01-02T00:00:00.000Z',
    });
  });
});

describe('suggested columns', () => {
  it('picks the type that holds every value seen', () => {
    expect(typeForValues({ integer: 3 })).toBe('long');
    expect(typeForValues({ integer: 3, number: 1 })).toBe('real');
    expect(typeForValues({ string: 2, null: 1 })).toBe('string');
    expect(typeForValues({ boolean: 1 })).toBe('boolean');
    expect(typeForValues({ object: 1 })).toBe('dynamic');
    expect(typeForValues({ string: 1, integer: 1 })).toBe('dynamic');
    expect(typeForValues({ null: 4 })).toBeUndefined();
    expect(jsonTypeOf(1)).toBe('integer');
    expect(jsonTypeOf(null)).toBe('null');
  });

  it('names columns after the path, valid, never reserved or taken', () => {
    const taken = new Set(['username']);
    expect(columnNameFor('src_ip.v4', taken)).toBe('SrcIpV4');
    expect(columnNameFor('type', taken)).toBe('TypeValue');
    expect(columnNameFor('userName', taken)).toBe('UserNameValue');
    expect(columnNameFor('9lives', taken)).toBe('Field9lives');
    expect(columnNameFor('__proto__', taken)).toBe('Proto');
    expect(columnNameFor('x'.repeat(80), taken)).toMatch(/^[A-Za-z][A-Za-z0-9_]{0,44}$/);
  });

  it('suggests nothing for paths a column already takes or values that landed in their column', () => {
    const tally = new DriftTally();
    observe(tally, { AppScore: '3', AppName: 'x' });
    const drift = [{ table: MCAS_TABLE.table, fields: [...(tally.tables.get(MCAS_TABLE.table)?.values() ?? [])], overflow: 0 }];
    expect(suggestColumns(catalog, drift)).toEqual([]);
    const [first] = drift[0]?.fields ?? [];
    if (!first) throw new Error('no drift counted');
    const stale = [{ table: MCAS_TABLE.table, fields: [{ ...first, kind: 'undeclared' as const, path: 'AppName' }], overflow: 0 }];
    expect(suggestColumns(catalog, stale)).toEqual([]);
  });
});

describe('redactExample', () => {
  it.each([
    ['password', 'hunter2'],
    ['headers.authorization', 'x'],
    ['callbackSecret', 'x'],
    ['note', 'Bearer abc.def'],
    ['note', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig'],
    ['note', 'A'.repeat(40)],
    ['link', 'https://x.blob.core.windows.net/c/b?sv=1&sig=abc'],
  ])('%s = %s is redacted', (path, value) => {
    expect(redactExample(path, value)).toBe(REDACTED);
  });

  it('shows URLs by host, objects by shape, and caps length', () => {
    expect(redactExample('link', 'https://hooks.example.com/T000/B000/XXXX')).toBe('https://hooks.example.com/…');
    expect(redactExample('obj', { password: 'x', a: 1 })).toBe('{2 fields}');
    expect(redactExample('text', 'word '.repeat(100))).toHaveLength(121);
    expect(redactExample('n', 42)).toBe('42');
  });
});
