// npm run infra:generate: deterministic output from the catalog, a staleness check that notices a catalog change, and the
// DCR grouping (≤ 10 streams per rule, every stream once, appending never moves a stream).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DCR_MAX_STREAMS } from '../../shared/config.js';
import { CONTAINERS, QUEUES, TABLES } from '../../shared/storage/names.js';
import { type CatalogView, catalogView, tableProblems, type ViewTable } from '../../tools/infra/catalogView.js';
import { groupStreams } from '../../tools/infra/dcrGroups.js';
import {
  buildGenerated,
  GENERATED_DIR,
  generateInfra,
  readRuleTemplates,
  STORAGE_NAMES,
  staleFiles,
  storageNameProblems,
  transformOf,
} from '../../tools/infra/generate.js';
import { WALLARM_TABLE_TOKEN } from '../../tools/infra/sentinelRules.js';

const view = catalogView();
const templates = readRuleTemplates();

const extraTable = (name: string, source = 'wallarm'): ViewTable => ({
  table: name,
  stream: `Custom-${name}`,
  description: 'test table',
  source,
  wallarmSingle: false,
  columns: [{ name: 'TimeGenerated', type: 'datetime', description: 'time' }],
  types: [],
});

const withTables = (v: CatalogView, tables: ViewTable[]): CatalogView => ({ ...v, tables });

const tmp = mkdtempSync(path.join(tmpdir(), 'infra-gen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('infra:generate', () => {
  it('writes the same bytes every time', () => {
    expect(generateInfra()).toEqual(generateInfra());
    expect(Object.keys(generateInfra()).sort()).toEqual(['dcrs.json', 'sentinel-rules.json', 'storage.json', 'tables.json']);
  });

  it('infra/generated is up to date with the catalog (run npm run infra:generate when this fails)', () => {
    expect(staleFiles(generateInfra(), GENERATED_DIR)).toEqual([]);
  });

  it('reports the files a catalog change makes stale', () => {
    const current = generateInfra();
    for (const [name, text] of Object.entries(current)) writeFileSync(path.join(tmp, name), text);
    expect(staleFiles(current, tmp)).toEqual([]);

    // A new column on the health table: its table and its stream declaration change.
    const health = view.tables.find((t) => t.table === 'SentinelBridgeHealth_CL') as ViewTable;
    const widened = { ...health, columns: [...health.columns, { name: 'Extra', type: 'long' as const, description: 'x' }] };
    const changed = generateInfra(
      withTables(
        view,
        view.tables.map((t) => (t === health ? widened : t)),
      ),
      templates,
    );
    expect(staleFiles(changed, tmp)).toEqual(['dcrs.json', 'tables.json']);

    // A new table, and a generated file nobody generates any more.
    writeFileSync(path.join(tmp, 'leftover.json'), '{}');
    expect(staleFiles(generateInfra(withTables(view, [...view.tables, extraTable('new_type_CL')]), templates), tmp)).toEqual([
      'dcrs.json',
      'leftover.json',
      'tables.json',
    ]);
  });

  it('declares every catalog table with its columns, and marks the Wallarm single table', () => {
    const content = buildGenerated(view, STORAGE_NAMES, templates)['tables.json'] as {
      wallarmSingleTable: string;
      tables: { table: string; wallarmSingle: boolean; columns: { name: string; type: string }[] }[];
    };
    expect(content.tables.map((t) => t.table)).toEqual(view.tables.map((t) => t.table));
    expect(content.wallarmSingleTable).toBe('WallarmSentinel_CL');
    expect(content.tables.filter((t) => t.wallarmSingle).map((t) => t.table)).toEqual(['WallarmSentinel_CL']);
    const health = content.tables.find((t) => t.table === 'SentinelBridgeHealth_CL');
    expect(health?.columns).toContainEqual({ name: 'TimeGenerated', type: 'dateTime', description: expect.any(String) });
    expect(health?.columns).toContainEqual({ name: 'Delivered', type: 'long', description: expect.any(String) });
    for (const name of ['WebhookEvents_CL', 'McasShadowItReporting_CL', 'new_hits_CL', 'ip_blocked_CL'])
      expect(content.tables.map((t) => t.table)).toContain(name);
  });

  it('writes the storage names of shared/storage/names.ts', () => {
    expect(buildGenerated(view, STORAGE_NAMES, templates)['storage.json']).toMatchObject({
      queues: ['events', 'events-poison', 'incidents', 'incidents-poison'],
      tables: Object.values(TABLES),
      containers: Object.values(CONTAINERS),
    });
    expect(STORAGE_NAMES.queues).toEqual(Object.values(QUEUES));
    expect(storageNameProblems(STORAGE_NAMES)).toEqual([]);
    expect(storageNameProblems({ queues: ['Events'], tables: ['dead-letters'], containers: ['ok-name', 'ok-name'] })).toEqual([
      'queue "Events": lowercase letters, digits and single hyphens, 3–63 characters',
      'table "dead-letters": letters and digits, starting with a letter, 3–63 characters',
      'container "ok-name" is listed twice',
    ]);
  });

  it('refuses a catalog Azure would reject', () => {
    const bad = extraTable('bad_CL');
    const reserved = { ...bad, columns: [...bad.columns, { name: 'TenantId', type: 'string' as const, description: '' }] };
    const noTime = { ...extraTable('no_time_CL'), columns: [{ name: 'When', type: 'string' as const, description: '' }] };
    const wide = {
      ...extraTable('wide_CL'),
      columns: Array.from({ length: 501 }, (_, i) => ({ name: `C${i}`, type: 'string' as const, description: '' })),
    };
    expect(tableProblems(withTables(view, [reserved, noTime, wide]))).toEqual([
      'bad_CL.TenantId: reserved column name',
      'no_time_CL: needs a TimeGenerated column of type datetime',
      'wide_CL: 501 columns, Log Analytics allows 500',
      'wide_CL: needs a TimeGenerated column of type datetime',
    ]);
    expect(() => buildGenerated(withTables(view, [reserved]), STORAGE_NAMES, templates)).toThrow(/bad_CL.TenantId: reserved column name/);
  });

  it('declares guid columns as string in the stream and converts them in the transform', () => {
    expect(transformOf([{ name: 'TimeGenerated', type: 'datetime', description: '' }])).toBe('source');
    expect(
      transformOf([
        { name: 'A', type: 'guid', description: '' },
        { name: 'B', type: 'string', description: '' },
        { name: 'C', type: 'guid', description: '' },
      ]),
    ).toBe('source | extend A = toguid(A), C = toguid(C)');
  });
});

