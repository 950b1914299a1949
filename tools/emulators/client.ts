// JSON calls to the emulators (their service and /_emulator routes) over HTTP(S), trusting the emulators' CA.
// Used by the tests, the bench and the demo.
import http from 'node:http';
import https from 'node:https';

export interface EmulatorAnswer<T = unknown> {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body parsed as JSON; undefined when it is empty or not JSON (see `text`). */
  json: T;
}

export interface EmulatorCallOptions {
  headers?: Record<string, string>;
  /** A keep-alive agent (trusting the CA itself) for many calls. */
  agent?: https.Agent;
  timeoutMs?: number;
}

const parse = (text: string): unknown => {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
};

/** `path` is resolved against `baseUrl` (an absolute URL as `path` works too). */
export function emulatorCall<T = unknown>(
  baseUrl: string,
  ca: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  options: EmulatorCallOptions = {},
): Promise<EmulatorAnswer<T>> {
  const url = new URL(path, baseUrl);
  const lib = url.protocol === 'https:' ? https : http;
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method,
        ...(ca ? { ca } : {}),
        ...(options.agent ? { agent: options.agent } : {}),
        ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
        headers: { ...(data ? { 'content-type': 'application/json' } : {}), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k] = v;
          resolve({ status: res.statusCode ?? 0, headers, text, json: parse(text) as T });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}
