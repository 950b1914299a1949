// The bridge's own table: the hourly health record.
import type { TableDef } from './types.js';

export const HEALTH_TABLE: TableDef = {
  table: 'SentinelBridgeHealth_CL',
  description: 'Hourly delivery health of Sentinel Bridge, one row per stream.',
  rawData: 'extras',
  columns: [
    { name: 'Stream', type: 'string', description: 'Logs Ingestion stream.', from: ['stream'] },
    { name: 'Accepted', type: 'long', description: 'Events accepted by the ingest routes in the hour.', from: ['accepted'] },
    { name: 'Delivered', type: 'long', description: 'Events delivered to Log Analytics in the hour.', from: ['delivered'] },
    { name: 'Failed', type: 'long', description: 'Delivery attempts that failed in the hour (retried).', from: ['failed'] },
    { name: 'DeadLettered', type: 'long', description: 'Events dead-lettered in the hour.', from: ['deadLettered'] },
    { name: 'Parked', type: 'long', description: 'Events parked because the target was disabled.', from: ['parked'] },
    { name: 'TargetEnabled', type: 'boolean', description: 'Whether the target was enabled at the end of the hour.', from: ['enabled'] },
    {
      name: 'DeliveredBytes',
      type: 'long',
      description: "UTF-8 bytes of the JSON of the rows delivered in the hour, as sent: an estimate of the table's billed size.",
      from: ['deliveredBytes'],
    },
    {
      name: 'SchemaDrift',
      type: 'dynamic',
      description:
        'Fields of the table seen in the hour that no typed column took, or that came as another type: [{path, kind, column, types, count, unconverted, lastSeen}] (count since first seen).',
      from: ['schemaDrift'],
    },
  ],
};
