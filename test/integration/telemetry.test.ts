// Application Insights telemetry through OpenTelemetry, with in-memory exporters in place of Azure Monitor's: the real
// function definitions ingest and deliver against Azurite and the Logs Ingestion emulator, each inside an invocation
// whose trace context the host would pass; the log records carry that trace and the invocation id, levels mapped, and
// the metrics count per stream what the reliability core counted.
import { randomBytes, randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { InMemoryLogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, type DataPoint, type Histogram, InMemoryMetricExporter } from '@opentelemetry/sdk-metrics';
import { beforeAll, describe, expect, it } from 'vitest';
import { deliverEvents } from '../../functions/deliverEvents.js';
import { ingestEvents } from '../../functions/ingestEvents.js';
import { bindInvocation, startTelemetry, type Telemetry } from '../../functions/telemetry.js';
import { type App, createApp } from '../../shared/app.js';
import { METRIC_NAMES } from '../../shared/observability/metrics.js';
import { useDeliveryStack } from '../support/deliveryStack.js';
import { jsonRequest } from '../support/http.js';
import { drainQueue } from '../support/worker.js';

const stack = useDeliveryStack({ INGEST_GROUP_COMMIT_MS: '0' });
const STREAM = 'Custom-WebhookEvents_CL';
const QUEUE_LATENCY_MS = 1500;

const logs = new InMemoryLogRecordExporter();
const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
let telemetry: Telemetry;
let app: App;

/** An invocation as the host starts it: a fresh W3C trace context (traceparent) and an invocation id. */
function invocation(functionName: string) {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName,
    traceContext: { traceParent: `00-${traceId}-${spanId}-01`, traceState: 'bridge=test', attributes: {} },
  });
  return { traceId, spanId, context };
}

const events = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ type: 'order', tag, seq: i, time: new Date(stack.clock.now - 3600_000).toISOString() }));

async function ingest(body: unknown[]) {
  const inv = invocation('ingestEvents');
  const res = await bindInvocation(inv.context, () =>
    ingestEvents.handler(app, jsonRequest('/api/events/generic', body, { source: 'generic' }), inv.context),
  )();
  expect(res.status).toBe(202);
  return inv;
}

/** Delivers what is queued, each message in its own deliverEvents invocation. */
async function deliver() {
  const invocations: ReturnType<typeof invocation>[] = [];
  await drainQueue(app.storage.queue('events'), (message) => {
    const inv = invocation('deliverEvents');
    invocations.push(inv);
    return bindInvocation(inv.context, () => deliverEvents.handler(app, message, inv.context))();
  });
  return invocations;
}

const records = () => logs.getFinishedLogRecords();
const recordsOf = (inv: { context: InvocationContext }) =>
  records().filter((r: ReadableLogRecord) => r.attributes.InvocationId === inv.context.invocationId);

/** The last cumulative data point of a metric for these attributes. */
function point(name: string, attributes: Record<string, string>): DataPoint<number | Histogram> | undefined {
  const exported = metrics.getMetrics().at(-1);
  const metric = exported?.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
  return (metric?.dataPoints as DataPoint<number | Histogram>[] | undefined)?.find(
    (p) => JSON.stringify(p.attributes) === JSON.stringify(attributes),
  );
}

beforeAll(async () => {
  telemetry = startTelemetry(stack.config, { logs, metrics }, { exportIntervalMillis: 3_600_000 });
  app = createApp(stack.config, { ...telemetry.overrides, now: () => stack.clock.now });
  await stack.emulator('DELETE', '/_emulator/records');
  await stack.emulator('DELETE', '/_emulator/faults');
});

describe('telemetry through OpenTelemetry', () => {
  it('correlates log records with their invocation and counts delivery per stream', async () => {
    app.log.info({ probe: 'outside' }, 'not in an invocation');

    await ingest(events(3, 'ok'));
    stack.clock.now += QUEUE_LATENCY_MS;
    const delivered = await deliver();
    expect(delivered).toHaveLength(1);
    expect(((await stack.emulator('GET', `/_emulator/records?stream=${STREAM}`)).json as unknown[]).length).toBe(3);

    // A 400 cannot be fixed by retrying: the rows are dead-lettered at once, with a warning.
    await ingest(events(2, 'bad'));
    await stack.emulator('POST', '/_emulator/faults', { status: 400, count: 1 });
    const [failing] = await deliver();
    if (!failing) throw new Error('no delivery invocation ran');
    await telemetry.flush();

    const warning = recordsOf(failing).find((r) => r.body === 'dead-lettered');
    expect(warning).toBeDefined();
    expect(warning?.severityNumber).toBe(SeverityNumber.WARN);
    expect(warning?.severityText).toBe('warn');
    expect(warning?.spanContext?.traceId).toBe(failing.traceId);
    expect(warning?.spanContext?.spanId).toBe(failing.spanId);
    expect(warning?.attributes).toMatchObject({ stream: STREAM, rows: 2, 'ai.operation.name': 'deliverEvents' });
    // Every record of the invocation carries its trace.
    for (const r of recordsOf(failing)) expect(r.spanContext?.traceId).toBe(failing.traceId);

    const loose = records().find((r) => r.attributes.probe === 'outside');
    expect(loose?.severityNumber).toBe(SeverityNumber.INFO);
    expect(loose?.attributes.InvocationId).toBeUndefined();
    expect(loose?.spanContext).toBeUndefined();

    const stream = { stream: STREAM };
    expect(point(METRIC_NAMES.accepted, stream)?.value).toBe(5);
    expect(point(METRIC_NAMES.delivered, stream)?.value).toBe(3);
    expect(point(METRIC_NAMES.failed, stream)?.value).toBe(2);
    expect(point(METRIC_NAMES.deadLettered, stream)?.value).toBe(2);
    expect(point(METRIC_NAMES.parked, stream)).toBeUndefined();
    const latency = point(METRIC_NAMES.latency, stream)?.value as Histogram | undefined;
    expect(latency).toMatchObject({ count: 3, sum: 3 * QUEUE_LATENCY_MS, min: QUEUE_LATENCY_MS, max: QUEUE_LATENCY_MS });
  });
});
