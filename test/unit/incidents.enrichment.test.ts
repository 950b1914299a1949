import { describe, expect, it } from 'vitest';
import { capEnrichment, ENRICHMENT_LIMITS, summarizeAlert, summarizeEntity } from '../../shared/incidents/enrichment.js';

describe('enrichment', () => {
  it('summarizes an alert in ARM shape', () => {
    const alert = {
      id: '/x/alerts/a1',
      name: 'a1',
      kind: 'SecurityAlert',
      properties: {
        alertDisplayName: 'Mass download',
        severity: 'High',
        status: 'New',
        productName: 'Azure Sentinel',
        timeGenerated: '2026-01-01T00:00:00Z',
        tactics: ['Exfiltration'],
        extendedProperties: { big: 'x'.repeat(10_000) },
      },
    };
    expect(summarizeAlert(alert)).toEqual({
      name: 'a1',
      title: 'Mass download',
      severity: 'High',
      status: 'New',
      productName: 'Azure Sentinel',
      timeGenerated: '2026-01-01T00:00:00Z',
      tactics: ['Exfiltration'],
    });
  });
  it('summarizes an entity with its scalar identifying fields, each truncated', () => {
    const entity = {
      name: 'e1',
      kind: 'Account',
      properties: {
        friendlyName: 'jane',
        accountName: 'jane',
        upnSuffix: 'contoso.com',
        isDomainJoined: true,
        additionalData: { x: 1 },
        note: 'n'.repeat(5000),
      },
    };
    const s = summarizeEntity(entity);
    expect(s).toMatchObject({ kind: 'Account', friendlyName: 'jane', accountName: 'jane', upnSuffix: 'contoso.com', isDomainJoined: true });
    expect(s.additionalData).toBeUndefined();
    expect((s.note as string).length).toBe(ENRICHMENT_LIMITS.text);
  });
  it('caps counts and total size', () => {
    const alerts = Array.from({ length: 50 }, (_, i) => ({ name: `a${i}`, title: 't'.repeat(900) }));
    const entities = Array.from({ length: 80 }, (_, i) => ({ kind: 'Ip', friendlyName: `10.0.0.${i}`, address: 'x'.repeat(500) }));
    const capped = capEnrichment({ alerts, entities });
    expect(capped.alerts?.length).toBeLessThanOrEqual(ENRICHMENT_LIMITS.alerts);
    expect(capped.entities?.length).toBeLessThanOrEqual(ENRICHMENT_LIMITS.entities);
    expect(Buffer.byteLength(JSON.stringify(capped))).toBeLessThanOrEqual(ENRICHMENT_LIMITS.bytes + 40);
    expect(capped.alerts?.[0]?.name).toBe('a0');
    const small = capEnrichment({ alerts: alerts.slice(0, 2), entities: entities.slice(0, 2) });
    expect(small).toEqual({ alerts: alerts.slice(0, 2), entities: entities.slice(0, 2) });
  });
});
