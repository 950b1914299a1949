// The local host polls an idle queue as the Functions host does (RandomizedExponentialBackoffStrategy in the
// WebJobs storage extension): 100 ms after messages were found, then 100 ms + 2^(n−1) × 100 ms × [0.8, 1.2), up to
// maxPollingInterval.
import { describe, expect, it } from 'vitest';
import { nextPollBackoff, POLL_START, type PollBackoff } from '../../tools/dev/host.js';

/** The waits of consecutive empty polls; `found[i]`: messages were found before the i-th wait. */
function schedule(found: boolean[], maxMs: number, random: () => number): number[] {
  let state: PollBackoff = POLL_START;
  return found.map((f) => {
    state = nextPollBackoff(state, f, maxMs, random);
    return Math.round(state.delayMs);
  });
}

const middle = () => 0.5; // factor 1.0
const low = () => 0; // factor 0.8
const high = () => 0.999_999; // factor just under 1.2
const empty = (n: number) => Array.from({ length: n }, () => false);

describe('queue polling back-off', () => {
  it.each([
    ['fresh start, factor 1.0, max 2 s', empty(8), 2000, middle, [100, 200, 300, 500, 900, 1700, 2000, 2000]],
    ['fresh start, factor 0.8, max 2 s', empty(8), 2000, low, [100, 180, 260, 420, 740, 1380, 2000, 2000]],
    ['fresh start, factor 1.2, max 2 s', empty(7), 2000, high, [100, 220, 340, 580, 1060, 2000, 2000]],
    ['default max 1 min', empty(12), 60_000, middle, [100, 200, 300, 500, 900, 1700, 3300, 6500, 12_900, 25_700, 51_300, 60_000]],
    [
      'found messages: back to 100 ms, then 200 ms',
      [false, false, false, true, false, false],
      2000,
      middle,
      [100, 200, 300, 100, 200, 300],
    ],
    ['found at the maximum', [...empty(8), true, false], 2000, middle, [100, 200, 300, 500, 900, 1700, 2000, 2000, 100, 200]],
    ['maximum at the minimum (100 ms)', empty(3), 100, middle, [100, 100, 100]],
  ])('%s', (_label, found, maxMs, random, expected) => {
    expect(schedule(found, maxMs, random)).toEqual(expected);
  });
});
