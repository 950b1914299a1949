// The reliability core's counts as metrics: every count Stats adds (accepted, delivered, failed, dead-lettered,
// parked per target) goes to the app's Metrics too, so App Insights shows the numbers /api/status and the hourly
// health record show, per stream and per destination.
import type { Metrics, MetricTarget, Outcome } from '../observability/metrics.js';
import type { Counts } from './stats.js';
import { type Target, targetOf } from './targets.js';

const OUTCOMES: readonly Outcome[] = ['accepted', 'delivered', 'failed', 'deadLettered', 'parked'];

export const metricTarget = (t: Target): MetricTarget => (t.kind === 'stream' ? { stream: t.stream } : { destination: t.destination });

/** Counts of a stats key; keys that name no target (unreadable messages) have no metric. */
export function countMetrics(metrics: Metrics): (key: string, counts: Partial<Counts>) => void {
  return (key, counts) => {
    const target = targetOf(key);
    if (!target) return;
    for (const outcome of OUTCOMES) metrics.add(outcome, metricTarget(target), counts[outcome] ?? 0);
  };
}

/** Latency of delivered items from the times they were received (ISO strings; items without one are skipped). */
export function recordLatency(metrics: Metrics, target: Target, since: readonly unknown[], now: number): void {
  for (const at of since) {
    const ms = typeof at === 'string' ? Date.parse(at) : Number.NaN;
    if (!Number.isNaN(ms)) metrics.latency(metricTarget(target), now - ms);
  }
}
