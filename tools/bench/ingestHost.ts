// The local host serving only the real ingest function, over the app it is given.
import { ingestEvents } from '../../functions/ingestEvents.js';
import type { HttpFunction } from '../../functions/types.js';
import type { App } from '../../shared/app.js';
import { LocalHost } from '../dev/host.js';

/** `ingest`: the function to serve in place of the real one (the memory bench's naive design). */
export function ingestOnlyHost(app: App, log: (line: string) => void, ingest: HttpFunction = ingestEvents): LocalHost {
  return new LocalHost({
    port: 0,
    app,
    functions: [ingest],
    queueSettings: { batchSize: 16, newBatchThreshold: 8, maxDequeueCount: 5, visibilityTimeoutSeconds: 10, maxPollingIntervalMs: 2000 },
    queue: () => {
      throw new Error('no queue functions here');
    },
    resolveSetting: (s) => s,
    log,
  });
}
