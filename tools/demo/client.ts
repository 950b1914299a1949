// HTTP for the tour: plain fetch for the local host and the sink, node:https with the emulators' own CA for the HTTPS
// emulators (NODE_EXTRA_CA_CERTS is not relied on: it is read only at process start and may name another CA).
import { type EmulatorAnswer, emulatorCall } from '../emulators/client.js';

/** An HTTP answer: the same shape for the host and the emulators. */
export type Answer<T = unknown> = EmulatorAnswer<T>;

const parse = (text: string): unknown => {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
};

/** A request to the local host or the sink (http). */
export async function call<T = unknown>(
  method: string,
  url: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<Answer<T>> {
  const res = await fetch(url, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  return { status: res.status, headers: Object.fromEntries(res.headers), text, json: parse(text) as T };
}

/** A JSON request to an HTTPS emulator, trusting only `ca`. */
export const callEmulator = <T = unknown>(ca: string, method: string, url: string, body?: unknown): Promise<Answer<T>> =>
  emulatorCall<T>(url, ca, method, url, body, { timeoutMs: 15_000 });

/** Polls `read` until `done` holds or the time is up; returns the last value and whether it held. */
export async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number): Promise<{ value: T; ok: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return { value, ok: true };
    if (Date.now() > deadline) return { value, ok: false };
    await new Promise((r) => setTimeout(r, 250));
  }
}
