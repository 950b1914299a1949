import { describe, expect, it } from 'vitest';
import type { Destination } from '../../shared/config.js';
import type { IncidentSummary } from '../../shared/destinations/incident.js';
import { BODY_MAX_BYTES, DESCRIPTION_MAX, events, format } from '../../shared/destinations/teams.js';
import { sampleIncident } from '../support/incident.js';

const destination: Destination = {
  name: 'soc-channel',
  type: 'teams',
  url: 'https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=s',
};

const incident = (overrides: Partial<IncidentSummary> = {}): IncidentSummary =>
  sampleIncident({ severity: 'Medium', labels: [], alertsCount: undefined, ...overrides });

interface Element {
  type: string;
  text?: string;
  url?: string;
  items?: Element[];
  facts?: { title: string; value: string }[];
}
interface Message {
  type: string;
  attachments: { contentType: string; content: { type: string; version: string; body: Element[]; actions: Element[] } }[];
}
const parse = (body: string) => JSON.parse(body) as Message;
const texts = (elements: Element[]): string[] =>
  elements.flatMap((e) => [e.text ?? '', ...(e.facts ?? []).map((f) => f.value), ...texts(e.items ?? [])]);

const manyAlerts = Array.from({ length: 500 }, (_, i) => ({ name: `a${i}`, title: `Alert ${i} ${'z'.repeat(300)}`, severity: 'High' }));
const manyEntities = Array.from({ length: 500 }, (_, i) => ({ kind: 'Account', friendlyName: `user${i}@contoso.com` }));

describe('Teams format', () => {
  it('takes created events only (a card cannot be resolved)', () => {
    expect(events).toEqual(['created']);
  });

  it('is a Workflows message with one Adaptive Card ≤ 1.5 and an OpenUrl action to the portal', () => {
    const out = format(incident(), 'created', destination);
    expect(out.headers['content-type']).toBe('application/json');
    const message = parse(out.body);
    expect(message.type).toBe('message');
    expect(message.attachments).toHaveLength(1);
    const [attachment] = message.attachments;
    expect(attachment?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(attachment?.content.type).toBe('AdaptiveCard');
    expect(Number(attachment?.content.version)).toBeLessThanOrEqual(1.5);
    expect(attachment?.content.actions).toContainEqual(
      expect.objectContaining({
        type: 'Action.OpenUrl',
        url: 'https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident/x',
      }),
    );
    const body = attachment?.content.body ?? [];
    expect(texts(body)).toContain('Brute force against admin');
    expect(texts(body)).toContain('Many failed sign-ins.');
    const facts = body.find((e) => e.type === 'FactSet')?.facts ?? [];
    expect(facts).toContainEqual({ title: 'Severity', value: 'Medium' });
    expect(facts).toContainEqual({ title: 'Incident', value: '#7' });
  });

  it.each([
    ['a 1 MB ASCII description', { description: 'a'.repeat(1_000_000) }, false],
    ['a 1 MB description of multi-byte characters', { description: '€😀'.repeat(300_000) }, false],
    ['a description that JSON escapes six-fold', { description: '\u0001'.repeat(200_000) }, false],
    ['a huge title', { title: 'T'.repeat(100_000) }, false],
    [
      'huge description and enrichment',
      { description: 'd'.repeat(200_000), enrichment: { alerts: manyAlerts, entities: manyEntities } },
      true,
    ],
    [
      'many labels and tactics, a huge owner',
      {
        labels: Array.from({ length: 2000 }, (_, i) => `label-${i}`),
        tactics: Array.from({ length: 200 }, () => 'Discovery'),
        owner: 'o'.repeat(100_000),
      },
      false,
    ],
  ] as const)('fits %s in 28 KB, truncating with an ellipsis', (_case, overrides, enrich) => {
    const out = format(incident(overrides), 'created', { ...destination, enrich });
    expect(Buffer.byteLength(out.body)).toBeLessThanOrEqual(BODY_MAX_BYTES);
    expect(BODY_MAX_BYTES).toBeLessThanOrEqual(28 * 1000);
    const card = parse(out.body).attachments[0]?.content;
    expect(card?.actions[0]?.type).toBe('Action.OpenUrl');
    expect(texts(card?.body ?? []).some((t) => t.endsWith('…'))).toBe(true);
  });

  it.each([
    ['ASCII', 'a'],
    ['multi-byte', '€😀'],
  ])('keeps DESCRIPTION_MAX characters of a long %s description when the bytes allow', (_case, unit) => {
    const body =
      parse(format(incident({ description: unit.repeat(500_000) }), 'created', destination).body).attachments[0]?.content.body ?? [];
    const description = texts(body).find((t) => t.startsWith(unit)) ?? '';
    expect(description.length).toBe(DESCRIPTION_MAX);
  });

  it('spends most of the 28 KB on a description that does not fit, rather than dropping it', () => {
    const out = format(incident({ description: '\u0001'.repeat(500_000) }), 'created', destination);
    expect(Buffer.byteLength(out.body)).toBeGreaterThan(BODY_MAX_BYTES * 0.8);
    expect(Buffer.byteLength(out.body)).toBeLessThanOrEqual(BODY_MAX_BYTES);
  });

  it('keeps a description that fits as it is', () => {
    const description = 'x'.repeat(5000);
    expect(texts(parse(format(incident({ description }), 'created', destination).body).attachments[0]?.content.body ?? [])).toContain(
      description,
    );
  });

  it('lists enrichment (capped) only for enrich: true', () => {
    const withAlerts = incident({ enrichment: { alerts: manyAlerts.slice(0, 12), entities: manyEntities.slice(0, 2) } });
    const plain = texts(parse(format(withAlerts, 'created', destination).body).attachments[0]?.content.body ?? []);
    expect(plain.some((t) => t.startsWith('Alerts'))).toBe(false);
    const enriched = texts(parse(format(withAlerts, 'created', { ...destination, enrich: true }).body).attachments[0]?.content.body ?? []);
    expect(enriched).toContain('Alerts (12)');
    expect(enriched).toContain('Entities (2)');
    expect(enriched.some((t) => t.includes('… and 2 more'))).toBe(true);
  });
});
