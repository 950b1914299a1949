// Names of the queues, tables and blob containers the app uses; the Bicep creates exactly these.
export const QUEUES = { events: 'events', eventsPoison: 'events-poison', incidents: 'incidents', incidentsPoison: 'incidents-poison' } as const;
export const TABLES = { ledger: 'ledger', circuit: 'circuit', deadletters: 'deadletters', parked: 'parked', claims: 'claims', stats: 'stats' } as const;
export const CONTAINERS = { claimChecks: 'claim-checks' } as const;
