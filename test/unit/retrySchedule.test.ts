// The delivery retry schedule: three cycles (1,3,5,10,10 s / 0,1,3,5,30 s / 1,1,3,5,10,30 min), Retry-After wins
// when it is longer, nothing after the last step (dead-letter).
import { describe, expect, it } from 'vitest';
import { MAX_RETRIES, parseRetryAfter, RETRY_CYCLES_MS, retryStep } from '../../shared/reliability/retrySchedule.js';

const s = 1000;
const min = 60_000;

/** [retry, cycle, delay] for every step of the schedule, written out from the design. */
const SCHEDULE: [number, number, number][] = [
  [1, 1, 1 * s],
  [2, 1, 3 * s],
  [3, 1, 5 * s],
  [4, 1, 10 * s],
  [5, 1, 10 * s],
  [6, 2, 0],
  [7, 2, 1 * s],
  [8, 2, 3 * s],
  [9, 2, 5 * s],
  [10, 2, 30 * s],
  [11, 3, 1 * min],
  [12, 3, 1 * min],
  [13, 3, 3 * min],
  [14, 3, 5 * min],
  [15, 3, 10 * min],
  [16, 3, 30 * min],
];

describe('retryStep', () => {
  it.each(SCHEDULE)('retry %i is in cycle %i after %i ms', (retry, cycle, delayMs) => {
    expect(retryStep(retry)).toEqual({ retry, cycle, delayMs });
  });

  it('has exactly the three documented cycles', () => {
    expect(RETRY_CYCLES_MS).toEqual([
      [1, 3, 5, 10, 10].map((x) => x * s),
      [0, 1, 3, 5, 30].map((x) => x * s),
      [1, 1, 3, 5, 10, 30].map((x) => x * min),
    ]);
    expect(MAX_RETRIES).toBe(16);
  });

  it('is exhausted after the last step (dead-letter)', () => {
    expect(retryStep(MAX_RETRIES)).toBeDefined();
    expect(retryStep(MAX_RETRIES + 1)).toBeUndefined();
    expect(retryStep(100)).toBeUndefined();
    expect(retryStep(MAX_RETRIES + 1, 5 * s)).toBeUndefined();
  });

  it('takes a Retry-After that is longer than the scheduled delay', () => {
    expect(retryStep(1, 7 * s)).toEqual({ retry: 1, cycle: 1, delayMs: 7 * s });
    expect(retryStep(6, 2 * s)).toEqual({ retry: 6, cycle: 2, delayMs: 2 * s });
    expect(retryStep(16, 2 * 60 * min)).toEqual({ retry: 16, cycle: 3, delayMs: 2 * 60 * min });
  });

  it('keeps the scheduled delay when Retry-After is shorter or absent', () => {
    expect(retryStep(4, 2 * s)).toEqual({ retry: 4, cycle: 1, delayMs: 10 * s });
    expect(retryStep(13, 30 * s)).toEqual({ retry: 13, cycle: 3, delayMs: 3 * min });
    expect(retryStep(2, 0)).toEqual({ retry: 2, cycle: 1, delayMs: 3 * s });
    expect(retryStep(2, undefined)).toEqual({ retry: 2, cycle: 1, delayMs: 3 * s });
  });

  it('adds up to about 50 minutes of waiting before dead-letter', () => {
    const total = SCHEDULE.reduce((n, [retry]) => n + (retryStep(retry)?.delayMs ?? 0), 0);
    expect(total).toBe((29 + 39) * s + 50 * min);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');

  it.each([
    ['5', 5000],
    ['0', 0],
    ['120', 120_000],
    ['1.5', 1500],
    [' 7 ', 7000],
  ])('delta-seconds %j → %i ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter('Wed, 25 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 11:59:00 GMT', now)).toBe(0);
  });

  it.each([null, undefined, '', 'soon'])('%j → undefined', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });

  it('feeds retryStep: a service asking for 45 s wins over a 10 s step', () => {
    expect(retryStep(4, parseRetryAfter('45', now))?.delayMs).toBe(45_000);
  });
});
