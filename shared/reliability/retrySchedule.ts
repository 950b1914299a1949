// The retry schedule Wallarm documents for its Sentinel integration: three cycles of delays, then dead-letter.
// Attempts are counted from 1 (the first retry after the first failure).
export const RETRY_CYCLES_MS: readonly (readonly number[])[] = [
  [1, 3, 5, 10, 10].map((s) => s * 1000),
  [0, 1, 3, 5, 30].map((s) => s * 1000),
  [1, 1, 3, 5, 10, 30].map((m) => m * 60_000),
];

export const MAX_RETRIES = RETRY_CYCLES_MS.reduce((n, c) => n + c.length, 0);

export interface RetryStep {
  /** 1-based retry number overall. */
  retry: number;
  /** 1-based cycle. */
  cycle: number;
  delayMs: number;
}

/**
 * The step for the n-th retry (1-based), or undefined when the schedule is exhausted (dead-letter).
 * A longer Retry-After from the service wins over the schedule.
 */
export function retryStep(retry: number, retryAfterMs?: number): RetryStep | undefined {
  let n = retry;
  for (const [i, cycle] of RETRY_CYCLES_MS.entries()) {
    if (n <= cycle.length) {
      const scheduled = cycle[n - 1] ?? 0;
      return { retry, cycle: i + 1, delayMs: Math.max(scheduled, retryAfterMs ?? 0) };
    }
    n -= cycle.length;
  }
  return undefined;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
