// Any JSON sender: one table, the event type from the request or the record, every field kept in RawData.
import type { EventType, Source, TableDef } from './types.js';

export const WEBHOOK_EVENTS: TableDef = {
  table: 'WebhookEvents_CL',
  description: 'Events from any JSON webhook sender.',
  rawData: 'extras',
  columns: [],
};

const TIME_PATHS = ['TimeGenerated', 'timestamp', 'time', '@timestamp', 'eventTime', 'created_at'] as const;

const genericType = (type: string | undefined): EventType => ({
  source: 'generic',
  type: type ?? 'event',
  description: 'A generic JSON event.',
  table: WEBHOOK_EVENTS,
  time: TIME_PATHS,
});

export const genericSource: Source = {
  name: 'generic',
  description: "Any JSON object → WebhookEvents_CL (type from ?type=, or the record's type / event_type).",
  types: [],
  classify: (record, hint) => {
    const own = record.type ?? record.event_type;
    return hint ?? (typeof own === 'string' && own ? own : undefined);
  },
  fallback: genericType,
};
