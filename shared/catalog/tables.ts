// Columns every table has, and the full declared column list of a table (what the DCR stream declares).
import type { Column, ColumnType, TableDef } from './types.js';

export const COMMON_COLUMNS: readonly Column[] = [
  { name: 'TimeGenerated', type: 'datetime', description: "The event's own time when it has one, else when the bridge received it." },
  { name: 'EventTime', type: 'datetime', description: 'The time the event carried, as sent (kept when TimeGenerated had to be adjusted).' },
  { name: 'EventId', type: 'string', description: 'Content-derived id: equal for a resent copy of the same event.' },
  { name: 'ReceivedAt', type: 'datetime', description: 'When the bridge accepted the event.' },
  { name: 'Source', type: 'string', description: 'Source the event came from (wallarm, mcas, generic, …).' },
  { name: 'EventType', type: 'string', description: 'Event type within the source.' },
  {
    name: 'Unconverted',
    type: 'dynamic',
    description: 'Paths of fields whose value its typed column cannot hold (an integer beyond int/long); RawData keeps them exactly.',
  },
  {
    name: 'Truncated',
    type: 'dynamic',
    description:
      'Fields the bridge cut to fit the 64 KB limit of a value, as an array of paths (a column, or RawData.<path>); empty when nothing was cut.',
  },
  {
    name: 'OriginalRecord',
    type: 'string',
    description: 'When a field was cut: URL of the blob (container originals) holding the complete original record.',
  },
];

const RAW_DATA: Record<TableDef['rawData'], Column> = {
  extras: { name: 'RawData', type: 'dynamic', description: 'Fields of the original event that no typed column took.' },
  json: { name: 'RawData', type: 'string', description: 'The original event as JSON.' },
};

export const RESERVED_COLUMN_NAMES = ['id', 'Type', 'TenantId', 'Title', 'UniqueId', '_ResourceId', '_SubscriptionId'] as const;
export const COLUMN_NAME = /^[A-Za-z][A-Za-z0-9_]{0,44}$/;

/** Every column the table declares, in a stable order: the table's own, then the common ones, then RawData. */
export function columnsOf(table: TableDef): Column[] {
  const own = table.columns.map((c) => c.name);
  return [
    ...table.columns,
    ...COMMON_COLUMNS.filter((c) => !own.includes(c.name)),
    ...(own.includes('RawData') ? [] : [RAW_DATA[table.rawData]]),
  ];
}

export const streamOf = (table: string) => `Custom-${table}`;

/** A table's declared columns by name (the common ones included): the catalog builds it once per table. */
export const columnTypesOf = (table: TableDef): ReadonlyMap<string, ColumnType> => new Map(columnsOf(table).map((c) => [c.name, c.type]));
