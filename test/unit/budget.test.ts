// The in-flight byte budget: shares grow as a request reads, a lone request always goes ahead, a share that would
// pass the budget beside others is a 503 with Retry-After, and a released share is given back once.
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../shared/http.js';
import { InflightBudget } from '../../shared/ingest/budget.js';

const refusal = (run: () => void): HttpError => {
  try {
    run();
  } catch (e) {
    if (e instanceof HttpError) return e;
    throw e;
  }
  throw new Error('not refused');
};

describe('InflightBudget', () => {
  it('holds what each request has grown to, and gives it back on release, once', () => {
    const budget = new InflightBudget(100);
    const a = budget.lease();
    a.growTo(30);
    a.growTo(20); // never shrinks
    a.growTo(60);
    expect(budget.inUse).toBe(60);
    a.release();
    a.release();
    expect(budget.inUse).toBe(0);
  });

  it('lets a lone request pass the budget, and refuses a second one beside it with 503 + Retry-After', () => {
    const budget = new InflightBudget(100);
    const big = budget.lease();
    big.growTo(150);
    const e = refusal(() => budget.lease().growTo(1));
    expect(e.status).toBe(503);
    expect(e.headers['retry-after']).toBe('5');
    expect(e.message).toMatch(/in-flight budget of 1 MB \(INGEST_INFLIGHT_MB\)/);
    expect(budget.inUse).toBe(150);
    big.release();
    const next = budget.lease();
    next.growTo(100);
    expect(budget.inUse).toBe(100);
  });

  it('refuses a request that grows past the budget while reading, keeping what it held until released', () => {
    const budget = new InflightBudget(100);
    budget.lease().growTo(50);
    const reading = budget.lease();
    reading.growTo(40);
    expect(refusal(() => reading.growTo(51)).status).toBe(503);
    expect(budget.inUse).toBe(90);
    reading.release();
    expect(budget.inUse).toBe(50);
  });
});