describe('DCR grouping', () => {
  const rules = groupStreams(view);

  it(`puts every stream in exactly one rule of at most ${DCR_MAX_STREAMS}`, () => {
    for (const r of rules) expect(r.tables.length).toBeLessThanOrEqual(DCR_MAX_STREAMS);
    expect(rules.flatMap((r) => r.tables.map((t) => t.table)).sort()).toEqual(view.tables.map((t) => t.table).sort());
  });

  it('keeps Wallarm apart from the bridge, MCAS and generic tables', () => {
    expect(rules.map((r) => r.name)).toEqual(['wallarm-1', 'wallarm-2', 'wallarm-3', 'core-1']);
    expect(rules.map((r) => r.tables.length)).toEqual([10, 10, 4, 3]);
    expect(rules.find((r) => r.name === 'core-1')?.tables.map((t) => t.table)).toEqual([
      'McasShadowItReporting_CL',
      'WebhookEvents_CL',
      'SentinelBridgeHealth_CL',
    ]);
    expect(rules.filter((r) => r.name.startsWith('wallarm')).flatMap((r) => r.tables.map((t) => t.source))).toEqual(
      Array(24).fill('wallarm'),
    );
  });

  it('never moves an existing stream when a table is appended', () => {
    const before = new Map(rules.flatMap((r) => r.tables.map((t) => [t.table, r.name] as const)));
    const grown = groupStreams(withTables(view, [...view.tables, ...Array.from({ length: 8 }, (_, i) => extraTable(`added_${i}_CL`))]));
    for (const r of grown) for (const t of r.tables) if (before.has(t.table)) expect(r.name).toBe(before.get(t.table));
    expect(grown.map((r) => r.name)).toEqual(['wallarm-1', 'wallarm-2', 'wallarm-3', 'wallarm-4', 'core-1']);
  });

  it('splits at any limit', () => {
    expect(groupStreams(view, 3).every((r) => r.tables.length <= 3)).toBe(true);
    expect(() => groupStreams(view, 0)).toThrow(/positive integer/);
  });
});

describe('analytic rules', () => {
  const rules = (
    buildGenerated(view, STORAGE_NAMES, templates)['sentinel-rules.json'] as {
      rules: { id: string; tables: string[]; singleTableOnly: string[]; properties: { query: string } }[];
    }
  ).rules;

  it('read the per-type tables of their Wallarm types and the single table, in both table modes', () => {
    const byId = Object.fromEntries(rules.map((r) => [r.id, r]));
    expect(byId['wallarm-ip-denylisted']?.tables).toEqual(['ip_blocked_CL', WALLARM_TABLE_TOKEN]);
    expect(byId['wallarm-high-risk-security-issue']?.tables).toEqual(['vuln_high_CL', WALLARM_TABLE_TOKEN]);
    // Types without a legacy table land in the single table only.
    expect(byId['wallarm-compromised-logins']).toMatchObject({ tables: [WALLARM_TABLE_TOKEN], singleTableOnly: ['compromised_logins'] });
    expect(byId['wallarm-ip-denylisted']?.properties.query).toMatch(
      /^let WallarmEvents = union isfuzzy=true ip_blocked_CL, \(__WALLARM_TABLE__ \| extend RawData = parse_json\(RawData\)\)\n\| where EventType in \('ip_blocked'\);\nWallarmEvents\n/,
    );
  });

  it('name only Wallarm types the catalog knows, or ones that go to the single table by design', () => {
    const fallbackByDesign = ['incidents_exceeded', 'compromised_logins', 'api_comparison_result'];
    for (const r of rules) for (const t of r.singleTableOnly) expect(fallbackByDesign).toContain(t);
  });
});
