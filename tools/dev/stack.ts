// The whole local stack, started in order and stopped in reverse.
import net from 'node:net';
import { join } from 'node:path';
import { functions } from '../../functions/all.js';
import { createApp } from '../../shared/app.js';
import { loadConfig } from '../../shared/config.js';
import type { QueueName } from '../../shared/storage/names.js';
import { startAzurite } from './azurite.js';
import { LocalHost, queueSettingsFromHostJson } from './host.js';
import { type DevSettings, resolveAppSetting } from './settings.js';
import { ensureStorage } from './storage.js';

export interface LocalStack {
  urls: Record<string, string>;
  stop(): Promise<void>;
}

/** Refuses to start when a port is taken, naming the setting that moves it (clearer than Azurite's exit code). */
async function checkPortsFree(dev: DevSettings): Promise<void> {
  const names = [
    'HOST_PORT',
    'AZURITE_BLOB_PORT',
    'AZURITE_QUEUE_PORT',
    'AZURITE_TABLE_PORT',
    'LOGS_INGESTION_EMULATOR_PORT',
    'SENTINEL_EMULATOR_PORT',
    'SINK_PORT',
    'GRAPH_EMULATOR_PORT',
    'LOG_ANALYTICS_EMULATOR_PORT',
    'PAGERDUTY_EMULATOR_PORT',
  ] as const;
  for (const name of names) {
    const port = dev[name];
    if (port === 0) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (!free)
      throw new StackError(`port ${port} is in use (${name}): is another \`npm start\` running? Stop it, or set ${name} to a free port.`);
  }
}

/** A problem the user fixes by changing a setting: printed without a stack trace. */
export class StackError extends Error {
  override name = 'StackError';
}

export async function startLocalStack(dev: DevSettings): Promise<LocalStack> {
  await checkPortsFree(dev);
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
    const cfg = loadConfig();
    const { startEmulators } = await import('../emulators/main.js');
    const emulators = await startEmulators({
      dataDir: dev.LOCAL_DATA_DIR,
      ports: dev,
      catalogOptions: { wallarmTable: cfg.WALLARM_TABLE },
      workspaces: cfg.SENTINEL_WORKSPACES,
    });
    stops.push(emulators.stop);

    const app = createApp(cfg);
    await ensureStorage(app.storage);
    const host = new LocalHost({
      port: dev.HOST_PORT,
      app,
      functions,
      queueSettings: queueSettingsFromHostJson('host.json'),
      queue: (name) => app.storage.queue(name as QueueName),
      resolveSetting: (expression) => resolveAppSetting(expression, cfg),
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
