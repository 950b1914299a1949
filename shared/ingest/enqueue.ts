// Group commit: concurrent requests on one instance share
// queue messages, and each request is answered only after every message holding its events is written.
import type { JsonRecord } from '../catalog/types.js';
import type { EnvelopeWriter } from '../reliability/envelopeWriter.js';

interface Batch {
  rows: JsonRecord[];
  done: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}

interface StreamState {
  /** Rows waiting for the next write. */
  next?: Batch;
  /** A write for this stream is under way: arrivals join `next`, written as soon as it finishes. */
  writing: boolean;
  /** A write of `next` is scheduled (after the window). */
  scheduled: boolean;
}

/** A batch this large is written at once rather than waiting for the window. */
const FLUSH_ROWS = 2000;

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { rows: [], done, resolve, reject };
}

/**
 * Group commit, as databases do it: while one write of a stream is under way, every request that arrives joins the
 * next write, which starts the moment the first one finishes. A request on an idle stream waits at most `windowMs`
 * (default 0: the next turn of the event loop) for companions. Under load, messages fill up by themselves; alone, a
 * request pays no waiting window.
 */
export class GroupCommitter {
  private readonly streams = new Map<string, StreamState>();

  constructor(
    private readonly writer: EnvelopeWriter,
    private readonly windowMs: number,
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
        if (st.next) this.write(stream, st);
        else this.streams.delete(stream);
      });
  }
}
