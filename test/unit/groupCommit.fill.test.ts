// Group commit under load: the batch that gathers during a write is written once no request has joined for
// `quietMs`, and never later than `maxMs` after its first rows; a lone request still waits for nothing.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JsonRecord } from '../../shared/catalog/types.js';
import { GroupCommitter } from '../../shared/ingest/enqueue.js';
import { gunzipRows } from '../../shared/reliability/envelope.js';
import type { GroupWriter } from '../../shared/reliability/envelopeWriter.js';

/** Records the rows each write's packed groups carry; a write finishes when the test says so. */
function manualWriter() {
  const writes: { rows: readonly JsonRecord[]; finish(): void }[] = [];
  const writer: GroupWriter = {
    writeGroups: (_stream, groups) =>
      new Promise<number>((resolve) => writes.push({ rows: groups.flatMap((g) => gunzipRows(g.gz)), finish: () => resolve(1) })),
  };
  return { writer, writes };
}

const one = (n: number) => new Map([['s', [JSON.stringify({ n })]]]);
const sizes = (writes: { rows: readonly JsonRecord[] }[]) => writes.map((w) => w.rows.length);

describe('GroupCommitter fill policy', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes a lone request on an idle stream at once', async () => {
    const { writer, writes } = manualWriter();
    const gc = new GroupCommitter(writer, 0, { quietMs: 20, maxMs: 200 });
    void gc.submit(one(0));
    await vi.advanceTimersByTimeAsync(0);
    expect(sizes(writes)).toEqual([1]);
  });

  it('waits for the requests that keep joining, then writes them together once none joined for quietMs', async () => {
    const { writer, writes } = manualWriter();
    const gc = new GroupCommitter(writer, 0, { quietMs: 20, maxMs: 200 });
    void gc.submit(one(0));
    await vi.advanceTimersByTimeAsync(0);
    const later = [gc.submit(one(1))];
    writes[0]?.finish();
    for (let i = 2; i <= 4; i += 1) {
      await vi.advanceTimersByTimeAsync(10);
      later.push(gc.submit(one(i)));
    }
    await vi.advanceTimersByTimeAsync(19);
    expect(sizes(writes)).toEqual([1]); // the last one joined 19 ms ago
    await vi.advanceTimersByTimeAsync(1);
    expect(sizes(writes)).toEqual([1, 4]);
    let acknowledged = false;
    void Promise.all(later).then(() => {
      acknowledged = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(acknowledged).toBe(false); // not before the write is durable
    writes[1]?.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(acknowledged).toBe(true);
  });

  it('never holds a batch longer than maxMs, however many keep joining', async () => {
    const { writer, writes } = manualWriter();
    const gc = new GroupCommitter(writer, 0, { quietMs: 20, maxMs: 200 });
    void gc.submit(one(0));
    await vi.advanceTimersByTimeAsync(0);
    void gc.submit(one(1));
    writes[0]?.finish();
    for (let t = 10; t < 200; t += 10) {
      await vi.advanceTimersByTimeAsync(10);
      void gc.submit(one(t));
    }
    expect(sizes(writes)).toEqual([1]);
    await vi.advanceTimersByTimeAsync(10);
    expect(sizes(writes)).toEqual([1, 20]);
  });
});
