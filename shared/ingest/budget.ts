// The in-flight byte budget of one instance: body bytes that requests are reading, decoding, validating and packing
// right now. A request that would take the instance past it is answered 503 with Retry-After (another instance, or
// this one a moment later, takes it) instead of every request in flight running the instance out of memory.
import { HttpError } from '../http.js';

/** Seconds a refused sender is asked to wait: about the time a request at the 30 MB limit takes to go through. */
const RETRY_AFTER_SECONDS = '5';

export class InflightBudget {
  private used = 0;

  /** `limitBytes`: INGEST_INFLIGHT_MB in bytes. */
  constructor(readonly limitBytes: number) {}

  /** Body bytes held by requests in flight. */
  get inUse(): number {
    return this.used;
  }

  /** A new request's share of the budget, empty until it grows; give it back with `release()` in every path. */
  lease(): BudgetLease {
    let held = 0;
    return {
      growTo: (bytes) => {
        if (bytes <= held) return;
        // A request alone on the instance always goes ahead: the budget limits requests in flight together.
        if (this.used - held > 0 && this.used - held + bytes > this.limitBytes) {
          const mb = (n: number) => `${Math.ceil(n / 1024 / 1024)} MB`;
          throw new HttpError(
            503,
            `this instance is busy with ${mb(this.used - held)} of request bodies and this one (${mb(bytes)}) would pass its in-flight budget of ${mb(this.limitBytes)} (INGEST_INFLIGHT_MB); nothing was accepted, retry later`,
            { inflightBytes: this.used - held, budgetBytes: this.limitBytes },
            { 'retry-after': RETRY_AFTER_SECONDS },
          );
        }
        this.used += bytes - held;
        held = bytes;
      },
      release: () => {
        this.used -= held;
        held = 0;
      },
    };
  }
}

export interface BudgetLease {
  /** Holds `bytes` in all for this request; a 503 with Retry-After when that would pass the budget. */
  growTo(bytes: number): void;
  release(): void;
}
