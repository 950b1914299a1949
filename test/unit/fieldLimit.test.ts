// §2 "Fields over 64 KB": values are cut by the bridge to fit the Logs Ingestion field limit, on a character
// boundary, valid JSON kept valid, and every cut named.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cutUtf8,
  FIELD_BUDGET_BYTES,
  fitJson,
  fitRow,
  MAX_CUT_PATHS_PER_COLUMN,
  MAX_FIELD_BYTES,
} from '../../shared/catalog/fieldLimit.js';
import { columnTypesOf } from '../../shared/catalog/tables.js';
import type { JsonRecord, TableDef } from '../../shared/catalog/types.js';
import { isWellFormed } from '../support/unicode.js';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const jsonBytes = (v: unknown) => bytes(JSON.stringify(v));

const EXTRAS: TableDef = {
  table: 'Extras_CL',
  description: '',
  rawData: 'extras',
  columns: [
    { name: 'Message', type: 'string', description: '', from: ['message'] },
    { name: 'Tags', type: 'dynamic', description: '', from: ['tags'] },
  ],
};
const JSON_RAW: TableDef = { ...EXTRAS, table: 'Json_CL', rawData: 'json' };

describe('cutUtf8', () => {
  it.each([
    ['ASCII', 'a', 1],
    ['2-byte é', 'é', 2],
    ['3-byte €', '€', 3],
    ['4-byte 😀 (a surrogate pair)', '😀', 4],
  ])('%s: cut to ≤ the limit on a character boundary', (_, char, size) => {
    const text = char.repeat(Math.ceil((100 * 1024) / size));
    const cut = cutUtf8(text);
    expect(bytes(cut)).toBeLessThanOrEqual(MAX_FIELD_BYTES);
    expect(bytes(cut)).toBeGreaterThan(FIELD_BUDGET_BYTES - size);
    expect(text.startsWith(cut)).toBe(true);
    expect(isWellFormed(cut)).toBe(true);
  });

  it('leaves a value within the budget alone (2 bytes under the documented 64 KiB)', () => {
    expect(FIELD_BUDGET_BYTES).toBe(65_534);
    const text = 'x'.repeat(FIELD_BUDGET_BYTES);
    expect(cutUtf8(text)).toBe(text);
    expect(cutUtf8(`${text}y`)).toBe(text);
  });

  it('any string: a prefix within the limit, never a split surrogate pair', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.integer({ min: 0, max: 400 }), (text, max) => {
        const cut = cutUtf8(text, max);
        expect(text.startsWith(cut)).toBe(true);
        expect(bytes(cut)).toBeLessThanOrEqual(max);
        if (isWellFormed(text)) expect(isWellFormed(cut)).toBe(true);
        // Nothing more fits: the next character would go over.
        if (cut.length < text.length) {
          const next = String.fromCodePoint(text.codePointAt(cut.length) ?? 0);
          expect(bytes(cut) + bytes(next)).toBeGreaterThan(max);
        }
      }),
    );
  });
});

