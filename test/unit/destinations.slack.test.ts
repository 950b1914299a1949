import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { parseSlackCallback } from '../../shared/callbacks/slack.js';
import type { Destination } from '../../shared/config.js';
import type { IncidentSummary } from '../../shared/destinations/incident.js';
import { escapeMrkdwn, events, format, LIMITS, slackResponseMessage } from '../../shared/destinations/slack.js';
import { slackCallback } from '../../tools/emulators/vendorCallbacks.js';
import { sampleIncident } from '../support/incident.js';

const destination: Destination = { name: 'soc-slack', type: 'slack', url: 'https://hooks.slack.com/services/T000/B000/XXXX' };

const incident = (overrides: Partial<IncidentSummary> = {}): IncidentSummary =>
  sampleIncident({ severity: 'Low', labels: [], alertsCount: undefined, ...overrides });

type Block = KnownBlock & {
  text?: { type: string; text: string };
  fields?: { type: string; text: string }[];
  elements?: { type: string; text?: string | { text: string }; url?: string; action_id?: string; value?: string; style?: string }[];
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
      expect(block.elements?.length ?? 0).toBeLessThanOrEqual(LIMITS.actionsElements);
      const ids = (block.elements ?? []).map((e) => e.action_id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const e of block.elements ?? []) {
        expect((e.text as { text: string }).text.length).toBeLessThanOrEqual(LIMITS.buttonText);
        expect(e.url?.length ?? 0).toBeLessThanOrEqual(LIMITS.buttonUrl);
        expect(e.value?.length ?? 0).toBeLessThanOrEqual(LIMITS.buttonValue);
        expect(e.action_id?.length ?? 0).toBeLessThanOrEqual(255);
      }
    }
  }
  expect(total).toBeLessThanOrEqual(12_000);
}

const manyAlerts = Array.from({ length: 300 }, (_, i) => ({ name: `a${i}`, title: `Alert <${i}> & ${'z'.repeat(400)}`, severity: 'High' }));

describe('Slack format', () => {
  it('takes created events only (a message cannot be resolved)', () => {
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

  describe('two-way sync buttons', () => {
    type ButtonJson = { action_id?: string; text: { text: string }; value?: string; url?: string };
    const buttons = (i: IncidentSummary): ButtonJson[] =>
      (parse(format(i, 'created', destination).body).blocks.find((b) => b.type === 'actions')?.elements ?? []) as ButtonJson[];

    it('offers Acknowledge and Close as True / False / Benign positive on a new incident, each carrying the incident id', () => {
      const i = incident({ status: 'New' });
      expect(buttons(i).map((e) => [e.action_id, e.text.text, e.value])).toEqual([
        ['open_incident', 'Open in Microsoft Sentinel', undefined],
        ['sentinelbridge.ack', 'Acknowledge', i.id],
        ['sentinelbridge.close.TruePositive', 'Close as True positive', i.id],
        ['sentinelbridge.close.FalsePositive', 'Close as False positive', i.id],
        ['sentinelbridge.close.BenignPositive', 'Close as Benign positive', i.id],
      ]);
      expectWithinLimits(parse(format(i, 'created', destination).body));
    });

    it('offers no Acknowledge once active, and no sync buttons once closed', () => {
      expect(buttons(incident({ status: 'Active' })).map((e) => e.action_id)).not.toContain('sentinelbridge.ack');
      expect(buttons(incident({ status: 'Active' })).map((e) => e.action_id)).toContain('sentinelbridge.close.TruePositive');
      expect(buttons(incident({ status: 'Closed' })).map((e) => e.action_id)).toEqual(['open_incident']);
    });

    it('falls back to the incident name when the ARM id is longer than a button value may be', () => {
      const i = incident({ status: 'New', id: `/subscriptions/${'s'.repeat(2000)}` });
      expect(buttons(i).find((e) => e.action_id === 'sentinelbridge.ack')?.value).toBe(i.name);
    });

    it('a click on a button of the message parses back to its action and incident', () => {
      const i = incident({ status: 'New' });
      const close = buttons(i).find((e) => e.action_id === 'sentinelbridge.close.BenignPositive');
      const now = new Date();
      const request = slackCallback({
        url: 'https://b.example/cb',
        signingSecret: 's3cret',
        incidentRef: close?.value ?? '',
        action: 'close',
        classification: 'BenignPositive',
        now,
      });
      const result = parseSlackCallback({
        body: Buffer.from(request.body),
        headers: new Headers(request.headers),
        url: new URL(request.url),
        secrets: ['s3cret'],
        now,
      });
      expect(result).toMatchObject({
        ok: true,
        events: [{ action: 'close', classification: 'BenignPositive', incidentRef: { kind: 'bridgeRef', value: i.id } }],
      });
    });

    it('slackResponseMessage replaces the clicked message with the new state and who acted', () => {
      const acked = JSON.parse(
        slackResponseMessage(incident({ status: 'Active' }), destination, {
          action: 'acknowledge',
          user: { id: 'UA8RXUSPL', name: 'jtorrance' },
        }).body,
      ) as { replace_original: boolean; text: string; blocks: Block[] };
      expect(acked.replace_original).toBe(true);
      expect(acked.blocks.at(-1)?.elements?.[0]?.text).toBe(
        ':eyes: Acknowledged by <@UA8RXUSPL>; the incident is Active in Microsoft Sentinel.',
      );
      expect(acked.blocks.find((b) => b.type === 'actions')?.elements?.map((e) => e.action_id)).not.toContain('sentinelbridge.ack');
      expectWithinLimits(acked);

      const closed = JSON.parse(
        slackResponseMessage(incident({ status: 'Closed' }), destination, {
          action: 'close',
          user: { name: '<b>' },
          classification: 'FalsePositive',
        }).body,
      ) as { text: string; blocks: Block[] };
      expect(closed.blocks.at(-1)?.elements?.[0]?.text).toBe(
        ':white_check_mark: Closed by &lt;b&gt; as FalsePositive in Microsoft Sentinel.',
      );
      expect(closed.blocks.find((b) => b.type === 'actions')?.elements?.map((e) => e.action_id)).toEqual(['open_incident']);
      expectWithinLimits(closed);
    });
  });
});
