// The whole local stack, started in order and stopped in reverse.
import { join } from 'node:path';
import { functions } from '../../functions/all.js';
import { config, resolveAppSetting } from '../../shared/config.js';
import type { QueueName } from '../../shared/storage/clients.js';
import { storage } from '../../shared/storage/clients.js';
import { startAzurite } from './azurite.js';
import { LocalHost, queueSettingsFromHostJson } from './host.js';
import type { DevSettings } from './settings.js';

export interface LocalStack {
  urls: Record<string, string>;
  stop(): Promise<void>;
}

export async function startLocalStack(dev: DevSettings): Promise<LocalStack> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const azurite = await startAzurite({
      location: join(dev.LOCAL_DATA_DIR, 'azurite'),
      ports: { blob: dev.AZURITE_BLOB_PORT, queue: dev.AZURITE_QUEUE_PORT, table: dev.AZURITE_TABLE_PORT },
    });
    stops.push(azurite.stop);
    const cfg = config();
    const { startEmulators } = await import('../emulators/main.js');
    const emulators = await startEmulators({
      dataDir: dev.LOCAL_DATA_DIR,
      ports: dev,
      catalogOptions: { wallarmTable: cfg.WALLARM_TABLE },
      workspaces: cfg.SENTINEL_WORKSPACES,
    });
    stops.push(emulators.stop);

    const s = storage(cfg);
    await s.ensure();
    const host = new LocalHost({
      port: dev.HOST_PORT,
      functions,
      queueSettings: queueSettingsFromHostJson('host.json'),
      queue: (name) => s.queue(name as QueueName),
      resolveSetting: resolveAppSetting,
    });
    await host.start();
    stops.push(() => host.stop());
    return {
      urls: {
        host: `${host.url}/api`,
        'ingest events': `${host.url}/api/events/{source}`,
        health: `${host.url}/api/health`,
        azurite: `blob ${azurite.ports.blob}, queue ${azurite.ports.queue}, table ${azurite.ports.table}`,
        ...emulators.urls,
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
