import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildCatalog } from '../../shared/catalog/index.js';
import { MCAS_TABLE } from '../../shared/catalog/mcas.js';
import { toRow } from '../../shared/catalog/rows.js';
import { columnsOf, streamOf } from '../../shared/catalog/tables.js';
import type { EventType, JsonRecord, Source } from '../../shared/catalog/types.js';
import { expectEveryLeafKept } from '../support/everyLeaf.js';

// Fixtures:
//  schema-example.json: the "Examples" column of Microsoft's McasShadowItReporting schema table,
//    https://learn.microsoft.com/defender-cloud-apps/siem-sentinel (MicrosoftDocs/defender-docs CloudAppSecurityDocs/siem-sentinel.md)
//  log-analytics-export.json: rows as a Log Analytics export of the table gives them, with every column of the Azure
//    Monitor reference (https://learn.microsoft.com/azure/azure-monitor/reference/tables/mcasshadowitreporting):
//    AadTenantId, AppInstance, Date, MachineId, MachineName, RawUserName, RichUserName, AppId as a string, _BilledSize …

const ctx = { receivedAt: '2026-11-25T12:00:00.000Z' };
const catalog = buildCatalog();
const mcas = catalog.source('mcas') as Source;

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/mcas/${name}`, import.meta.url), 'utf8')) as JsonRecord[];

function rowOf(record: JsonRecord, hint?: string) {
  const type = catalog.resolve(mcas, record, hint) as EventType;
  expect(type).toBeDefined();
  const result = toRow(type, type.table, record, ctx);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  expectEveryLeafKept(type.table, record, result.row);
  return { type, row: result.row };
}

describe('Defender for Cloud Apps discovery', () => {
  it('resolves to McasShadowItReporting_CL', () => {
    const record = fixture('schema-example.json')[0] as JsonRecord;
    const { type } = rowOf(record);
    expect(type).toMatchObject({ source: 'mcas', type: 'discovery', table: { table: 'McasShadowItReporting_CL' } });
    expect(catalog.tableOfStream(streamOf('McasShadowItReporting_CL'))).toBe(MCAS_TABLE);
    expect(catalog.typeForLogType('McasShadowItReporting')?.type).toBe(type);
    expect(catalog.tables).toContain(MCAS_TABLE);
  });

  it("Microsoft's schema example: typed values, reserved names renamed", () => {
    const record = fixture('schema-example.json')[0] as JsonRecord;
    const { row } = rowOf(record);
    expect(row).toEqual({
      McasTenantId: 'b459b4u5-912x-46d5-9cb1-p43069212nb4',
      McasSourceSystem: 'Azure',
      RecordType: 'McasShadowItReporting',
      StreamName: 'Marketing Department',
      TotalEvents: 122,
      BlockedEvents: 0,
      UploadedBytes: 1514874,
      TotalBytes: 4067785,
      DownloadedBytes: 2552911,
      IpAddress: '127.0.0.0',
      UserName: 'Raegan@contoso.com',
      EnrichedUserName: 'Raegan@contoso.com',
      AppName: 'Microsoft OneDrive for Business',
      AppId: 15600,
      AppCategory: 'Cloud storage',
      AppTags: ['sanctioned'],
      AppScore: 10,
      TimeGenerated: '2019-07-23T11:00:35.858Z',
      EventTime: '2019-07-23T11:00:35.858Z',
      EventId: row.EventId,
      ReceivedAt: ctx.receivedAt,
      Source: 'mcas',
      EventType: 'discovery',
      RawData: { TimeGenerated: '2019-07-23T11:00:35.858Z' },
    });
    for (const reserved of ['TenantId', 'SourceSystem', 'Type']) expect(row).not.toHaveProperty(reserved);
  });

  it('Log Analytics export rows: the Azure Monitor reference columns, AppId as a string, > 2 GB counts', () => {
    const rows = fixture('log-analytics-export.json').map((r) => rowOf(r).row);
    expect(rows[0]).toMatchObject({
      AadTenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      AppInstance: 'contoso-my.sharepoint.com',
      Date: '2026-11-24T00:00:00.000Z',
      MachineId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4',
      MachineName: 'LAPTOP-RAEGAN',
      RawUserName: 'CONTOSO\\raegan',
      RichUserName: 'Raegan Smith',
      AppId: 15600,
      UploadedBytes: 5368709120,
      AppTags: ['sanctioned', 'Corporate storage'],
      TimeGenerated: '2026-11-24T10:00:00.000Z',
    });
    expect(rows[0]?.RawData).toEqual({ TimeGenerated: '2026-11-24T10:00:00Z', _BilledSize: 712, _IsBillable: 'True' });
    expect(rows[1]).toMatchObject({ AppName: 'WeTransfer', AppId: 11294, AppScore: 4, BlockedEvents: 58 });
    expect(rows[1]).not.toHaveProperty('MachineName');
    expect(rows[1]?.RawData).toMatchObject({ MachineName: '', AppInstance: '' });
  });

  it('a portal export header "TimeGenerated [UTC]" sets TimeGenerated', () => {
    const { row } = rowOf({ 'TimeGenerated [UTC]': '2026-11-24T10:00:00Z', AppName: 'Box', AppScore: 9 });
    expect(row.TimeGenerated).toBe('2026-11-24T10:00:00.000Z');
  });

  it('rejects out-of-range and non-numeric values at their field', () => {
    const record = fixture('schema-example.json')[0] as JsonRecord;
    const errors = (r: JsonRecord) => {
      const result = toRow(mcas.types[0] as EventType, MCAS_TABLE, r, ctx);
      return result.ok ? [] : result.errors;
    };
    expect(errors({ ...record, AppScore: 11 })).toEqual([{ path: 'AppScore', message: 'must be ≤ 10, got 11' }]);
    expect(errors({ ...record, AppScore: -1 })).toEqual([{ path: 'AppScore', message: 'must be ≥ 0, got -1' }]);
    expect(errors({ ...record, AppId: 'OneDrive' }).map((e) => e.path)).toEqual(['AppId']);
    expect(errors({ ...record, TotalBytes: 'lots' }).map((e) => e.path)).toEqual(['TotalBytes']);
  });

  it('takes its own type names as hints and reports any other as unknown', () => {
    const record = fixture('schema-example.json')[0] as JsonRecord;
    for (const hint of [undefined, '', 'discovery', 'McasShadowItReporting', 'McasShadowItReporting_CL']) {
      expect(catalog.resolve(mcas, record, hint)?.type, String(hint)).toBe('discovery');
    }
    expect(catalog.resolve(mcas, record, 'alerts')).toBeUndefined();
  });

  it('declares the schema columns with their types', () => {
    const types = Object.fromEntries(columnsOf(MCAS_TABLE).map((c) => [c.name, c.type]));
    expect(types).toMatchObject({
      McasTenantId: 'string',
      McasSourceSystem: 'string',
      RecordType: 'string',
      StreamName: 'string',
      TotalEvents: 'long',
      BlockedEvents: 'long',
      UploadedBytes: 'long',
      TotalBytes: 'long',
      DownloadedBytes: 'long',
      IpAddress: 'string',
      UserName: 'string',
      EnrichedUserName: 'string',
      AppName: 'string',
      AppId: 'int',
      AppCategory: 'string',
      AppTags: 'dynamic',
      AppScore: 'int',
      AadTenantId: 'string',
      AppInstance: 'string',
      Date: 'datetime',
      MachineId: 'string',
      MachineName: 'string',
      RawUserName: 'string',
      RichUserName: 'string',
      TimeGenerated: 'datetime',
      RawData: 'dynamic',
    });
  });
});
