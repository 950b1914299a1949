// Every KQL text we ship compiles with Microsoft's parser (Kusto.Language) against the workspace schema of each Wallarm
// table mode: an error here is an error Sentinel or Log Analytics would report at deploy or run time.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogView } from '../../tools/infra/catalogView.js';
import { GENERATED_DIR, REPO_ROOT, readRuleTemplates } from '../../tools/infra/generate.js';
import { checkKql, formatDiagnostics, isError, type KqlDiagnostic, kqlAnalyzer } from '../../tools/infra/kql.js';
import { PER_TYPE_MODE, WALLARM_MODES, workspaceSchema } from '../../tools/infra/kqlSchema.js';
import { expandRule, WALLARM_TABLE_TOKEN } from '../../tools/infra/sentinelRules.js';
import { markdownKql, type ShippedKql, shippedKql, WORKBOOK_FILE } from '../../tools/infra/shippedKql.js';

interface Rule {
  id: string;
  properties: {
    query: string;
    entityMappings?: { fieldMappings: { columnName: string }[] }[];
    customDetails?: Record<string, string>;
    alertDetailsOverride?: { alertDisplayNameFormat?: string };
  };
}
const rules = (JSON.parse(readFileSync(path.join(GENERATED_DIR, 'sentinel-rules.json'), 'utf8')) as { rules: Rule[] }).rules;

const errors = (text: string, diagnostics: readonly KqlDiagnostic[]) => formatDiagnostics(text, diagnostics.filter(isError));

describe.each(WALLARM_MODES)('KQL in $name mode', (mode) => {
  const analyze = kqlAnalyzer(workspaceSchema(mode));
  const analysis = (q: ShippedKql) => (q.source ? kqlAnalyzer({ tables: [q.source] }) : analyze)(q.text);
  const texts = shippedKql(mode.wallarmTable);

  it.each(texts.map((q) => [q.name, q] as const))('%s compiles', (_name, q) => {
    expect(errors(q.text, analysis(q).diagnostics)).toEqual([]);
  });

  it.each(rules.map((r) => [r.id, r] as const))('rule %s returns the columns its entities, details and alert name use', (_id, rule) => {
    const returned = analyze(rule.properties.query.replaceAll(WALLARM_TABLE_TOKEN, mode.wallarmTable)).columns.map((c) => c.name);
    const used = [
      ...(rule.properties.entityMappings ?? []).flatMap((e) => e.fieldMappings.map((f) => f.columnName)),
      ...Object.values(rule.properties.customDetails ?? {}),
      ...[...(rule.properties.alertDetailsOverride?.alertDisplayNameFormat ?? '').matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]),
    ];
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((c) => !returned.includes(c as string))).toEqual([]);
  });

  it('reads RawData as one dynamic column across the per-type tables and the single table', () => {
    const query = rules.find((r) => r.id === 'wallarm-ip-denylisted')?.properties.query ?? '';
    const union =
      query
        .replaceAll(WALLARM_TABLE_TOKEN, mode.wallarmTable)
        .split(';')[0]
        ?.replace(/^let WallarmEvents = /, '') ?? '';
    const raw = analyze(union).columns.filter((c) => c.name.startsWith('RawData'));
    expect(raw).toEqual([{ name: 'RawData', type: 'dynamic' }]);
  });
});

describe('the KQL texts checked', () => {
  const names = shippedKql(PER_TYPE_MODE.wallarmTable).map((q) => q.name);

  it('are every analytic rule, workbook query, DCR transform and Markdown example', () => {
    const workbookQueries = readFileSync(WORKBOOK_FILE, 'utf8').match(/"query":/g)?.length ?? 0;
    const dcrStreams = readFileSync(path.join(GENERATED_DIR, 'dcrs.json'), 'utf8').match(/"transformKql":/g)?.length ?? 0;
    const readmeBlocks = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8').match(/^```(kql|kusto)\s*$/gm)?.length ?? 0;
    for (const r of rules) expect(names).toContain(`rule ${r.id}`);
    expect(names.filter((n) => n.startsWith('workbook '))).toHaveLength(workbookQueries);
    expect(names.filter((n) => n.startsWith('dcr '))).toHaveLength(dcrStreams);
    expect(names.filter((n) => n.startsWith('README.md:'))).toHaveLength(readmeBlocks);
    expect(workbookQueries * readmeBlocks * dcrStreams * rules.length).toBeGreaterThan(0);
  });

  it('include ```kql and ```kusto blocks with the line they start on', () => {
    expect(markdownKql('# x\n\n```kql\nT | take 1\n```\n```bash\nls\n```\n```Kusto\nU\n| count\n```\n')).toEqual([
      { line: 4, text: 'T | take 1' },
      { line: 10, text: 'U\n| count' },
    ]);
  });
});

describe('the check fails on broken KQL', () => {
  const schema = workspaceSchema(PER_TYPE_MODE);

  it('an unknown column, with its position', () => {
    const text = 'WallarmSentinel_CL\n| where NoSuchColumn == 1';
    expect(errors(text, checkKql(text, schema))).toEqual([
      "2:9 Error KS142 The name 'NoSuchColumn' does not refer to any known column, table, variable or function. («NoSuchColumn»)",
    ]);
  });

  it('an unknown table, but not a missing table in a fuzzy union (a warning)', () => {
    expect(checkKql('nope_CL | take 1', schema).filter(isError)).toHaveLength(1);
    const fuzzy = checkKql('union isfuzzy=true nope_CL, WallarmSentinel_CL | take 1', schema);
    expect(fuzzy.filter(isError)).toEqual([]);
    expect(fuzzy.map((d) => d.code)).toEqual(['KS205']);
  });

  it('the split RawData and the unbracketed keyword this check was written for', () => {
    const split = 'union isfuzzy=true vuln_high_CL, WallarmSentinel_CL | extend Raw = parse_json(tostring(RawData))';
    expect(errors(split, checkKql(split, schema))).toEqual([
      "1:88 Error KS142 The name 'RawData' does not refer to any known column, table, variable or function. («RawData»)",
    ]);
    const template = readRuleTemplates().find((t) => t.id === 'wallarm-high-risk-security-issue');
    if (!template) throw new Error('rule template wallarm-high-risk-security-issue is missing');
    const broken = { ...template, query: ['WallarmEvents', '| extend IssueTitle = tostring(RawData.details.security_issue.title)'] };
    const query = String(expandRule(broken, catalogView()).properties.query).replaceAll(WALLARM_TABLE_TOKEN, 'WallarmSentinel_CL');
    expect(
      checkKql(query, schema)
        .filter(isError)
        .map((d) => d.code),
    ).toContain('KS228');
  });

  it('a DCR transform reading a column its stream does not declare', () => {
    const source = { name: 'source', columns: [{ name: 'TimeGenerated', type: 'datetime' as const }] };
    expect(checkKql('source | extend Id = toguid(Missing)', { tables: [source] }).filter(isError)).toHaveLength(1);
    expect(checkKql('source | extend Id = toguid(tostring(TimeGenerated))', { tables: [source] }).filter(isError)).toEqual([]);
  });
});
