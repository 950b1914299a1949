// HTTP for the tour: plain fetch for the local host and the sink, node:https with the emulators' own CA for the HTTPS
// emulators (NODE_EXTRA_CA_CERTS is not relied on: it is read only at process start and may name another CA).
import https from 'node:https';

export interface Answer<T = unknown> {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: T;
}

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
export function callEmulator<T = unknown>(ca: string, method: string, url: string, body?: unknown): Promise<Answer<T>> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca, timeout: 15_000, headers: data ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k] = v;
        resolve({ status: res.statusCode ?? 0, headers, text, json: parse(text) as T });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 15 s`)));
    req.on('error', reject);
    req.end(data);
  });
}

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
