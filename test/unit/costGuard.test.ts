// The cost guard's arithmetic and settings: which rows fit under a cap, which tables a cap applies to, and the
// settings refused at start (bad values, tables the catalog does not have).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../shared/app.js';
import { HEALTH_TABLE } from '../../shared/catalog/bridge.js';
import { buildCatalog } from '../../shared/catalog/index.js';
import { streamOf } from '../../shared/catalog/tables.js';
import { ConfigError, loadConfig } from '../../shared/config.js';
import { capNotice, capSettings, dayKey, MB, rowBytes, rowsWithinCap } from '../../shared/reliability/costGuard.js';

const env = (extra: Record<string, string> = {}) => ({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', ...extra });
const catalog = buildCatalog();
const settingsOf = (extra: Record<string, string>) => capSettings(loadConfig(env(extra)), catalog, HEALTH_TABLE.table);

describe('rowsWithinCap', () => {
  it('takes the longest prefix whose sizes fit under the cap on top of what is used', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 50 }), fc.nat(20_000), fc.nat(20_000), (sizes, used, cap) => {
        const n = rowsWithinCap(sizes, used, cap);
        const sum = (k: number) => used + sizes.slice(0, k).reduce((a, b) => a + b, 0);
        expect(n).toBeGreaterThanOrEqual(0);
        expect(n).toBeLessThanOrEqual(sizes.length);
        if (n > 0) expect(sum(n)).toBeLessThanOrEqual(cap);
        // The next row would cross the cap: a later, smaller row is never sent ahead of it.
        if (n < sizes.length) expect(sum(n + 1)).toBeGreaterThan(cap);
      }),
    );
  });

  it('fills the cap exactly, and sends nothing once it is used up', () => {
    expect(rowsWithinCap([400_000, 400_000, 200_000, 1], 0, MB)).toBe(3);
    expect(rowsWithinCap([1], MB, MB)).toBe(0);
    expect(rowsWithinCap([2, 1], 0, 1)).toBe(0);
    expect(rowsWithinCap([], 0, 0)).toBe(0);
  });

  it('counts a row by its JSON in UTF-8 bytes', () => {
    expect(rowBytes({ a: 'é' })).toBe(Buffer.byteLength('{"a":"é"}'));
  });
});

describe('capSettings', () => {
  it('is off by default', () => {
    expect(settingsOf({})).toEqual({ caps: new Map(), resume: 'manual' });
  });

  it('caps every table but the health table at INGEST_DAILY_CAP_MB, in decimal megabytes', () => {
    const { caps, resume } = settingsOf({ INGEST_DAILY_CAP_MB: '2.5', INGEST_CAP_RESUME: 'auto' });
    expect(resume).toBe('auto');
    const capped = catalog.tables.map((t) => t.table).filter((t) => t !== HEALTH_TABLE.table);
    expect([...caps.keys()].sort()).toEqual(capped.map(streamOf).sort());
    expect(new Set(caps.values())).toEqual(new Set([2_500_000]));
  });

  it('takes per-table overrides over the default: 0 lifts it, the health table only when named', () => {
    const { caps } = settingsOf({
      INGEST_DAILY_CAP_MB: '10',
      INGEST_TABLE_CAPS_MB: JSON.stringify({ WebhookEvents_CL: 500, new_hits_CL: 0, [HEALTH_TABLE.table]: 1 }),
    });
    expect(caps.get('Custom-WebhookEvents_CL')).toBe(500 * MB);
    expect(caps.has('Custom-new_hits_CL')).toBe(false);
    expect(caps.get(streamOf(HEALTH_TABLE.table))).toBe(MB);
    expect(caps.get('Custom-vuln_high_CL')).toBe(10 * MB);
    // Overrides alone cap only the tables they name.
    expect([...settingsOf({ INGEST_TABLE_CAPS_MB: '{"WebhookEvents_CL": 1}' }).caps.keys()]).toEqual(['Custom-WebhookEvents_CL']);
  });

  it('refuses a table the catalog does not have, naming it and the tables there are', () => {
    const config = loadConfig(env({ INGEST_TABLE_CAPS_MB: '{"WebhookEvent_CL": 5, "Webhook Events": 1}' }));
    expect(() => capSettings(config, catalog, HEALTH_TABLE.table)).toThrow(ConfigError);
    expect(() => capSettings(config, catalog, HEALTH_TABLE.table)).toThrow(
      /INGEST_TABLE_CAPS_MB: no table WebhookEvent_CL, Webhook Events in the catalog; its tables are .*WebhookEvents_CL/,
    );
    // At start: the app is not built (functions/register.ts then answers 503 naming the setting).
    expect(() => createApp(config)).toThrow(/INGEST_TABLE_CAPS_MB: no table WebhookEvent_CL/);
  });

  it('follows WALLARM_TABLE: the single table is a catalog table then', () => {
    const single = buildCatalog({ wallarmTable: 'MyWallarm_CL' });
    const config = loadConfig(env({ WALLARM_TABLE: 'MyWallarm_CL', INGEST_TABLE_CAPS_MB: '{"MyWallarm_CL": 3}' }));
    expect(capSettings(config, single, HEALTH_TABLE.table).caps.get('Custom-MyWallarm_CL')).toBe(3 * MB);
    expect(() => capSettings(config, catalog, HEALTH_TABLE.table)).toThrow(/no table MyWallarm_CL/);
  });
});

describe('the cap settings', () => {
  it('refuses bad values, naming the setting and the place', () => {
    const refused = (extra: Record<string, string>, message: RegExp) => {
      expect(() => loadConfig(env(extra))).toThrow(ConfigError);
      expect(() => loadConfig(env(extra))).toThrow(message);
    };
    refused({ INGEST_DAILY_CAP_MB: '-1' }, /INGEST_DAILY_CAP_MB: /);
    refused({ INGEST_DAILY_CAP_MB: 'lots' }, /INGEST_DAILY_CAP_MB: /);
    refused({ INGEST_TABLE_CAPS_MB: '{"WebhookEvents_CL": "500"}' }, /INGEST_TABLE_CAPS_MB at WebhookEvents_CL: /);
    refused({ INGEST_TABLE_CAPS_MB: '[500]' }, /INGEST_TABLE_CAPS_MB: /);
    refused({ INGEST_TABLE_CAPS_MB: '{' }, /INGEST_TABLE_CAPS_MB: not valid JSON/);
    refused({ INGEST_CAP_RESUME: 'tomorrow' }, /INGEST_CAP_RESUME: /);
  });
});

describe('days and the notice', () => {
  it('keys a UTC day, whatever the hour', () => {
    const midnight = Date.UTC(2031, 0, 31);
    expect(dayKey(midnight)).toBe('20310131');
    expect(dayKey(midnight - 1)).toBe('20310130');
    expect(dayKey(midnight + 86_400_000 - 1)).toBe('20310131');
  });

  it('tells the operators what was capped and what releases it', () => {
    const at = Date.UTC(2031, 5, 1, 13);
    expect(capNotice('Custom-WebhookEvents_CL', 500 * MB, 'manual', at)).toMatchObject({
      type: 'sentinelbridge.target.capped',
      target: 'Custom-WebhookEvents_CL',
      table: 'WebhookEvents_CL',
      capMb: 500,
      day: '2031-06-01',
      resume: 'manual',
      message: expect.stringMatching(/500 MB .* parked, not dropped; POST \/api\/replay/),
    });
    expect(capNotice('Custom-WebhookEvents_CL', MB, 'auto', at).message).toMatch(/after 00:00 UTC/);
  });
});
