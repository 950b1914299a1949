// Custom metrics operators chart (the workbook's Telemetry tab): what happened to events per stream and to incidents
// per destination, and how long delivery took. Built once by the composition root over an OpenTelemetry Meter the
// Functions entry point makes (functions/telemetry.ts); `noMetrics` when telemetry is off. Names and attributes are
// the contract of the workbook's AppMetrics queries (infra/sentinel/workbook.json).
import type { Attributes, Meter } from '@opentelemetry/api';

/** What the reliability core counts per target (shared/reliability/stats.ts), as metric names. */
export const METRIC_NAMES = {
  accepted: 'sentinel_bridge.accepted',
  delivered: 'sentinel_bridge.delivered',
  failed: 'sentinel_bridge.failed',
  deadLettered: 'sentinel_bridge.dead_lettered',
  parked: 'sentinel_bridge.parked',
  latency: 'sentinel_bridge.latency',
} as const;

export type Outcome = Exclude<keyof typeof METRIC_NAMES, 'latency'>;

/** Events are counted per Logs Ingestion stream, incidents per destination. */
export type MetricTarget = { stream: string } | { destination: string };

export interface Metrics {
  /** Adds to an outcome counter of a target. */
  add(outcome: Outcome, target: MetricTarget, value: number): void;
  /** Milliseconds from receipt (events) or enqueueing (incidents) to delivery, one value per delivered item. */
  latency(target: MetricTarget, ms: number): void;
}

const DESCRIPTIONS: Record<Outcome, string> = {
  accepted: 'Events taken into delivery (first attempt), per stream.',
  delivered: 'Events stored by the Logs Ingestion API per stream; incidents forwarded per destination.',
  failed: 'Items a call failed for (each attempt counts), per stream or destination.',
  deadLettered: 'Items given up on and kept as dead letters (replayable).',
  parked: 'Items parked while their target is disabled (replayed on re-enable).',
};

export function createMetrics(meter: Meter): Metrics {
  const counters = new Map(
    (Object.keys(DESCRIPTIONS) as Outcome[]).map((o) => [o, meter.createCounter(METRIC_NAMES[o], { description: DESCRIPTIONS[o] })]),
  );
  const latency = meter.createHistogram(METRIC_NAMES.latency, {
    description: 'Received (events) or enqueued (incidents) to delivered.',
    unit: 'ms',
  });
  return {
    add: (outcome, target, value) => {
      if (value > 0) counters.get(outcome)?.add(value, target as Attributes);
    },
    latency: (target, ms) => latency.record(Math.max(0, ms), target as Attributes),
  };
}

/** Telemetry off: nothing is recorded. */
export const noMetrics: Metrics = { add: () => {}, latency: () => {} };
