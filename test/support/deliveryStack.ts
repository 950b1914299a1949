// Azurite + the Logs Ingestion emulator + a config with a DCR rule for every catalog stream, for delivery tests.
// Table and blob traffic go through counting proxies so tests can assert how many operations a path makes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type App, createApp } from '../../shared/app.js';
import { buildCatalog } from '../../shared/catalog/index.js';
import { streamOf } from '../../shared/catalog/tables.js';
import { type Config, DCR_MAX_STREAMS, loadConfig } from '../../shared/config.js';
import type { DeliveryDeps } from '../../shared/delivery/deliver.js';
import { type CountingProxy, startCountingProxy } from '../../tools/bench/countingProxy.js';
import { type RunningAzurite, startAzurite } from '../../tools/dev/azurite.js';
import { ensureStorage } from '../../tools/dev/storage.js';
import { type RunningEmulators, startEmulators } from '../../tools/emulators/main.js';
import { type EmulatorCall, emulatorCall } from './emulatorClient.js';

export interface DeliveryStack {
  azurite: RunningAzurite;
  emulators: RunningEmulators;
  tableProxy: CountingProxy;
  blobProxy: CountingProxy;
  logsUrl: string;
  config: Config;
  clock: { now: number };
  /** The app on the stack's clock. */
  app: App;
  deps: DeliveryDeps;
  /** A fresh app (new in-memory state: caches, counters) on the same storage, as another instance would have. */
  newApp(settings?: Partial<Config>): App;
  /** The delivery deps of a fresh app. */
  newInstance(settings?: Partial<Config>): DeliveryDeps;
  /** Calls the Logs Ingestion emulator's /_emulator routes. */
  emulator(method: string, path: string, body?: unknown): Promise<EmulatorCall>;
}

/** Rules as the Bicep makes them: at most DCR_MAX_STREAMS streams per DCR. */
export function rulesFor(endpoint: string, streams: string[]): { endpoint: string; ruleId: string; streams: string[] }[] {
  const rules = [];
  for (let i = 0; i < streams.length; i += DCR_MAX_STREAMS) {
    const n = i / DCR_MAX_STREAMS + 1;
    rules.push({ endpoint, ruleId: `dcr-${String(n).padStart(32, '0')}`, streams: streams.slice(i, i + DCR_MAX_STREAMS) });
  }
  return rules;
}

export function useDeliveryStack(env: Record<string, string> = {}): DeliveryStack {
  const stack = {} as DeliveryStack;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'delivery-'));
    stack.azurite = await startAzurite({ location: join(dir, 'azurite') });
    stack.emulators = await startEmulators({
      dataDir: dir,
      ports: { LOGS_INGESTION_EMULATOR_PORT: 0 },
      only: ['logsIngestion'],
      catalogOptions: { wallarmTable: env.WALLARM_TABLE },
    });
    stack.logsUrl = stack.emulators.emulators.logsIngestion?.url ?? '';
    stack.tableProxy = await startCountingProxy('table', stack.azurite.ports.table);
    stack.blobProxy = await startCountingProxy('blob', stack.azurite.ports.blob);
    const cs = stack.azurite.connectionString
      .replace(/TableEndpoint=http:\/\/127\.0\.0\.1:\d+/, `TableEndpoint=http://127.0.0.1:${stack.tableProxy.port}`)
      .replace(/BlobEndpoint=http:\/\/127\.0\.0\.1:\d+/, `BlobEndpoint=http://127.0.0.1:${stack.blobProxy.port}`);
    const streams = buildCatalog({ wallarmTable: env.WALLARM_TABLE }).tables.map((t) => streamOf(t.table));
    stack.config = loadConfig({
      AzureWebJobsStorage: cs,
      BRIDGE_CREDENTIAL: 'emulator',
      EMULATOR_CA_FILE: stack.emulators.caFile,
      LOGS_INGESTION_RULES: JSON.stringify(rulesFor(stack.logsUrl, streams)),
      ...env,
    });
    // Relative to the real clock: the Logs Ingestion emulator, like the service, moves a TimeGenerated more than two
    // days before (or a day after) its own receipt time. Six hours back leaves room for the tests to move it forward.
    stack.clock = { now: Date.now() - 6 * 3600_000 };
    stack.newApp = (settings = {}) => createApp({ ...stack.config, ...settings }, { now: () => stack.clock.now });
    stack.app = stack.newApp();
    await ensureStorage(stack.app.storage);
    stack.newInstance = (settings) => stack.newApp(settings).delivery;
    stack.deps = stack.app.delivery;
    stack.emulator = (method, path, body) => emulatorCall(stack.logsUrl, stack.emulators.ca, method, path, body);
  });
  afterAll(async () => {
    await stack.emulators?.stop();
    await stack.tableProxy?.close();
    await stack.blobProxy?.close();
    await stack.azurite?.stop();
  });
  return stack;
}
