// The local host serving only the real ingest function, with explicit dependencies (no environment).
import type { HttpRequest } from '@azure/functions';
import { ingestEvents } from '../../functions/ingestEvents.js';
import { handleEvents, type IngestDeps } from '../../shared/ingest/handlers.js';
import { LocalHost } from '../dev/host.js';

export function ingestOnlyHost(deps: IngestDeps, log: (line: string) => void): LocalHost {
  return new LocalHost({
    port: 0,
    functions: [{ ...ingestEvents, handler: (request: HttpRequest) => handleEvents(request, deps) }],
    queueSettings: { batchSize: 16, maxDequeueCount: 5, visibilityTimeoutSeconds: 10, maxPollingIntervalMs: 2000 },
    queue: () => {
      throw new Error('no queue functions here');
    },
    resolveSetting: (s) => s,
    log,
  });
}
