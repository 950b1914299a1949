// Starts the local emulators: `tsx tools/emulators/main.ts` (ports and LOCAL_DATA_DIR from the environment, see
// tools/dev/settings.ts), and `startEmulators()` for the local host (tools/dev/stack.ts) and the tests.
// Layout under the data folder (default .local): emulator-ca.pem (+ key/cert) and emulators/<state files>.
// To add an emulator, add one entry to EMULATORS.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CatalogOptions } from '../../shared/catalog/index.js';
import { devSettings } from '../dev/settings.js';
import { startGraphEmulator } from './graph.js';
import { startLogAnalyticsQueryEmulator } from './logAnalyticsQuery.js';
import { type DataCollectionRule, startLogsIngestionEmulator } from './logsIngestion.js';
import { LOCAL_PAGERDUTY_REST_KEY, startPagerDutyEmulator } from './pagerduty.js';
import { type EmulatorWorkspace, startSentinelEmulator } from './sentinel.js';
import type { RunningEmulator } from './server.js';
import { startSink } from './sink.js';
import { type EmulatorTls, emulatorTls } from './tls.js';

export interface EmulatorContext {
  /** Folder for the emulators' persisted state (<data folder>/emulators). */
  stateDir: string;
  tls: EmulatorTls;
  catalogOptions?: CatalogOptions;
  rules?: DataCollectionRule[];
  /** Sentinel: the workspaces that exist (the app's SENTINEL_WORKSPACES). */
  workspaces?: EmulatorWorkspace[];
}

interface EmulatorSpec {
  /** Key in `urls` (printed by the CLI and the local stack). */
  label: string;
  /** The port's environment variable / dev setting, also its key in `ports`. */
  portEnv: string;
  defaultPort: number;
  start(ctx: EmulatorContext, port: number): Promise<RunningEmulator>;
}

// biome-ignore format: one emulator per line
export const EMULATORS = {
  logsIngestion: { label: 'logs ingestion', portEnv: 'LOGS_INGESTION_EMULATOR_PORT', defaultPort: 7443, start: (ctx, port) => startLogsIngestionEmulator({ port, dataDir: ctx.stateDir, tls: ctx.tls, ...(ctx.catalogOptions ? { catalogOptions: ctx.catalogOptions } : {}), ...(ctx.rules ? { rules: ctx.rules } : {}) }) },
  sentinel: { label: 'sentinel', portEnv: 'SENTINEL_EMULATOR_PORT', defaultPort: 7444, start: (ctx, port) => startSentinelEmulator({ port, dataDir: ctx.stateDir, tls: ctx.tls, ...(ctx.workspaces ? { workspaces: ctx.workspaces } : {}) }) },
  sink: { label: 'destination sink', portEnv: 'SINK_PORT', defaultPort: 7445, start: (ctx, port) => startSink({ port, tls: ctx.tls }) },
  graph: { label: 'graph security', portEnv: 'GRAPH_EMULATOR_PORT', defaultPort: 7446, start: (ctx, port) => startGraphEmulator({ port, dataDir: ctx.stateDir, tls: ctx.tls }) },
  logAnalyticsQuery: { label: 'log analytics query', portEnv: 'LOG_ANALYTICS_EMULATOR_PORT', defaultPort: 7447, start: (ctx, port) => startLogAnalyticsQueryEmulator({ port, dataDir: ctx.stateDir, tls: ctx.tls }) },
  pagerduty: { label: 'pagerduty rest', portEnv: 'PAGERDUTY_EMULATOR_PORT', defaultPort: 7448, start: (ctx, port) => startPagerDutyEmulator({ port, tls: ctx.tls, apiKeys: [LOCAL_PAGERDUTY_REST_KEY] }) },
} as const satisfies Record<string, EmulatorSpec>;

export type EmulatorName = keyof typeof EMULATORS;
export type EmulatorPortSetting = (typeof EMULATORS)[EmulatorName]['portEnv'];

export interface StartEmulatorsOptions {
  /** The local data folder (default layout: .local): the CA goes here, emulator state under <dataDir>/emulators. */
  dataDir: string;
  /** Port per emulator keyed by its setting name (LOGS_INGESTION_EMULATOR_PORT, SINK_PORT, …; the dev settings object
   * fits as is); 0 picks a free port; a missing entry uses the default (7443, 7445, …). */
  ports?: Partial<Record<EmulatorPortSetting, number>>;
  /** Only these emulators (default: all). */
  only?: EmulatorName[];
  catalogOptions?: CatalogOptions;
  /** Logs Ingestion: the DCRs that exist (default: any rule id, every catalog stream). */
  rules?: DataCollectionRule[];
  /** Sentinel: the workspaces that exist; the first owns incidents seeded without an ARM id. */
  workspaces?: EmulatorWorkspace[];
}

export interface RunningEmulators {
  /** The started emulators by name. */
  emulators: Partial<Record<EmulatorName, RunningEmulator>>;
  /** Base URL per emulator, keyed by its label ("logs ingestion", "destination sink", …). */
  urls: Record<string, string>;
  /** The CA (PEM) the HTTPS emulators' certificate chains to, and its file — what EMULATOR_CA_FILE must name. */
  ca: string;
  caFile: string;
  /** Closes every started emulator. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export async function startEmulators(options: StartEmulatorsOptions): Promise<RunningEmulators> {
  const dataDir = resolve(options.dataDir);
  const tls = await emulatorTls(dataDir);
  const ctx: EmulatorContext = {
    stateDir: join(dataDir, 'emulators'),
    tls,
    ...(options.catalogOptions ? { catalogOptions: options.catalogOptions } : {}),
    ...(options.rules ? { rules: options.rules } : {}),
    ...(options.workspaces ? { workspaces: options.workspaces } : {}),
  };
  const names = options.only ?? (Object.keys(EMULATORS) as EmulatorName[]);
  const emulators: Partial<Record<EmulatorName, RunningEmulator>> = {};
  const urls: Record<string, string> = {};
  const stop = async () => {
    await Promise.all(Object.values(emulators).map((e) => e.close()));
  };
  try {
    for (const name of names) {
      const spec: EmulatorSpec = EMULATORS[name];
      const running = await spec.start(ctx, options.ports?.[spec.portEnv as EmulatorPortSetting] ?? spec.defaultPort);
      emulators[name] = running;
      urls[spec.label] = running.url;
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { emulators, urls, ca: tls.ca, caFile: tls.caFile, stop, close: stop };
}

async function main(): Promise<void> {
  const settings = devSettings();
  const running = await startEmulators({ dataDir: settings.LOCAL_DATA_DIR, ports: settings });
  for (const [label, url] of Object.entries(running.urls)) console.log(`${label.padEnd(18)} ${url}`);
  console.log(`${'CA certificate'.padEnd(18)} ${running.caFile}  (EMULATOR_CA_FILE)`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing the emulators`);
    running.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
