// The local sample configuration works as shipped: its DCR rules are the Bicep's grouping pointed at the emulator,
// cover every catalog stream, and follow a custom WALLARM_TABLE.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildCatalog } from '../../shared/catalog/index.js';
import { streamOf } from '../../shared/catalog/tables.js';
import { WALLARM_DEFAULT_TABLE } from '../../shared/catalog/wallarm.js';
import { loadConfig } from '../../shared/config.js';
import { localRules } from '../../tools/dev/sampleRules.js';
import { rulesForWallarmTable } from '../../tools/dev/settings.js';

const sample = (JSON.parse(readFileSync('local.settings.sample.json', 'utf8')) as { Values: Record<string, string> }).Values;

describe('local.settings.sample.json', () => {
  it('is a valid configuration', () => {
    expect(() => loadConfig(sample)).not.toThrow();
  });

  it('has the current DCR rules (refresh with `tsx tools/dev/sampleRules.ts --write`)', () => {
    expect(JSON.parse(sample.LOGS_INGESTION_RULES ?? '[]')).toEqual(localRules());
  });

  it('routes every catalog stream to exactly one rule', () => {
    const streams = loadConfig(sample).LOGS_INGESTION_RULES.flatMap((r) => r.streams);
    expect(streams.sort()).toEqual(
      buildCatalog()
        .tables.map((t) => streamOf(t.table))
        .sort(),
    );
  });

  it('renames the single Wallarm table stream for a custom WALLARM_TABLE, as the Bicep does', () => {
    const renamed = JSON.parse(rulesForWallarmTable(sample.LOGS_INGESTION_RULES, 'MyWallarm_CL', WALLARM_DEFAULT_TABLE) ?? '[]') as {
      streams: string[];
    }[];
    const streams = renamed.flatMap((r) => r.streams);
    expect(streams).toContain('Custom-MyWallarm_CL');
    expect(streams).not.toContain(`Custom-${WALLARM_DEFAULT_TABLE}`);
    expect(rulesForWallarmTable(sample.LOGS_INGESTION_RULES, WALLARM_DEFAULT_TABLE, WALLARM_DEFAULT_TABLE)).toBe(
      sample.LOGS_INGESTION_RULES,
    );
    expect(rulesForWallarmTable('not json', 'MyWallarm_CL', WALLARM_DEFAULT_TABLE)).toBe('not json');
  });
});
