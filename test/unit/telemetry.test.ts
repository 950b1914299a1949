// The telemetry pieces on their own, over in-memory OpenTelemetry exporters: pino levels → severity numbers, redaction
// and errors in log records, the invocation context from the host's traceparent, stats keys → metric attributes, and
// the entry point starting telemetry only when Application Insights is configured.
import { InvocationContext } from '@azure/functions';
import { context as otelContext } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  type LogRecordExporter,
  type ReadableLogRecord,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FunctionsHost, registerFunctions } from '../../functions/register.js';
import { type HostHooks, hostTelemetry, invocationContext } from '../../functions/telemetry.js';
import { loadConfig } from '../../shared/config.js';
import { createLogger } from '../../shared/observability/logger.js';
import { createMetrics, METRIC_NAMES, noMetrics } from '../../shared/observability/metrics.js';
import { invocationOf, otelLogDestination } from '../../shared/observability/otelLogs.js';
import { countMetrics } from '../../shared/reliability/metrics.js';

// The entry point registers one for the process (functions/telemetry.ts); these tests need it before that runs.
beforeAll(() => {
  otelContext.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});

const ENV = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', BRIDGE_CREDENTIAL: 'emulator' };
const CONNECTION_STRING = 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:1/';

function otelLogger(level = 'trace') {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor(exporter)] });
  return { log: createLogger(level, otelLogDestination(provider.getLogger('test'))), records: () => exporter.getFinishedLogRecords() };
}

function meter() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const points = async (name: string) => {
    await provider.forceFlush();
    const metric = exporter
      .getMetrics()
      .at(-1)
      ?.scopeMetrics.flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === name);
    return (metric?.dataPoints ?? []).map((p) => ({ attributes: p.attributes, value: p.value }));
  };
  return { metrics: createMetrics(provider.getMeter('test')), points };
}

describe('pino → OpenTelemetry log records', () => {
  it('maps every pino level to its severity number and name', () => {
    const { log, records } = otelLogger();
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    log.fatal('f');
    expect(records().map((r) => [r.body, r.severityNumber, r.severityText])).toEqual([
      ['t', SeverityNumber.TRACE, 'trace'],
      ['d', SeverityNumber.DEBUG, 'debug'],
      ['i', SeverityNumber.INFO, 'info'],
      ['w', SeverityNumber.WARN, 'warn'],
      ['e', SeverityNumber.ERROR, 'error'],
      ['f', SeverityNumber.FATAL, 'fatal'],
    ]);
  });

  it('honours the log level, keeps redaction, and turns an Error into exception attributes', () => {
    const { log, records } = otelLogger('info');
    log.debug('hidden');
    log.info({ destination: { name: 'pager', secret: 's3cret-value', url: 'https://hooks.example/abc' } }, 'configured');
    log.error({ err: new TypeError('boom'), stream: 'Custom-X_CL' }, 'failed');
    log.warn({ err: 'plain text reason' }, 'string error');
    const [configured, failed, plain] = records();
    expect(records()).toHaveLength(3);
    expect(JSON.stringify(configured?.attributes)).not.toMatch(/s3cret-value|hooks\.example/);
    expect(configured?.attributes.destination).toMatchObject({ name: 'pager', secret: '[redacted]' });
    expect(failed?.attributes).toMatchObject({ stream: 'Custom-X_CL', 'exception.type': 'TypeError', 'exception.message': 'boom' });
    expect(String(failed?.attributes['exception.stacktrace'])).toContain('TypeError: boom');
    expect(plain?.attributes).toMatchObject({ err: 'plain text reason' });
    expect(plain?.attributes['exception.type']).toBeUndefined();
    expect(configured?.attributes.app).toBeUndefined();
  });
});

