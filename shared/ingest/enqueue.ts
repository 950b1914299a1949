// Group commit: concurrent requests on one instance share
// queue messages, and each request is answered only after every message holding its events is written.
import type { JsonRecord } from '../catalog/types.js';
import type { EnvelopeWriter } from '../reliability/envelopeWriter.js';

interface Batch {
  rows: JsonRecord[];
  /** performance.now() when the batch took its first rows, and its latest. */
  openedAt: number;
  joinedAt: number;
  done: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}

interface StreamState {
  /** Rows waiting for the next write. */
  next?: Batch;
  /** A write for this stream is under way: arrivals join `next`, written as soon as it finishes. */
  writing: boolean;
  /** A write of `next` is scheduled (after the window, or when it has filled). */
  scheduled: boolean;
}

/**
 * How a batch that gathered while a write was under way (the stream is under load) fills before it is written:
 * until no request has joined for `quietMs`, at most `maxMs` after its first rows. Concurrent requests whose decoding
 * ends at different times then share messages instead of each write carrying a few of them.
 */
export interface FillPolicy {
  quietMs: number;
  maxMs: number;
}

export const DEFAULT_FILL: FillPolicy = { quietMs: 20, maxMs: 200 };

/** A batch this large is written at once rather than waiting for the window. */
const FLUSH_ROWS = 2000;

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const now = performance.now();
  return { rows: [], openedAt: now, joinedAt: now, done, resolve, reject };
}

/**
 * Group commit, as databases do it: while one write of a stream is under way, every request that arrives joins the
 * next write, which starts once the first one has finished and the batch has filled (FillPolicy: no newcomer for
 * 20 ms, at most 200 ms). A request on an idle stream waits at most `windowMs` (default 0: the next turn of the event
 * loop) for companions. Under load, messages fill up; alone, a request pays no waiting window.
 */
export class GroupCommitter {
  private readonly streams = new Map<string, StreamState>();

  constructor(
    private readonly writer: EnvelopeWriter,
    private readonly windowMs: number,
    private readonly fill: FillPolicy = DEFAULT_FILL,
  ) {}

  /** Resolves once every row given is in a durably written queue message. */
  submit(streams: ReadonlyMap<string, readonly JsonRecord[]>): Promise<void> {
    return Promise.all([...streams].map(([stream, rows]) => this.add(stream, rows))).then(() => undefined);
  }

  private add(stream: string, rows: readonly JsonRecord[]): Promise<void> {
    let st = this.streams.get(stream);
    if (!st) {
      st = { writing: false, scheduled: false };
      this.streams.set(stream, st);
    }
    st.next ??= newBatch();
    const batch = st.next;
    batch.rows.push(...rows);
    batch.joinedAt = performance.now();
    if (!st.writing) {
      if (batch.rows.length >= FLUSH_ROWS) this.write(stream, st);
      else if (!st.scheduled) {
        st.scheduled = true;
        setTimeout(() => this.write(stream, st as StreamState), this.windowMs);
      }
    }
    return batch.done;
  }

  private write(stream: string, st: StreamState): void {
    st.scheduled = false;
    const batch = st.next;
    if (st.writing || !batch) return;
    st.next = undefined;
    st.writing = true;
    this.writer
      .write(stream, batch.rows)
      .then(() => batch.resolve(), batch.reject)
      .finally(() => {
        st.writing = false;
        if (st.next) this.writeWhenFilled(stream, st);
        else this.streams.delete(stream);
      });
  }

  /** Writes the batch that gathered during a write once it has filled (see FillPolicy). */
  private writeWhenFilled(stream: string, st: StreamState): void {
    const batch = st.next;
    if (st.writing || !batch) return;
    const now = performance.now();
    const due = Math.min(batch.joinedAt + this.fill.quietMs, batch.openedAt + this.fill.maxMs);
    if (batch.rows.length >= FLUSH_ROWS || now >= due) this.write(stream, st);
    else {
      st.scheduled = true;
      setTimeout(() => this.writeWhenFilled(stream, st), due - now);
    }
  }
}
