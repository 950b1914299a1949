// Boots `npm start`'s entry point as a child process on free ports with a temp data folder — the local stack as a
// user runs it — and stops it with SIGINT like Ctrl-C.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionStringFor, freePort } from '../../tools/dev/azurite.js';
import { spawnLocalStack } from '../../tools/dev/spawnStack.js';

export interface LocalStackProcess {
  hostUrl: string;
  logsUrl: string;
  sentinelUrl: string;
  sinkUrl: string;
  graphUrl: string;
  /** The PagerDuty REST emulator. */
  pagerdutyUrl: string;
  caFile: string;
  dataDir: string;
  output(): string;
  /** Polls `read` until `done` holds; after `timeoutMs` throws with the last value and the stack's output. */
  waitFor<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs?: number): Promise<T>;
  /** SIGINT; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Ports are picked free just before the child binds them; another test file may take one meanwhile (the stack's
 * own check says "is in use", a later bind EADDRINUSE): then it starts again on fresh ones, up to three times.
 * `dataDir`: a stopped stack's folder, to start again on its storage and emulator state (e.g. with other settings). */
export async function startLocalStackProcess(env: Record<string, string> = {}, dataDir?: string): Promise<LocalStackProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnFreePorts(env, dataDir);
    } catch (e) {
      if (attempt === 3 || !/is in use|EADDRINUSE/.test((e as Error).message)) throw e;
    }
  }
}

async function startOnFreePorts(env: Record<string, string>, reuse?: string): Promise<LocalStackProcess> {
  const dataDir = reuse ?? mkdtempSync(join(tmpdir(), 'stack-'));
  const ports = {
    HOST_PORT: await freePort(),
    AZURITE_BLOB_PORT: await freePort(),
    AZURITE_QUEUE_PORT: await freePort(),
    AZURITE_TABLE_PORT: await freePort(),
    LOGS_INGESTION_EMULATOR_PORT: await freePort(),
    SENTINEL_EMULATOR_PORT: await freePort(),
    SINK_PORT: await freePort(),
    GRAPH_EMULATOR_PORT: await freePort(),
    LOG_ANALYTICS_EMULATOR_PORT: await freePort(),
    PAGERDUTY_EMULATOR_PORT: await freePort(),
  };
  const logsUrl = `https://127.0.0.1:${ports.LOGS_INGESTION_EMULATOR_PORT}`;
  const sentinelUrl = `https://127.0.0.1:${ports.SENTINEL_EMULATOR_PORT}`;
  const sinkUrl = `http://127.0.0.1:${ports.SINK_PORT}`;
  const graphUrl = `https://127.0.0.1:${ports.GRAPH_EMULATOR_PORT}`;
  const caFile = join(dataDir, 'emulator-ca.pem');
  const sample = (JSON.parse(readFileSync('local.settings.sample.json', 'utf8')) as { Values: Record<string, string> }).Values;
  const rules = (JSON.parse(sample.LOGS_INGESTION_RULES ?? '[]') as { endpoint: string }[]).map((r) => ({ ...r, endpoint: logsUrl }));
  const pagerdutyUrl = `https://127.0.0.1:${ports.PAGERDUTY_EMULATOR_PORT}`;
  // The sample's destinations (or `env`'s) name the default sink and PagerDuty REST emulator ports: this stack's instead.
  const destinations = (env.DESTINATIONS ?? sample.DESTINATIONS ?? '[]')
    .replaceAll('127.0.0.1:7445', `127.0.0.1:${ports.SINK_PORT}`)
    .replaceAll('127.0.0.1:7448', `127.0.0.1:${ports.PAGERDUTY_EMULATOR_PORT}`);
  const childEnv: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    LOCAL_DATA_DIR: dataDir,
    AzureWebJobsStorage: connectionStringFor({
      blob: ports.AZURITE_BLOB_PORT,
      queue: ports.AZURITE_QUEUE_PORT,
      table: ports.AZURITE_TABLE_PORT,
    }),
    EMULATOR_CA_FILE: caFile,
    LOGS_INGESTION_RULES: JSON.stringify(rules),
    ARM_ENDPOINT: sentinelUrl,
    GRAPH_ENDPOINT: graphUrl,
    LOG_LEVEL: 'warn',
    ...env,
    DESTINATIONS: destinations,
  };
  const stack = await spawnLocalStack(childEnv, 30_000);
  return {
    hostUrl: `http://127.0.0.1:${ports.HOST_PORT}`,
    logsUrl,
    sentinelUrl,
    sinkUrl,
    graphUrl,
    pagerdutyUrl,
    caFile,
    dataDir,
    output: stack.output,
    async waitFor(what, read, done, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = await read();
        if (done(v)) return v;
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${what}; last value ${JSON.stringify(v).slice(0, 800)}\n${stack.output()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    stop: stack.stop,
  };
}