describe('fitJson', () => {
  it('shortens the longest strings to one length and leaves the short ones whole; still valid JSON', () => {
    const value = { a: 'A'.repeat(50_000), nested: { b: 'B'.repeat(40_000), list: ['C'.repeat(30_000), 'short'] }, n: 1 };
    const fitted = fitJson('RawData', value);
    expect(jsonBytes(fitted.value)).toBeLessThanOrEqual(MAX_FIELD_BYTES);
    expect(fitted.cut).toEqual(['RawData.a', 'RawData.nested.b', 'RawData.nested.list.0']);
    const got = fitted.value as typeof value;
    expect(got.n).toBe(1);
    expect(got.nested.list[1]).toBe('short');
    expect(value.a.startsWith(got.a)).toBe(true);
    expect(got.a.length).toBe(got.nested.b.length);
    expect(got.a.length).toBe(got.nested.list[0]?.length);
    expect(value.a).toHaveLength(50_000); // the original is not touched
  });

  it('counts JSON escapes and keeps a "__proto__" key as data', () => {
    const value = JSON.parse(`{"__proto__":${JSON.stringify('"\n'.repeat(40_000))},"x":"y"}`) as Record<string, unknown>;
    const fitted = fitJson('RawData', value);
    expect(jsonBytes(fitted.value)).toBeLessThanOrEqual(MAX_FIELD_BYTES);
    expect(Object.keys(fitted.value as object)).toEqual(['__proto__', 'x']);
    expect(fitted.cut).toEqual(['RawData.__proto__']);
  });

  it('becomes the start of its JSON as a string, named whole, when the strings cannot give up enough', () => {
    const value = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]));
    const fitted = fitJson('RawData', value);
    expect(typeof fitted.value).toBe('string');
    expect(bytes(fitted.value as string)).toBeLessThanOrEqual(MAX_FIELD_BYTES);
    expect(JSON.stringify(value).startsWith(fitted.value as string)).toBe(true);
    expect(fitted.cut).toEqual(['RawData']);
  });

  it('names the column alone when it cut too many paths to list', () => {
    const value = Array.from({ length: MAX_CUT_PATHS_PER_COLUMN + 1 }, () => 'z'.repeat(1000));
    const fitted = fitJson('Tags', value);
    expect(jsonBytes(fitted.value)).toBeLessThanOrEqual(MAX_FIELD_BYTES);
    expect(Array.isArray(fitted.value)).toBe(true);
    expect(fitted.cut).toEqual(['Tags']);
  });

  it('any value: unchanged when it fits, else valid JSON within the limit or the start of its JSON as a string', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.integer({ min: 2, max: 300 }), (value, max) => {
        const fitted = fitJson('V', value, max);
        if (jsonBytes(value) <= max) {
          expect(fitted).toEqual({ value, cut: [] });
          return;
        }
        expect(fitted.cut.length).toBeGreaterThan(0);
        const asJson = jsonBytes(fitted.value) <= max;
        const asPrefix = typeof fitted.value === 'string' && bytes(fitted.value) <= max && JSON.stringify(value).startsWith(fitted.value);
        expect(asJson || asPrefix).toBe(true);
      }),
    );
  });
});

describe('fitRow', () => {
  const row = (extra: JsonRecord): JsonRecord => ({ TimeGenerated: '2026-01-01T00:00:00.000Z', EventId: 'e', ...extra });

  it('returns the same row, uncopied, when nothing is over the limit', () => {
    const r = row({ Message: 'hi', Tags: ['a'], RawData: { x: 'y'.repeat(1000) } });
    const fitted = fitRow(EXTRAS, columnTypesOf(EXTRAS), r, {});
    expect(fitted.row).toBe(r);
    expect(fitted.cut).toEqual([]);
  });

  it('cuts a string column, a dynamic column and RawData extras, naming each', () => {
    const big = 'é'.repeat(60_000);
    const r = row({ Message: big, Tags: [big], RawData: { body: big, small: 1 } });
    const fitted = fitRow(EXTRAS, columnTypesOf(EXTRAS), r, {});
    expect(fitted.cut).toEqual(['Message', 'Tags.0', 'RawData.body']);
    expect(bytes(fitted.row.Message as string)).toBeLessThanOrEqual(MAX_FIELD_BYTES);
    expect(jsonBytes(fitted.row.Tags)).toBeLessThanOrEqual(MAX_FIELD_BYTES);
    expect(jsonBytes(fitted.row.RawData)).toBeLessThanOrEqual(MAX_FIELD_BYTES);
    expect((fitted.row.RawData as { small: number }).small).toBe(1);
    expect(r.Message).toBe(big); // the row given is not changed
  });

  it("rebuilds a 'json' RawData from the record so it stays parseable", () => {
    const record = { message: 'm', body: 'b'.repeat(100_000), id: 7 };
    const fitted = fitRow(JSON_RAW, columnTypesOf(JSON_RAW), row({ Message: 'm', RawData: JSON.stringify(record) }), record);
    expect(fitted.cut).toEqual(['RawData.body']);
    const raw = fitted.row.RawData as string;
    expect(bytes(raw)).toBeLessThanOrEqual(MAX_FIELD_BYTES);
    expect(JSON.parse(raw)).toMatchObject({ message: 'm', id: 7 });
  });

  it("without the record (at delivery), rebuilds a 'json' RawData from its own JSON, or cuts it as text when it is not an object", () => {
    const record = { body: 'b'.repeat(100_000), id: 7 };
    const fitted = fitRow(JSON_RAW, columnTypesOf(JSON_RAW), row({ RawData: JSON.stringify(record) }));
    expect(fitted.cut).toEqual(['RawData.body']);
    expect(JSON.parse(fitted.row.RawData as string)).toMatchObject({ id: 7 });
    const text = fitRow(JSON_RAW, columnTypesOf(JSON_RAW), row({ RawData: 'not json '.repeat(10_000) }));
    expect(text.cut).toEqual(['RawData']);
    expect(bytes(text.row.RawData as string)).toBeLessThanOrEqual(FIELD_BUDGET_BYTES);
  });
});
