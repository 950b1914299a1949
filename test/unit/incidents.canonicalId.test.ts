import { describe, expect, it } from 'vitest';
import { canonicalIncidentId } from '../../shared/incidents/canonicalId.js';

const sentinel = (name: string, properties?: Record<string, unknown>) => ({
  api: 'sentinel' as const,
  incident: { name, ...(properties ? { properties } : {}) },
});

describe('canonicalIncidentId', () => {
  it.each([
    ['a Graph incident keeps its id', { api: 'graph' as const, incident: { id: '2972395' } }, '2972395'],
    [
      'an XDR incident read through SecurityInsights → its XDR id',
      sentinel('6f0c…-guid', { providerName: 'Microsoft XDR', providerIncidentId: '2972395' }),
      '2972395',
    ],
    ['the former provider name counts too', sentinel('guid-1', { providerName: 'Microsoft 365 Defender', providerIncidentId: '17' }), '17'],
    ['provider names are matched without case', sentinel('guid-2', { providerName: 'microsoft xdr', providerIncidentId: '18' }), '18'],
    [
      'a numeric providerIncidentId is written as text',
      sentinel('guid-3', { providerName: 'Microsoft XDR', providerIncidentId: 19 }),
      '19',
    ],
    ['a Sentinel-native incident → its name', sentinel('guid-4', { providerName: 'Azure Sentinel', providerIncidentId: '20' }), 'guid-4'],
    ['XDR without an id → its name', sentinel('guid-5', { providerName: 'Microsoft XDR', providerIncidentId: ' ' }), 'guid-5'],
    ['no properties → its name', sentinel('guid-6'), 'guid-6'],
  ])('%s', (_label, source, expected) => {
    expect(canonicalIncidentId(source)).toBe(expected);
  });

  it('gives the same key for one incident read through either API', () => {
    const viaGraph = canonicalIncidentId({ api: 'graph', incident: { id: '42' } });
    const viaSentinel = canonicalIncidentId(sentinel('b7e1-guid', { providerName: 'Microsoft XDR', providerIncidentId: '42' }));
    expect(viaSentinel).toBe(viaGraph);
  });
});
