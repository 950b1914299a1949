// Process-level telemetry for the Functions host: OpenTelemetry log and metric providers exporting to Application
// Insights with the Azure Monitor exporter, started only when APPLICATIONINSIGHTS_CONNECTION_STRING is set. The app
// (shared/app.ts) receives what it needs: a pino logger that writes OpenTelemetry log records, and the Metrics. Each
// invocation runs in the trace context the host passes (`InvocationContext.traceContext`), as Microsoft's
// @azure/functions-opentelemetry-instrumentation does, plus its invocation id, so every log line of the invocation
// carries App Insights' operation id and the InvocationId. Why the exporter and not @azure/monitor-opentelemetry:
// README "Telemetry".

import type { FunctionHandler, InvocationContext } from '@azure/functions';
import { AzureMonitorLogExporter, AzureMonitorMetricExporter } from '@azure/monitor-opentelemetry-exporter';
import { type Context, defaultTextMapGetter, context as otelContext, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { AppOverrides } from '../shared/app.js';
import { type AzureAccess, createAzureAccess } from '../shared/azure/credential.js';
import type { Config } from '../shared/config.js';
import { createLogger } from '../shared/observability/logger.js';
import { createMetrics } from '../shared/observability/metrics.js';
import { otelLogDestination, withInvocation } from '../shared/observability/otelLogs.js';

const SERVICE_NAME = 'sentinel-bridge';

export interface TelemetryExporters {
  logs: LogRecordExporter;
  metrics: PushMetricExporter;
}

export interface Telemetry {
  /** What createApp takes from telemetry: the logger, the metrics and the one credential the exporters use too. */
  overrides: Required<Pick<AppOverrides, 'log' | 'metrics' | 'azure'>>;
  /** Exports everything recorded so far. */
  flush(): Promise<void>;
  /** Flushes and stops the providers (the host's app-terminate hook). */
  shutdown(): Promise<void>;
}

/**
 * The Application Insights exporters. With APPLICATIONINSIGHTS_AUTHENTICATION_STRING (App Insights with local auth
 * disabled) they send with the app's credential, which holds Monitoring Metrics Publisher on the component
 * (infra/modules/rbac.bicep); the token audience comes from the connection string (AADAudience in sovereign clouds).
 */
export function azureMonitorExporters(connectionString: string, config: Config, azure: AzureAccess): TelemetryExporters {
  const options = {
    connectionString,
    ...(config.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ? { credential: azure.credential } : {}),
  };
  return { logs: new AzureMonitorLogExporter(options), metrics: new AzureMonitorMetricExporter(options) };
}

/** Starts the log and metric providers over the exporters; the app built with `overrides` reports through them. */
export function startTelemetry(
  config: Config,
  exporters: TelemetryExporters,
  options: { azure?: AzureAccess; exportIntervalMillis?: number } = {},
): Telemetry {
  // Async context across awaits, so a log line knows its invocation; a no-op when a manager is already registered.
  otelContext.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const resource = resourceFromAttributes({ 'service.name': SERVICE_NAME });
  const logs = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor(exporters.logs)] });
  const meters = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({ exporter: exporters.metrics, exportIntervalMillis: options.exportIntervalMillis ?? 60_000 }),
    ],
  });
  return {
    overrides: {
      log: createLogger(config.LOG_LEVEL, otelLogDestination(logs.getLogger(SERVICE_NAME))),
      metrics: createMetrics(meters.getMeter(SERVICE_NAME)),
      azure: options.azure ?? createAzureAccess(config),
    },
    flush: async () => {
      await Promise.all([logs.forceFlush(), meters.forceFlush()]);
    },
    shutdown: async () => {
      await Promise.all([logs.shutdown(), meters.shutdown()]);
    },
  };
}

const propagator = new W3CTraceContextPropagator();

/** The OpenTelemetry context of an invocation: the host's W3C trace context, with the invocation id and function name. */
export function invocationContext(invocation: InvocationContext): Context {
  const trace = invocation.traceContext;
  const carrier = {
    ...(trace?.traceParent ? { traceparent: trace.traceParent } : {}),
    ...(trace?.traceState ? { tracestate: trace.traceState } : {}),
  };
  const parent = propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
  return withInvocation(parent, { invocationId: invocation.invocationId, functionName: invocation.functionName });
}

/** The handler, run in its invocation's context. */
export const bindInvocation = <T extends (...args: never[]) => unknown>(invocation: InvocationContext, handler: T): T =>
  otelContext.bind(invocationContext(invocation), handler);

/** The part of @azure/functions' `app` telemetry hooks into. */
export interface HostHooks {
  hook: {
    preInvocation(handler: (c: { invocationContext: InvocationContext; functionHandler: FunctionHandler }) => void): unknown;
    appTerminate(handler: () => Promise<void>): unknown;
  };
}

/** Starts telemetry for the Functions host when it is configured; returns the app overrides (none when off). */
export function hostTelemetry(host: HostHooks, config: Config, exportersFor = azureMonitorExporters): AppOverrides {
  const connectionString = config.APPLICATIONINSIGHTS_CONNECTION_STRING;
  if (!connectionString) return {};
  const azure = createAzureAccess(config);
  const telemetry = startTelemetry(config, exportersFor(connectionString, config, azure), { azure });
  host.hook.preInvocation((c) => {
    c.functionHandler = bindInvocation(c.invocationContext, c.functionHandler);
  });
  host.hook.appTerminate(() => telemetry.shutdown());
  return telemetry.overrides;
}