describe('the invocation context', () => {
  it("carries the host's trace context and the invocation id", () => {
    const ctx = invocationContext(
      new InvocationContext({
        invocationId: 'inv-1',
        functionName: 'deliverEvents',
        traceContext: { traceParent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', traceState: 'a=b', attributes: {} },
      }),
    );
    expect(invocationOf(ctx)).toEqual({ invocationId: 'inv-1', functionName: 'deliverEvents' });
    const { log, records } = otelLogger();
    otelContext.with(ctx, () => log.info('inside'));
    expect(records()[0]?.spanContext).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' });
    expect(records()[0]?.attributes).toMatchObject({ InvocationId: 'inv-1', 'ai.operation.name': 'deliverEvents' });
  });

  it('still names the invocation when the host sends no (or a malformed) traceparent', () => {
    for (const traceContext of [undefined, { traceParent: 'not-a-traceparent', attributes: {} }]) {
      const ctx = invocationContext(
        new InvocationContext({ invocationId: 'inv-2', functionName: 'health', ...(traceContext ? { traceContext } : {}) }),
      );
      const { log, records } = otelLogger();
      otelContext.with(ctx, () => log.info('inside'));
      expect(records()[0]?.spanContext).toBeUndefined();
      expect(records()[0]?.attributes.InvocationId).toBe('inv-2');
    }
  });
});

describe('metrics from the reliability counts', () => {
  it('names streams and destinations as attributes and leaves call counts and unreadable keys out', async () => {
    const { metrics, points } = meter();
    const count = countMetrics(metrics);
    count('Custom-WebhookEvents_CL', { accepted: 4, delivered: 3, okCalls: 1 });
    count('destination:pager', { delivered: 1, okCalls: 1 });
    count('destination:pager', { failed: 1, failedCalls: 1 });
    count('destination:pager', { parked: 1 });
    count('_unreadable', { deadLettered: 1 });
    expect(await points(METRIC_NAMES.delivered)).toEqual([
      { attributes: { stream: 'Custom-WebhookEvents_CL' }, value: 3 },
      { attributes: { destination: 'pager' }, value: 1 },
    ]);
    expect(await points(METRIC_NAMES.accepted)).toEqual([{ attributes: { stream: 'Custom-WebhookEvents_CL' }, value: 4 }]);
    expect(await points(METRIC_NAMES.failed)).toEqual([{ attributes: { destination: 'pager' }, value: 1 }]);
    expect(await points(METRIC_NAMES.parked)).toEqual([{ attributes: { destination: 'pager' }, value: 1 }]);
    expect(await points(METRIC_NAMES.deadLettered)).toEqual([]);
  });
});

describe('the Functions entry point', () => {
  type Hooks = { preInvocation?: Parameters<HostHooks['hook']['preInvocation']>[0]; appTerminate?: () => Promise<void> };
  const host = () => {
    const hooks: Hooks = {};
    const fake: FunctionsHost & HostHooks = {
      http: () => {},
      storageQueue: () => {},
      timer: () => {},
      hook: {
        preInvocation: (h) => {
          hooks.preInvocation = h;
        },
        appTerminate: (h) => {
          hooks.appTerminate = h;
        },
      },
    };
    return { fake, hooks };
  };

  it('starts no telemetry without APPLICATIONINSIGHTS_CONNECTION_STRING', () => {
    const { fake, hooks } = host();
    expect(hostTelemetry(fake, loadConfig(ENV))).toEqual({});
    expect(hooks).toEqual({});
  });

  it('with a connection string, runs each invocation in its context and flushes on app terminate', async () => {
    const { fake, hooks } = host();
    // Kept across the provider's shutdown (the in-memory exporter forgets its records when shut down).
    const exported: ReadableLogRecord[] = [];
    const logs: LogRecordExporter = {
      export: (records, done) => {
        exported.push(...records);
        done({ code: ExportResultCode.SUCCESS });
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const exporters = () => ({ logs, metrics: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE) });
    const result = registerFunctions(fake, [], { ...ENV, APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION_STRING }, (config) =>
      hostTelemetry(fake, config, exporters),
    );
    if (!('app' in result)) throw new Error(result.problem);
    const { app } = result;
    expect(app.reliability.metrics).not.toBe(noMetrics);

    const hook = {
      invocationContext: new InvocationContext({ invocationId: 'inv-3', functionName: 'status' }),
      functionHandler: async () => {
        await new Promise((r) => setTimeout(r, 5));
        app.log.info('after an await');
      },
    };
    hooks.preInvocation?.(hook);
    await hook.functionHandler();
    await hooks.appTerminate?.();
    expect(exported.map((r) => [r.body, r.attributes.InvocationId])).toEqual([['after an await', 'inv-3']]);
  });

  it('names a malformed telemetry setting', () => {
    expect(() => loadConfig({ ...ENV, APPLICATIONINSIGHTS_CONNECTION_STRING: 'https://dc.services.visualstudio.com' })).toThrow(
      /APPLICATIONINSIGHTS_CONNECTION_STRING: an Application Insights connection string/,
    );
    expect(() =>
      loadConfig({
        ...ENV,
        APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION_STRING,
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=x',
      }),
    ).toThrow(/APPLICATIONINSIGHTS_AUTHENTICATION_STRING: Authorization=AAD/);
  });
});
