// Every queue, table and blob container the app uses, named once. The app builds its clients from these names and
// `npm run infra:generate` writes them to infra/generated/storage.json, from which the Bicep creates them.

/** Queues. `<queue>-poison` is where the Functions host moves a message after maxDequeueCount failures. */
export const QUEUES = {
  events: 'events',
  eventsPoison: 'events-poison',
  incidents: 'incidents',
  incidentsPoison: 'incidents-poison',
} as const;

/** Table Storage tables (names: letters and digits only, 3–63 characters, starting with a letter). */
export const TABLES = {
  ledger: 'ledger',
  circuit: 'circuit',
  deadletters: 'deadletters',
  parked: 'parked',
  claims: 'claims',
  stats: 'stats',
  /** Schema drift per table and field path (shared/reliability/usage.ts). */
  drift: 'drift',
  /** Signed ingest requests seen inside their replay window (shared/ingest/replays.ts). */
  replays: 'replays',
} as const;

/** Blob containers. */
export const CONTAINERS = {
  /** Events too large for one queue message (claim check). */
  claimChecks: 'claim-checks',
  /** Complete original records whose fields were cut to the 64 KB field limit (named on the row: OriginalRecord). */
  originals: 'originals',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];
export type TableName = (typeof TABLES)[keyof typeof TABLES];
export type ContainerName = (typeof CONTAINERS)[keyof typeof CONTAINERS];

/** The queue the Functions host moves a message to after its last failed attempt. */
export const poisonQueueOf = (queue: string) => `${queue}-poison`;
