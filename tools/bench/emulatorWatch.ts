// Watching the in-process Logs Ingestion emulator from the bench: it stores the records of a call and then, on every
// call, serializes its whole store before it answers (JsonStore.save). Hooking save gives both the time that
// synchronous part costs (so the emulator's cost can be told from the bridge's) and the moment each record became
// visible (its stream's table has grown by the time save is called).
import { JsonStore } from '../emulators/server.js';

export interface EmulatorWatch {
  /** Milliseconds spent in the synchronous part of save so far. */
  saveMs(): number;
  /** performance.now() at which the i-th record of the stream became visible, by position in the stream's table. */
  visibleAt(stream: string): number[];
  stop(): void;
}

export function watchEmulator(): EmulatorWatch {
  const proto = JsonStore.prototype as unknown as { save(this: { data: unknown }): Promise<void> };
  const original = proto.save;
  let total = 0;
  const seen = new Map<string, number[]>();
  proto.save = function save(this: { data: unknown }) {
    const t = performance.now();
    const records = (this.data as { records?: Record<string, unknown[]> }).records;
    if (records && typeof records === 'object') {
      for (const [stream, rows] of Object.entries(records)) {
        const times = seen.get(stream) ?? [];
        if (times.length > rows.length) times.length = rows.length; // the table was cleared
        while (times.length < rows.length) times.push(t);
        seen.set(stream, times);
      }
    }
    try {
      return original.call(this);
    } finally {
      total += performance.now() - t;
    }
  };
  return {
    saveMs: () => total,
    visibleAt: (stream) => seen.get(stream) ?? [],
    stop() {
      proto.save = original;
    },
  };
}
