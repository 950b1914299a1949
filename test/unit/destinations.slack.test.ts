import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { Destination } from '../../shared/config.js';
import type { IncidentSummary } from '../../shared/destinations/incident.js';
import { canResolve, escapeMrkdwn, events, format, LIMITS } from '../../shared/destinations/slack.js';
import { sampleIncident } from '../support/incident.js';

const destination: Destination = { name: 'soc-slack', type: 'slack', url: 'https://hooks.slack.com/services/T000/B000/XXXX' };

const incident = (overrides: Partial<IncidentSummary> = {}): IncidentSummary =>
  sampleIncident({ severity: 'Low', labels: [], alertsCount: undefined, ...overrides });

type Block = KnownBlock & {
  text?: { type: string; text: string };
  fields?: { type: string; text: string }[];
  elements?: { type: string; text?: string | { text: string }; url?: string }[];
};
const parse = (body: string) => JSON.parse(body) as { text: string; blocks: Block[] };

/** Every Block Kit limit this format relies on. */
function expectWithinLimits(message: { text: string; blocks: Block[] }): void {
  expect(message.text.length).toBeGreaterThan(0);
  expect(message.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
  expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
  let total = 0;
  for (const block of message.blocks) {
    if (block.type === 'header') {
      expect(block.text?.type).toBe('plain_text');
      expect(block.text?.text.length).toBeGreaterThan(0);
      expect(block.text?.text.length).toBeLessThanOrEqual(LIMITS.headerText);
    }
    if (block.type === 'section') {
      if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
      expect(block.fields?.length ?? 0).toBeLessThanOrEqual(LIMITS.fields);
      for (const f of block.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(LIMITS.fieldText);
      total += (block.text?.text.length ?? 0) + (block.fields ?? []).reduce((n, f) => n + f.text.length, 0);
    }
    if (block.type === 'context') expect(block.elements?.length ?? 0).toBeLessThanOrEqual(LIMITS.contextElements);
    if (block.type === 'actions') {
      for (const e of block.elements ?? []) {
        expect((e.text as { text: string }).text.length).toBeLessThanOrEqual(LIMITS.buttonText);
        expect(e.url?.length ?? 0).toBeLessThanOrEqual(LIMITS.buttonUrl);
      }
    }
  }
  expect(total).toBeLessThanOrEqual(12_000);
}

const manyAlerts = Array.from({ length: 300 }, (_, i) => ({ name: `a${i}`, title: `Alert <${i}> & ${'z'.repeat(400)}`, severity: 'High' }));

describe('Slack format', () => {
  it('declares it cannot resolve, and takes created events only', () => {
    expect(canResolve).toBe(false);
    expect(events).toEqual(['created']);
  });

  it('has a text fallback, a header, the facts, the description and a button to the portal', () => {
    const out = format(incident(), 'created', destination);
    expect(out.headers['content-type']).toBe('application/json');
    const message = parse(out.body);
    expect(message.text).toBe(':large_yellow_circle: [Low] Sentinel incident #7: Brute force against admin');
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '[Low] Sentinel incident #7: Brute force against admin', emoji: true },
    });
    const fields = message.blocks.find((b) => b.fields)?.fields?.map((f) => f.text);
    expect(fields).toContain('*Severity*\nLow');
    expect(message.blocks.some((b) => b.type === 'section' && b.text?.text === 'Many failed sign-ins.')).toBe(true);
    const actions = message.blocks.find((b) => b.type === 'actions');
    expect(actions?.elements?.[0]?.url).toBe('https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident/x');
    expectWithinLimits(message);
  });

  it.each([
    ['ordinary', {}, false],
    ['a huge title', { title: 'T'.repeat(50_000) }, false],
    ['a huge description', { description: 'D'.repeat(1_000_000) }, false],
    ['a description of escaped characters', { description: '<&>'.repeat(10_000) }, false],
    ['many labels', { labels: Array.from({ length: 3000 }, (_, i) => `l${i}`), owner: 'o'.repeat(5000) }, false],
    [
      'huge enrichment',
      {
        description: 'D'.repeat(50_000),
        enrichment: { alerts: manyAlerts, entities: manyAlerts.map((a) => ({ kind: 'Host', friendlyName: a.title })) },
      },
      true,
    ],
  ] as const)('stays within Block Kit limits with %s', (_case, overrides, enrich) => {
    expectWithinLimits(parse(format(incident(overrides), 'created', { ...destination, enrich }).body));
  });

  it('escapes &, < and > and never cuts an entity in half', () => {
    const message = parse(format(incident({ title: 'a <b> & c', description: '&'.repeat(5000) }), 'created', destination).body);
    expect(message.text).toContain('a &lt;b&gt; &amp; c');
    const description = message.blocks.find((b) => b.type === 'section' && b.text?.text.startsWith('&amp;'))?.text?.text ?? '';
    expect(description.endsWith('&amp;…')).toBe(true);
    expect(description.replace(/&amp;/g, '')).toBe('…');
    expect(escapeMrkdwn('<@U123> & <!channel>')).toBe('&lt;@U123&gt; &amp; &lt;!channel&gt;');
  });

  it('truncates the header to 150 characters with an ellipsis', () => {
    const header = parse(format(incident({ title: 'x'.repeat(500) }), 'created', destination).body).blocks[0]?.text?.text ?? '';
    expect(header.length).toBe(LIMITS.headerText);
    expect(header.endsWith('…')).toBe(true);
  });

  it('lists enrichment only for enrich: true', () => {
    const enriched = incident({ enrichment: { alerts: manyAlerts.slice(0, 2) } });
    const has = (d: Destination) => parse(format(enriched, 'created', d).body).blocks.some((b) => b.text?.text.startsWith('*Alerts (2)*'));
    expect(has(destination)).toBe(false);
    expect(has({ ...destination, enrich: true })).toBe(true);
  });
});
