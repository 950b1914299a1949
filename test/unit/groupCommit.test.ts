// Group commit: arrivals during a write share the next one; an idle stream writes at once; failures reach every
// request whose rows were in the failed write, and no one else.
import { describe, expect, it } from 'vitest';
import type { JsonRecord } from '../../shared/catalog/types.js';
import { GroupCommitter } from '../../shared/ingest/enqueue.js';
import { gunzipRows } from '../../shared/reliability/envelope.js';
import type { GroupWriter } from '../../shared/reliability/envelopeWriter.js';

/** A writer whose writes finish only when the test says so; it records the rows its packed groups carry. */
function manualWriter() {
  const writes: { stream: string; rows: readonly JsonRecord[]; signal?: AbortSignal; finish(ok?: boolean): void }[] = [];
  const writer: GroupWriter = {
    writeGroups: (stream, groups, options) =>
      new Promise<number>((resolve, reject) => {
        const rows = groups.flatMap((g) => gunzipRows(g.gz));
        const signal = options?.abortSignal;
        writes.push({
          stream,
          rows,
          ...(signal ? { signal } : {}),
          finish: (ok = true) => (ok ? resolve(1) : reject(new Error('storage down'))),
        });
      }),
  };
  return { writer, writes };
}

const tick = () => new Promise((r) => setTimeout(r, 5));
const one = (stream: string, n: number) => new Map([[stream, [JSON.stringify({ n })]]]);

describe('GroupCommitter', () => {
  it('writes a lone request at once, and lets everything arriving during that write share the next one', async () => {
    const { writer, writes } = manualWriter();
    const gc = new GroupCommitter(writer, 0, { quietMs: 0, maxMs: 0 });
    const first = gc.submit(one('s', 0));
    await tick();
    expect(writes.map((w) => w.rows.length)).toEqual([1]);
    const during = Array.from({ length: 49 }, (_, i) => gc.submit(one('s', i + 1)));
    await tick();
    expect(writes).toHaveLength(1); // waiting for the first write
    writes[0]?.finish();
    await first;
    await tick();
    expect(writes.map((w) => w.rows.length)).toEqual([1, 49]);
    let settled = false;
    const all = Promise.all(during).then(() => {
      settled = true;
    });
    await tick();
    expect(settled).toBe(false); // no 202 before the write is durable
    writes[1]?.finish();
    await all;
    expect(settled).toBe(true);
  });

  it('rejects exactly the requests whose write failed; streams are independent', async () => {
    const { writer, writes } = manualWriter();
    const gc = new GroupCommitter(writer, 0);
    const a = gc.submit(one('a', 1));
    const b = gc.submit(one('b', 1));
    await tick();
    expect(writes.map((w) => w.stream).sort()).toEqual(['a', 'b']);
    writes.find((w) => w.stream === 'a')?.finish(false);
    writes.find((w) => w.stream === 'b')?.finish(true);
    await expect(a).rejects.toThrow('storage down');
    await expect(b).resolves.toBeUndefined();
    // The stream recovers: the next request is written normally.
    const c = gc.submit(one('a', 2));
    await tick();
    writes.at(-1)?.finish();
    await expect(c).resolves.toBeUndefined();
  });

  it('§4 a request past its deadline is failed at once, its rows leave an unwritten batch, and a write everyone gave up on is aborted', async () => {
    const { writer, writes } = manualWriter();
    const gc = new GroupCommitter(writer, 0, { quietMs: 0, maxMs: 0 });
    const first = new AbortController();
    const a = gc.submit(one('s', 1), first.signal);
    await tick();
    expect(writes).toHaveLength(1); // a's write hangs (storage frozen)
    const late = new AbortController();
    const b = gc.submit(one('s', 2), late.signal);
    const c = gc.submit(one('s', 3));
    first.abort(new Error('deadline'));
    await expect(a).rejects.toThrow('deadline');
    // Everyone in the first write gave up: it is aborted, so the next batch does not wait behind it forever.
    expect(writes[0]?.signal?.aborted).toBe(true);
    late.abort(new Error('deadline'));
    await expect(b).rejects.toThrow('deadline');
    writes[0]?.finish(false);
    await tick();
    // b answered 503 before its batch was written: its rows are not written later behind its back.
    expect(writes.map((w) => w.rows)).toEqual([[{ n: 1 }], [{ n: 3 }]]);
    expect(writes[1]?.signal?.aborted).toBe(false);
    writes[1]?.finish();
    await expect(c).resolves.toBeUndefined();
    // An already expired signal never joins a batch.
    await expect(gc.submit(one('s', 4), AbortSignal.abort(new Error('too late')))).rejects.toThrow('too late');
  });
});
