// "Keep every field": each leaf of an incoming record is in the typed column that took its path, or in RawData.
import { expect } from 'vitest';
import { getPath, toIsoTime } from '../../shared/catalog/rows.js';
import type { Column, JsonRecord, TableDef } from '../../shared/catalog/types.js';

const isObject = (v: unknown): v is JsonRecord => typeof v === 'object' && v !== null && !Array.isArray(v);
export function leaves(value: unknown, prefix = ''): { path: string; value: unknown }[] {
  if (isObject(value)) return Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
  return [{ path: prefix, value }];
}
const present = (v: unknown) => v !== undefined && v !== null && v !== '';
const expectedValue = (column: Column, v: unknown) =>
  column.type === 'datetime'
    ? toIsoTime(v)
    : column.type === 'string'
      ? typeof v === 'string'
        ? v
        : typeof v === 'object'
          ? JSON.stringify(v)
          : String(v)
      : ['int', 'long', 'real'].includes(column.type)
        ? Number(v)
        : v;

/** Every leaf field of the record is either in a typed column (the one that took its path) or in RawData. */
export function expectEveryLeafKept(table: TableDef, record: JsonRecord, row: JsonRecord) {
  const raw = typeof row.RawData === 'string' ? JSON.parse(row.RawData) : (row.RawData ?? {});
  const lost: string[] = [];
  for (const leaf of leaves(record)) {
    if (JSON.stringify(getPath(raw, leaf.path)) === JSON.stringify(leaf.value)) continue;
    const taker = table.columns.find((c) => {
      const chosen = c.from?.find((p) => present(getPath(record, p)));
      return chosen !== undefined && (leaf.path === chosen || leaf.path.startsWith(`${chosen}.`)) && row[c.name] !== undefined;
    });
    if (!taker) lost.push(leaf.path);
    else if (taker.from?.includes(leaf.path))
      expect(row[taker.name], `${taker.name} ← ${leaf.path}`).toEqual(expectedValue(taker, leaf.value));
  }
  expect(lost, 'fields neither in a column nor in RawData').toEqual([]);
}
