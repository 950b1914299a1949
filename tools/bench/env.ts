// The bench's world: one Azurite (temp folder, free ports) with a counting proxy in front of each service, the Logs
// Ingestion emulator on a free port, and app configurations built with loadConfig() the way the local stack builds
// them (DCR rules for every catalog stream from tools/dev/sampleRules.ts).

import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import azureFunctions from '@azure/functions';
import { type Config, loadConfig } from '../../shared/config.js';
import type { BridgeRequest } from '../../shared/http.js';
import { ensureStorageOf } from '../dev/apps.js';
import { connectionStringFor, type RunningAzurite, startAzurite } from '../dev/azurite.js';
import { localRules } from '../dev/sampleRules.js';
import { emulatorCall } from '../emulators/client.js';
import { type RunningEmulators, startEmulators } from '../emulators/main.js';
import { type CountingProxy, type StorageService, startCountingProxy } from './countingProxy.js';

const { HttpRequest } = azureFunctions;

export interface BenchEnv {
  dir: string;
  azurite: RunningAzurite;
  emulators: RunningEmulators;
  logsUrl: string;
  proxies: Record<StorageService, CountingProxy>;
  /** A fresh configuration object (so per-config caches start empty). `counted`: storage traffic through the proxies. */
  config(overrides?: Record<string, string>, counted?: boolean): Config;
  /** The connection string straight to Azurite. */
  connectionString: string;
  /** JSON call to the Logs Ingestion emulator's routes (HTTPS with the emulators' CA). */
  emulator<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }>;
  resetProxies(): void;
  stop(): Promise<void>;
}

export async function startBenchEnv(): Promise<BenchEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  const azurite = await startAzurite({ location: join(dir, 'azurite') });
  const emulators = await startEmulators({ dataDir: dir, ports: { LOGS_INGESTION_EMULATOR_PORT: 0 }, only: ['logsIngestion'] });
  const logsUrl = emulators.emulators.logsIngestion?.url ?? '';
  const proxies = {
    queue: await startCountingProxy('queue', azurite.ports.queue),
    table: await startCountingProxy('table', azurite.ports.table),
    blob: await startCountingProxy('blob', azurite.ports.blob),
  };
  const counted = connectionStringFor({ blob: proxies.blob.port, queue: proxies.queue.port, table: proxies.table.port });
  const base = {
    BRIDGE_CREDENTIAL: 'emulator',
    EMULATOR_CA_FILE: emulators.caFile,
    LOGS_INGESTION_RULES: JSON.stringify(localRules(logsUrl)),
    LOG_LEVEL: 'silent',
  };
  const config = (overrides: Record<string, string> = {}, viaProxies = false) =>
    loadConfig({ ...base, AzureWebJobsStorage: viaProxies ? counted : azurite.connectionString, ...overrides });
  await ensureStorageOf(config());
  const agent = new https.Agent({ keepAlive: true, ca: emulators.ca });
  const emulator = <T>(method: string, path: string, body?: unknown) => emulatorCall<T>(logsUrl, undefined, method, path, body, { agent });
  return {
    dir,
    azurite,
    emulators,
    logsUrl,
    proxies,
    config,
    connectionString: azurite.connectionString,
    emulator,
    resetProxies: () => {
      for (const p of Object.values(proxies)) p.reset();
    },
    async stop() {
      agent.destroy();
      await emulators.stop();
      for (const p of Object.values(proxies)) await p.close();
      await azurite.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An @azure/functions HttpRequest, as the host hands it to the function. */
export function postRequest(
  path: string,
  body: Buffer,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): BridgeRequest {
  const url = new URL(path, 'http://127.0.0.1:7071');
  return new HttpRequest({
    method: 'POST',
    url: url.toString(),
    headers: { 'content-type': 'application/json', 'content-length': String(body.length), ...headers },
    query: Object.fromEntries(url.searchParams),
    params,
    body: { bytes: body },
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
