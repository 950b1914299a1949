// Validation of body elements: rejections name the element and the reason; odd shapes never crash.
import { describe, expect, it } from 'vitest';
import { buildCatalog } from '../../shared/catalog/index.js';
import { MAX_DEPTH, validateElements } from '../../shared/ingest/validate.js';

const catalog = buildCatalog();
const generic = catalog.source('generic');
if (!generic) throw new Error('no generic source');
const run = (elements: unknown[]) =>
  validateElements(elements, { catalog, source: generic, context: { receivedAt: '2026-11-25T10:00:00.000Z' } });

const nested = (depth: number) => JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) as unknown;

describe('validateElements', () => {
  it('refuses a record nested deeper than the limit, by index, and keeps the others', () => {
    const result = run([{ ok: 1 }, nested(4000), nested(MAX_DEPTH - 1)]);
    expect(result.accepted).toBe(2);
    expect(result.rejected).toEqual([{ index: 1, error: `nested more than ${MAX_DEPTH} levels deep` }]);
  });

  it('names null, arrays and scalars for what they are', () => {
    const result = run([null, [1], 'x', 5]);
    expect(result.rejected.map((r) => r.error)).toEqual([
      'expected a JSON object, got null',
      'expected a JSON object, got an array',
      'expected a JSON object, got string',
      'expected a JSON object, got number',
    ]);
  });

  it('keeps a "__proto__" key as data in RawData', () => {
    const record = JSON.parse('{"__proto__":{"x":1},"b":2}') as Record<string, unknown>;
    const rows = run([record]).streams.get('Custom-WebhookEvents_CL') ?? [];
    const raw = rows[0]?.RawData as Record<string, unknown>;
    expect(Object.keys(raw)).toEqual(['__proto__', 'b']);
    expect(JSON.stringify(raw)).toBe('{"__proto__":{"x":1},"b":2}');
  });
});
