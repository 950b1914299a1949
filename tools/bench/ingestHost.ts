// The local host serving only the real ingest function, over the app it is given.
import { ingestEvents } from '../../functions/ingestEvents.js';
import type { App } from '../../shared/app.js';
import { LocalHost } from '../dev/host.js';

export function ingestOnlyHost(app: App, log: (line: string) => void): LocalHost {
  return new LocalHost({
    port: 0,
    app,
    functions: [ingestEvents],
    queueSettings: { batchSize: 16, newBatchThreshold: 8, maxDequeueCount: 5, visibilityTimeoutSeconds: 10, maxPollingIntervalMs: 2000 },
    queue: () => {
      throw new Error('no queue functions here');
    },
    resolveSetting: (s) => s,
    log,
  });
}
