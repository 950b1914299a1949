// Group commit: concurrent requests on one instance share
// queue messages, and each request is answered only after every message holding its events is written.
import type { JsonRecord } from '../catalog/types.js';
import { type GzGroup, packJson } from '../reliability/envelope.js';
import type { GroupWriter } from '../reliability/envelopeWriter.js';
import type { RowSink } from './validate.js';

/** One request's rows in a batch (each row's JSON text, serialized once when it was made), and how to answer it. */
interface Part {
  json: readonly string[];
  signal: AbortSignal | undefined;
  settled: boolean;
  resolve(): void;
  reject(e: unknown): void;
}

interface Batch {
  parts: Part[];
  rowCount: number;
  /** performance.now() when the batch took its first rows, and its latest. */
  openedAt: number;
  joinedAt: number;
}

interface StreamState {
  /** Rows waiting for the next write. */
  next?: Batch;
  /** A write for this stream is under way: arrivals join `next`, written as soon as it finishes. */
  writing: boolean;
  /** A write of `next` is scheduled (after the window). */
  scheduled: boolean;
}

/**
 * How long an ingest request waits for storage before it answers 503: a sender must hear back within 10 s (Wallarm
 * gives up after 15 s), and decoding and validating the body come first.
 */
export const INGEST_STORAGE_DEADLINE_MS = 7_000;

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

const settle = (part: Part, error?: unknown) => {
  if (part.settled) return;
  part.settled = true;
  if (error === undefined) part.resolve();
  else part.reject(error);
};

const abortReason = (signal: AbortSignal) =>
  signal.reason instanceof Error ? signal.reason : new Error('the request gave up waiting for storage');

/**
 * Group commit, as databases do it: while one write of a stream is under way, every request that arrives joins the
 * next write, which starts once the first one has finished and the batch has filled (FillPolicy: no newcomer for
 * 20 ms, at most 200 ms). A request on an idle stream waits at most `windowMs` (default 0: the next turn of the event
 * loop) for companions. Under load, messages fill up; alone, a request pays no waiting window.
 *
 * Each request may bring an AbortSignal (its answer deadline). When it fires, the request is failed at once; its rows
 * leave the batch if the batch is not written yet, and a write under way is aborted once every request in it has
 * given up, so a stuck storage call holds no later batch beyond their deadlines. A failed or aborted write fails
 * every request waiting on it.
 */
export class GroupCommitter {
  private readonly streams = new Map<string, StreamState>();

  constructor(
    private readonly writer: GroupWriter,
    private readonly windowMs: number,
    private readonly fill: FillPolicy = DEFAULT_FILL,
  ) {}

  /**
   * Resolves once every row given (stream → each row's JSON text) is in a durably written queue message; rejects when
   * `signal` fires first.
   */
  submit(streams: ReadonlyMap<string, readonly string[]>, signal?: AbortSignal): Promise<void> {
    return Promise.all([...streams].map(([stream, json]) => this.add(stream, json, signal))).then(() => undefined);
  }

  private add(stream: string, json: readonly string[], signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    let st = this.streams.get(stream);
    if (!st) {
      st = { writing: false, scheduled: false };
      this.streams.set(stream, st);
    }
    const state = st;
    const now = performance.now();
    state.next ??= { parts: [], rowCount: 0, openedAt: now, joinedAt: now };
    const batch = state.next;
    batch.joinedAt = now;
    const done = new Promise<void>((resolve, reject) => {
      const part: Part = { json, signal, settled: false, resolve, reject };
      batch.parts.push(part);
      batch.rowCount += json.length;
      signal?.addEventListener(
        'abort',
        () => {
          settle(part, abortReason(signal));
          // Not written yet: the rows leave the batch, so an answered 503 never lands later.
          if (state.next === batch) {
            batch.parts = batch.parts.filter((p) => p !== part);
            batch.rowCount -= json.length;
          }
        },
        { once: true },
      );
    });
    if (!state.writing) {
      if (batch.rowCount >= FLUSH_ROWS) this.write(stream, state);
      else if (!state.scheduled) {
        state.scheduled = true;
        setTimeout(() => this.write(stream, state), this.windowMs);
      }
    }
    return done;
  }

