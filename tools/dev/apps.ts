// One app per configuration object, as one Functions instance has one (tests and the bench): callers that post several
// requests with the same settings share its group committer and counters, as requests on one instance do.
import { type App, createApp } from '../../shared/app.js';
import type { Config } from '../../shared/config.js';
import { ensureStorage } from './storage.js';

const apps = new WeakMap<Config, App>();

export function appOf(config: Config): App {
  let app = apps.get(config);
  if (!app) {
    app = createApp(config);
    apps.set(config, app);
  }
  return app;
}

/** Creates the app's queues, tables and containers (the Bicep does it in Azure). */
export const ensureStorageOf = (config: Config) => ensureStorage(appOf(config).storage);

/** The ingest deps of the app for this configuration. */
export const ingestOf = (config: Config) => appOf(config).ingest;
