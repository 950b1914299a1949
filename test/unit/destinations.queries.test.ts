// KQL enrichment results in each destination's format, within that format's limits.
import { describe, expect, it } from 'vitest';
import type { Destination } from '../../shared/config.js';
import type { IncidentSummary, QueryResult } from '../../shared/destinations/incident.js';
import * as pagerduty from '../../shared/destinations/pagerduty.js';
import * as signl4 from '../../shared/destinations/signl4.js';
import * as slack from '../../shared/destinations/slack.js';
import * as teams from '../../shared/destinations/teams.js';
import * as webhook from '../../shared/destinations/webhook.js';
import { sampleIncident } from '../support/incident.js';

const queries = [{ name: 'signins', query: 'SigninLogs | where UserPrincipalName in (accounts)' }];
const dest = (type: Destination['type'], extra: Partial<Destination> = {}): Destination => ({
  name: `d-${type}`,
  type,
  url: 'https://receiver.example/x',
  enrich: { queries },
  ...extra,
});

const ok: QueryResult = {
  name: 'signins',
  columns: ['UserPrincipalName', 'IPAddress', 'Count'],
  rows: [
    ['alice@contoso.com', '10.0.0.1', 3],
    ['<b>&', null, 1],
  ],
  truncated: false,
};
const failed: QueryResult = { name: 'devices', columns: [], rows: [], truncated: false, error: 'Timeout: no answer within 20000 ms' };
const incident = (q: QueryResult[] = [ok, failed]): IncidentSummary => sampleIncident({ enrichment: { queries: q } });

// biome-ignore lint/suspicious/noExplicitAny: bodies are asserted field by field
type Json = any;
const body = (r: { body: string }): Json => JSON.parse(r.body);
const cardBody = (r: { body: string }): Json[] => body(r).attachments[0].content.body;
const flat = (elements: Json[]): Json[] =>
  elements.flatMap((e) => [e, ...flat(e.items ?? []), ...flat(e.rows ?? []), ...flat(e.cells ?? [])]);

describe('query results', () => {
  it('Teams: a Table per query (header row, then rows) and the failed query noted', () => {
    const elements = flat(cardBody(teams.format(incident(), 'created', dest('teams'))));
    const tables = elements.filter((e) => e.type === 'Table');
    expect(tables).toHaveLength(1);
    const cells = tables[0].rows.map((r: Json) => r.cells.map((c: Json) => c.items[0].text));
    expect(cells).toEqual([
      ['UserPrincipalName', 'IPAddress', 'Count'],
      ['alice@contoso.com', '10.0.0.1', '3'],
      ['<b>&', '', '1'],
    ]);
    expect(tables[0].firstRowAsHeader).toBe(true);
    const texts = elements.filter((e) => e.type === 'TextBlock').map((e) => e.text);
    expect(texts).toContain('Query signins: 2 rows');
    expect(texts).toContain('Query devices: failed (Timeout: no answer within 20000 ms)');
  });

  it('Teams: wide and long results stay within the columns, rows and byte budget, saying what was left out', () => {
    const wide: QueryResult = {
      name: 'big',
      columns: Array.from({ length: 12 }, (_, i) => `c${i}`),
      rows: Array.from({ length: 40 }, (_, r) => Array.from({ length: 12 }, (_, c) => `${r}:${c}:${'x'.repeat(400)}`)),
      truncated: true,
    };
    const r = teams.format(incident([wide, wide, wide, wide, wide]), 'created', dest('teams'));
    expect(Buffer.byteLength(r.body)).toBeLessThanOrEqual(teams.BODY_MAX_BYTES);
    const elements = flat(cardBody(r));
    const tables = elements.filter((e) => e.type === 'Table');
    expect(tables.length).toBeGreaterThan(0);
    for (const t of tables) {
      expect(t.columns).toHaveLength(teams.QUERY_COLUMNS_MAX);
      expect(t.rows.length - 1).toBeLessThanOrEqual(teams.QUERY_ROWS_MAX);
      for (const row of t.rows) for (const c of row.cells) expect(c.items[0].text.length).toBeLessThanOrEqual(teams.QUERY_CELL_MAX);
    }
    expect(elements.some((e) => /more rows not shown/.test(e.text ?? ''))).toBe(true);
    expect(elements.some((e) => e.text === 'Query big: 40 rows, truncated')).toBe(true);
  });

  it('Slack: a section per query within the section limit, data escaped', () => {
    const blocks: Json[] = body(slack.format(incident(), 'created', dest('slack'))).blocks;
    const sections = blocks.filter((b) => b.type === 'section' && /^\*(signins|devices)/.test(b.text?.text ?? ''));
    expect(sections.map((s) => s.text.text)).toEqual([
      '*signins: 2 rows*\nUserPrincipalName | IPAddress | Count\n• alice@contoso.com | 10.0.0.1 | 3\n• &lt;b&gt;&amp; |  | 1',
      '*devices: failed (Timeout: no answer within 20000 ms)*\n',
    ]);
    const many: QueryResult = { ...ok, rows: Array.from({ length: 200 }, (_, i) => [`user${i}@contoso.com`, '10.0.0.1', i]) };
    const big: Json[] = body(slack.format(incident([many, many, many, many, many]), 'created', dest('slack'))).blocks;
    const texts = big.filter((b) => /^\*signins/.test(b.text?.text ?? '')).map((b) => b.text.text as string);
    expect(texts).toHaveLength(5);
    for (const t of texts) expect(t.length).toBeLessThanOrEqual(slack.LIMITS.queriesText / 5);
    expect(texts[0]).toMatch(/… and \d+ more$/);
    expect(big.length).toBeLessThanOrEqual(slack.LIMITS.blocks);
  });

  it('SIGNL4: one flat text field per query', () => {
    const b = body(signl4.format(incident(), 'created', dest('signl4')));
    expect(b['Query signins']).toBe(
      'signins: 2 rows\nUserPrincipalName=alice@contoso.com, IPAddress=10.0.0.1, Count=3\nUserPrincipalName=<b>&, IPAddress=, Count=1',
    );
    expect(b['Query devices']).toBe('devices: failed (Timeout: no answer within 20000 ms)');
    for (const v of Object.values(b)) expect(typeof v).toBe('string');
    const long: QueryResult = { ...ok, rows: Array.from({ length: 100 }, (_, i) => [`user${i}@contoso.com`, '10.0.0.1', i]) };
    expect(body(signl4.format(incident([long]), 'created', dest('signl4')))['Query signins'].length).toBe(signl4.QUERY_FIELD_MAX);
    expect(body(signl4.format(incident(), 'created', dest('signl4', { enrich: undefined })))['Query signins']).toBeUndefined();
  });

  it('PagerDuty: custom_details.queries as data', () => {
    const b = body(pagerduty.format(incident(), 'created', dest('pagerduty', { routingKey: 'R0123456789abcdef0123456789abcde' })));
    expect(b.payload.custom_details.queries).toEqual([ok, failed]);
  });

  it('webhook: data.enrichment.queries as data', () => {
    const b = body(webhook.format(incident(), 'created', dest('webhook'), { deliveryId: 'd-1' }));
    expect(b.data.enrichment.queries).toEqual([ok, failed]);
  });
});
