// pino → OpenTelemetry log records: the app's structured logs reach Application Insights as traces correlated with the
// Functions invocation, not as bare stdout lines. pino writes each line synchronously to this destination, so the
// active OpenTelemetry context is the caller's: the record carries the invocation's trace id and span id (App
// Insights operation_Id / operation_ParentId) and the invocation id the Functions entry point put on the context
// (functions/telemetry.ts). The Azure Monitor exporter maps these fields:
// https://github.com/Azure/azure-sdk-for-js/blob/main/sdk/monitor/monitor-opentelemetry-exporter/src/utils/logUtils.ts
import { type Context, createContextKey, context as otelContext } from '@opentelemetry/api';
import { type AnyValue, type AnyValueMap, type Logger as OtelLogger, SeverityNumber } from '@opentelemetry/api-logs';
import type { DestinationStream } from 'pino';

/** The Functions invocation a piece of work runs in, as the entry point puts it on the OpenTelemetry context. */
export interface InvocationInfo {
  invocationId: string;
  functionName: string;
}

const INVOCATION = createContextKey('sentinel-bridge.invocation');

export const withInvocation = (ctx: Context, info: InvocationInfo): Context => ctx.setValue(INVOCATION, info);

export const invocationOf = (ctx: Context): InvocationInfo | undefined => ctx.getValue(INVOCATION) as InvocationInfo | undefined;

/** pino's numeric levels (https://getpino.io/#/docs/api?id=loggerlevels) → OpenTelemetry severity numbers. */
export function severityOf(level: number): SeverityNumber {
  if (level >= 60) return SeverityNumber.FATAL;
  if (level >= 50) return SeverityNumber.ERROR;
  if (level >= 40) return SeverityNumber.WARN;
  if (level >= 30) return SeverityNumber.INFO;
  if (level >= 20) return SeverityNumber.DEBUG;
  return SeverityNumber.TRACE;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** Fields of a pino line that are not attributes: the record has its own time, level and body; `app` is the resource. */
const RECORD_FIELDS = new Set(['level', 'time', 'msg', 'app']);

/** pino's serialized `err` as the OpenTelemetry exception attributes (App Insights makes it an exception). */
function exceptionAttributes(err: unknown): AnyValueMap {
  if (typeof err !== 'object' || err === null) return {};
  const e = err as { type?: unknown; message?: unknown; stack?: unknown };
  return {
    ...(typeof e.type === 'string' ? { 'exception.type': e.type } : {}),
    ...(typeof e.message === 'string' ? { 'exception.message': e.message } : {}),
    ...(typeof e.stack === 'string' ? { 'exception.stacktrace': e.stack } : {}),
  };
}

/** A pino destination that emits every line as an OpenTelemetry log record. */
export function otelLogDestination(logger: OtelLogger): DestinationStream {
  return {
    write(line: string) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      const level = typeof entry.level === 'number' ? entry.level : 30;
      const ctx = otelContext.active();
      const invocation = invocationOf(ctx);
      const attributes: AnyValueMap = {};
      for (const [key, value] of Object.entries(entry)) if (!RECORD_FIELDS.has(key)) attributes[key] = value as AnyValue;
      Object.assign(attributes, exceptionAttributes(entry.err));
      if (invocation) {
        attributes.InvocationId = invocation.invocationId;
        // The exporter turns this attribute into the operation name, as the host names the invocation's request.
        attributes['ai.operation.name'] = invocation.functionName;
      }
      logger.emit({
        ...(typeof entry.time === 'number' ? { timestamp: entry.time } : {}),
        severityNumber: severityOf(level),
        severityText: LEVEL_NAMES[level] ?? String(level),
        body: typeof entry.msg === 'string' ? entry.msg : '',
        attributes,
        context: ctx,
      });
    },
  };
}
