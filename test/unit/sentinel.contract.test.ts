// The client's idea of the read-only incident fields, held against Microsoft's published IncidentProperties (the
// contract the Sentinel emulator enforces): a field the service ignores or refuses on PUT must never be sent, and no
// writable field may be dropped.
import { describe, expect, it } from 'vitest';
import type { ArmIncidentProperties } from '../../shared/incidents/sentinelClient.js';
import { writableProperties } from '../../shared/incidents/sentinelClient.js';
import contract from '../../tools/emulators/contracts/securityinsights-incident.json' with { type: 'json' };

const WRITABLE_PUBLISHED = contract.properties.filter((k) => !contract.readOnly.includes(k));

describe('SecurityInsights incident properties (api-version 2025-09-01)', () => {
  it('writableProperties drops exactly the published read-only fields and keeps every writable one', () => {
    const every = Object.fromEntries(contract.properties.map((k) => [k, k === 'labels' ? [] : `${k}-value`]));
    const out = writableProperties(every as unknown as ArmIncidentProperties);
    expect(Object.keys(out).sort()).toEqual(WRITABLE_PUBLISHED);
  });

  it('labels go back as {labelName} only: labelType is read-only', () => {
    const out = writableProperties({
      title: 't',
      severity: 'High',
      status: 'New',
      labels: [{ labelName: 'a', labelType: 'AutoAssigned' }],
    } as ArmIncidentProperties);
    expect(out.labels).toEqual([{ labelName: 'a' }]);
  });
});