  private write(stream: string, st: StreamState): void {
    st.scheduled = false;
    const batch = st.next;
    if (st.writing || !batch) return;
    st.next = undefined;
    const parts = batch.parts.filter((p) => !p.settled);
    if (parts.length === 0) {
      this.finished(stream, st);
      return;
    }
    st.writing = true;
    // The write is aborted once every request in it has given up (no one is left to answer).
    const write = new AbortController();
    const giveUp = () => {
      if (parts.every((p) => p.settled)) write.abort(new Error('every request in this write gave up'));
    };
    for (const p of parts) p.signal?.addEventListener('abort', giveUp, { once: true });
    this.writer
      .writeGroups(stream, packJson(parts.flatMap((p) => p.json)), { abortSignal: write.signal })
      .then(
        () => {
          for (const p of parts) settle(p);
        },
        (e: unknown) => {
          for (const p of parts) settle(p, e);
        },
      )
      .finally(() => {
        for (const p of parts) p.signal?.removeEventListener('abort', giveUp);
        st.writing = false;
        this.finished(stream, st);
      });
  }

  private finished(stream: string, st: StreamState): void {
    if (st.next) this.writeWhenFilled(stream, st);
    else this.streams.delete(stream);
  }

  /** Writes the batch that gathered during a write once it has filled (see FillPolicy). */
  private writeWhenFilled(stream: string, st: StreamState): void {
    const batch = st.next;
    if (st.writing || !batch) return;
    const now = performance.now();
    const due = Math.min(batch.joinedAt + this.fill.quietMs, batch.openedAt + this.fill.maxMs);
    if (batch.rowCount >= FLUSH_ROWS || now >= due) this.write(stream, st);
    else {
      st.scheduled = true;
      setTimeout(() => this.writeWhenFilled(stream, st), due - now);
    }
  }
}

/** Serialized rows a request's stream gathers before they are packed into messages: small enough that the rows
 * waiting are young garbage once packed (a 30 MB body peaks at ~2.3× its size; at 2 MB it was ~4×), large enough that
 * most groups fill (docs/BENCHMARKS.md, memory). */
const PACK_AT_BYTES = 512 * 1024;

interface Pending {
  groups: GzGroup[];
  /** JSON text of the rows not packed yet: compact, where row objects would take a few times more. */
  json: string[];
  bytes: number;
}

/**
 * One request's rows, packed as they are validated: every 2 MB of serialized rows becomes gzip groups of one queue
 * message each (packJson), so a large body is held as ~1/5 of its size in gzip rather than as row objects. The last,
 * unfilled group of each pack, and the whole of a small request, stay rows that the GroupCommitter shares with
 * other requests, as before.
 */
export class RowPacker implements RowSink {
  private readonly streams = new Map<string, Pending>();

  add(stream: string, row: JsonRecord): void {
    let p = this.streams.get(stream);
    if (!p) {
      p = { groups: [], json: [], bytes: 0 };
      this.streams.set(stream, p);
    }
    const json = JSON.stringify(row);
    p.json.push(json);
    p.bytes += json.length + 1;
    if (p.bytes >= PACK_AT_BYTES) this.pack(p);
  }

  private pack(p: Pending): void {
    const groups = packJson(p.json);
    const last = groups.pop();
    p.groups.push(...groups);
    p.json = p.json.slice(last?.from ?? p.json.length);
    p.bytes = p.json.reduce((n, j) => n + j.length + 1, 0);
  }

  /**
   * Writes the packed groups (each a message of its own) and submits the rest to the group committer; resolves once
   * every row is in a durably written message.
   */
  async commit(committer: GroupCommitter, writer: GroupWriter, signal: AbortSignal): Promise<void> {
    const rows = new Map([...this.streams].filter(([, p]) => p.json.length).map(([stream, p]) => [stream, p.json]));
    await Promise.all([
      committer.submit(rows, signal),
      ...[...this.streams].map(([stream, p]) => (p.groups.length ? writer.writeGroups(stream, p.groups, { abortSignal: signal }) : 0)),
    ]);
  }
}
