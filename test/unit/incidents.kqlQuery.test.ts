// Incident values reach KQL only as `let` literals: Microsoft's own parser must read back exactly the value given,
// with no extra statement, whatever the value holds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capTables, DEFAULT_KQL_LIMITS, kqlLiteral, kqlString, withParameters } from '../../shared/incidents/kqlQuery.js';
import { parseKql } from '../support/kusto.js';

const QUERY = 'SecurityEvent | where IpAddress == ip | take 10';

function roundTrip(value: unknown) {
  const text = withParameters(QUERY, { ip: value as string });
  const parsed = parseKql(text);
  return { text, ...parsed, value: parsed.lets.get('ip') };
}

const HOSTILE = [
  "O'Brien",
  'say "hi"',
  'C:\\Windows\\System32\\',
  'ends with a backslash\\',
  '\\"',
  'line one\nline two',
  'carriage\r\nreturn',
  'tab\there',
  '"; SecurityEvent | take 100000; let x = "',
  '" | union * | where "1" == "1',
  "'; drop table SecurityEvent; //",
  '```multi\nline```',
  '@"verbatim"',
  'h"obfuscated"',
  '// a comment',
  'café 😀 ✓ 中文 עברית \u200f \u200b',
  'nul\u0000byte, bell\u0007, escape\u001b, del\u007f',
  'line\u2028separator\u2029paragraph',
  '',
];

describe('KQL parameters', () => {
  it.each(HOSTILE.map((v) => [JSON.stringify(v), v]))('keeps %s a literal', (_label, hostile) => {
    const r = roundTrip(hostile);
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toBe(hostile);
    expect(r.statements).toBe(2); // the let and the query, nothing smuggled in between
    expect(r.text.endsWith(`\n${QUERY}`)).toBe(true);
  });

  it('keeps any well-formed Unicode string a literal', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
        const r = roundTrip(s);
        expect(r.diagnostics).toEqual([]);
        expect(r.value).toBe(s);
        expect(r.statements).toBe(2);
      }),
      { numRuns: 200 },
    );
  });

  it('writes lists as dynamic arrays, and as pack_array when an element needs make_string', () => {
    const plain = withParameters('print ips', { ips: ['10.0.0.1', 'a"b', 'c\\d'] });
    expect(plain).toContain('let ips = dynamic([');
    expect(parseKql(plain)).toMatchObject({ diagnostics: [], lets: new Map([['ips', ['10.0.0.1', 'a"b', 'c\\d']]]) });
    const control = withParameters('print hosts', { hosts: ['ok', 'bad\rhost'] });
    expect(control).toContain('let hosts = pack_array(');
    expect(parseKql(control)).toMatchObject({ diagnostics: [], lets: new Map([['hosts', ['ok', 'bad\rhost']]]) });
  });

  it('writes numbers, booleans and dates as typed literals', () => {
    const at = new Date(Date.now() - 3600_000);
    expect(kqlLiteral(42)).toBe('long(42)');
    expect(kqlLiteral(-1.5)).toBe('real(-1.5)');
    expect(kqlLiteral(true)).toBe('true');
    expect(kqlLiteral(at)).toBe(`datetime(${at.toISOString()})`);
    const text = withParameters('print n, r, b, t', { n: 42, r: 0.25, b: false, t: at });
    expect(parseKql(text).diagnostics).toEqual([]);
  });

  it('refuses what cannot be a safe literal or name', () => {
    expect(() => kqlString('lone \ud800 surrogate')).toThrow(RangeError);
    expect(() => kqlLiteral(Number.NaN)).toThrow(RangeError);
    expect(() => kqlLiteral(new Date('nope'))).toThrow(RangeError);
    expect(() => withParameters(QUERY, { 'ip; drop': 'x' })).toThrow(/not a KQL identifier/);
    expect(() => withParameters(QUERY, { ip: Number.POSITIVE_INFINITY })).toThrow(/parameter ip/);
  });
});

describe('capTables', () => {
  const table = (rows: number, columns: number) => ({
    name: 'PrimaryResult',
    columns: Array.from({ length: columns }, (_, i) => ({ name: `c${i}`, type: 'string' })),
    rows: Array.from({ length: rows }, (_, r) => Array.from({ length: columns }, (_, c) => `r${r}c${c}`)),
  });

  it('leaves a small result alone', () => {
    expect(capTables([table(2, 2)], DEFAULT_KQL_LIMITS)).toEqual({ tables: [table(2, 2)], truncated: false });
  });

  it('caps rows across tables, columns per table and bytes, and says so', () => {
    const limits = { ...DEFAULT_KQL_LIMITS, maxRows: 3, maxColumns: 2, maxBytes: 10_000 };
    const r = capTables([table(2, 4), table(5, 1)], limits);
    expect(r.truncated).toBe(true);
    expect(r.tables.map((t) => [t.columns.length, t.rows.length])).toEqual([
      [2, 2],
      [1, 1],
    ]);
    expect(r.tables[0]?.rows[0]).toEqual(['r0c0', 'r0c1']);
    const bytes = capTables([table(100, 1)], { ...DEFAULT_KQL_LIMITS, maxRows: 1000, maxBytes: 50 });
    expect(bytes.truncated).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(bytes.tables[0]?.rows.flat()))).toBeLessThanOrEqual(50);
    expect(bytes.tables[0]?.rows.length).toBeGreaterThan(0);
  });

  it('turns dates into ISO text', () => {
    const at = new Date(Date.now() - 60_000);
    const r = capTables([{ name: 't', columns: [{ name: 'TimeGenerated', type: 'datetime' }], rows: [[at]] }], DEFAULT_KQL_LIMITS);
    expect(r.tables[0]?.rows).toEqual([[at.toISOString()]]);
  });
});
