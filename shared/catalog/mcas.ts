// Microsoft Defender for Cloud Apps (MCAS) discovery rows: the McasShadowItReporting schema, as documented in
// https://learn.microsoft.com/defender-cloud-apps/siem-sentinel (TenantId … Type, with types and examples) and the
// Azure Monitor table reference https://learn.microsoft.com/azure/azure-monitor/reference/tables/mcasshadowitreporting
// (adds AadTenantId, AppInstance, Date, MachineId, MachineName, RawUserName, RichUserName).
// TenantId, SourceSystem and Type are reserved in custom tables: renamed McasTenantId, McasSourceSystem, RecordType.
// Byte and event counts are declared `long`: the schema says "Integer", but a day of uploads overflows int32.
import type { Column, Source, TableDef } from './types.js';

const col = (
  name: string,
  type: Column['type'],
  description: string,
  from: string = name,
  bounds: Pick<Column, 'min' | 'max'> = {},
): Column => ({
  name,
  type,
  description,
  from: [from],
  ...bounds,
});

export const MCAS_TABLE: TableDef = {
  table: 'McasShadowItReporting_CL',
  description: 'Defender for Cloud Apps discovery (Shadow IT reporting) rows, with the columns of the McasShadowItReporting table.',
  rawData: 'extras',
  columns: [
    col('McasTenantId', 'string', 'TenantId of the row (the exporting workspace); TenantId is reserved.', 'TenantId'),
    col('McasSourceSystem', 'string', 'SourceSystem of the row (static: Azure); SourceSystem is reserved.', 'SourceSystem'),
    col('RecordType', 'string', 'Type of the row (static: McasShadowItReporting); Type is reserved.', 'Type'),
    col('AadTenantId', 'string', 'Microsoft Entra tenant id.'),
    col('StreamName', 'string', 'Name of the discovery stream, e.g. Marketing Department.'),
    col('MachineName', 'string', 'Machine name.'),
    col('MachineId', 'string', 'Machine id.'),
    col('TotalEvents', 'long', 'Total number of events per session.', 'TotalEvents', { min: 0 }),
    col('BlockedEvents', 'long', 'Number of blocked events.', 'BlockedEvents', { min: 0 }),
    col('UploadedBytes', 'long', 'Amount of uploaded data.', 'UploadedBytes', { min: 0 }),
    col('TotalBytes', 'long', 'Total amount of data.', 'TotalBytes', { min: 0 }),
    col('DownloadedBytes', 'long', 'Amount of downloaded data.', 'DownloadedBytes', { min: 0 }),
    col('IpAddress', 'string', 'Source IP address.'),
    col('UserName', 'string', 'User name.'),
    col('EnrichedUserName', 'string', 'User name enriched with the Microsoft Entra user name.'),
    col('RawUserName', 'string', 'User name as in the traffic log.'),
    col('RichUserName', 'string', 'Display form of the user name.'),
    col('AppName', 'string', 'Name of the cloud app.'),
    col('AppId', 'int', 'Cloud app identifier (a numeric string is accepted).', 'AppId', { min: 0 }),
    col('AppInstance', 'string', 'App instance.'),
    col('AppCategory', 'string', 'Category of the cloud app.'),
    col('AppTags', 'dynamic', 'Built-in and custom tags of the app, e.g. ["sanctioned"].'),
    col('AppScore', 'int', 'Risk score of the app, 0–10 (10 = not risky).', 'AppScore', { min: 0, max: 10 }),
    col('Date', 'datetime', 'Date of the discovery data.'),
  ],
};

/** Names a request may give this type (`?type=`, `Log-Type`). */
const ALIASES: ReadonlySet<string> = new Set(['discovery', 'mcasshadowitreporting', 'mcasshadowitreporting_cl']);

export const mcasSource: Source = {
  name: 'mcas',
  description: 'Defender for Cloud Apps discovery (Shadow IT reporting) rows → McasShadowItReporting_CL',
  types: [
    {
      source: 'mcas',
      type: 'discovery',
      description: 'Shadow IT reporting row (one app, user and stream per period).',
      table: MCAS_TABLE,
      // `TimeGenerated [UTC]` is the header of a Log Analytics results export.
      time: ['TimeGenerated', 'TimeGenerated [UTC]', 'Date'],
    },
  ],
  // One type: no hint means discovery; a hint naming something else is reported as an unknown type.
  classify: (_record, hint) => (!hint?.trim() || ALIASES.has(hint.trim().toLowerCase()) ? 'discovery' : hint),
};
