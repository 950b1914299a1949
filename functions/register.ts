// Registers every definition with a Functions host (`app` of @azure/functions in Azure), over the one app of the
// process. Bad settings fail fast and loud without going dark: the HTTP functions still register and answer 503
// naming the setting (GET /api/health too); queue and timer functions stay off, so no message is consumed meanwhile.
import type { HttpHandler, StorageQueueHandler, TimerHandler } from '@azure/functions';
import { type App, type AppOverrides, createApp } from '../shared/app.js';
import { type Config, ConfigError, loadConfig } from '../shared/config.js';
import { settingsUnavailable } from '../shared/operations/health.js';
import type { FunctionDefinition, HttpFunction } from './types.js';

/** The part of @azure/functions' `app` we register with. */
export interface FunctionsHost {
  http(
    name: string,
    options: { route: string; methods: HttpFunction['methods']; authLevel: HttpFunction['authLevel']; handler: HttpHandler },
  ): void;
  storageQueue(name: string, options: { queueName: string; connection: string; handler: StorageQueueHandler }): void;
  timer(name: string, options: { schedule: string; handler: TimerHandler }): void;
}

/**
 * Builds the app from the environment and registers the functions; returns the app, or the settings problem.
 * `instrument` starts process-level telemetry for a valid configuration and returns what the app takes from it.
 */
export function registerFunctions(
  host: FunctionsHost,
  functions: readonly FunctionDefinition[],
  env?: Record<string, string | undefined>,
  instrument: (config: Config) => AppOverrides = () => ({}),
): { app: App } | { problem: string } {
  let bridge: App;
  try {
    const config = loadConfig(env);
    bridge = createApp(config, instrument(config));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const problem = e.message;
    console.error(problem);
    for (const f of functions) {
      if (f.kind !== 'http') continue;
      const answer = settingsUnavailable(problem, f.name === 'health' ? 'health' : 'other');
      host.http(f.name, { route: f.route, methods: f.methods, authLevel: f.authLevel, handler: async () => answer });
    }
    return { problem };
  }
  for (const f of functions) {
    switch (f.kind) {
      case 'http':
        host.http(f.name, { route: f.route, methods: f.methods, authLevel: f.authLevel, handler: (r, c) => f.handler(bridge, r, c) });
        break;
      case 'queue':
        host.storageQueue(f.name, {
          queueName: f.queueName,
          connection: 'AzureWebJobsStorage',
          handler: (m, c) => f.handler(bridge, m, c),
        });
        break;
      case 'timer':
        host.timer(f.name, { schedule: f.schedule, handler: (t, c) => f.handler(bridge, t, c) });
        break;
    }
  }
  return { app: bridge };
}
