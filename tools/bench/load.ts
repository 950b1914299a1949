// An HTTP load generator: `total` POSTs with at most `concurrency` in flight over keep-alive connections; the
// latency of each request is measured from the write to the end of the answer.
import http from 'node:http';

export interface LoadResult {
  /** When each request (by index) was sent, in performance.now() milliseconds. */
  startedAt: number[];
  latenciesMs: number[];
  statuses: Map<number, number>;
  wallMs: number;
  errors: string[];
}

export async function runLoad(options: {
  url: string;
  total: number;
  concurrency: number;
  body(i: number): Buffer;
  headers?: Record<string, string>;
  /** Reuse connections (e.g. opened by a warm-up run); else a keep-alive agent for this run. */
  agent?: http.Agent;
}): Promise<LoadResult> {
  const agent = options.agent ?? new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const url = new URL(options.url);
  const startedAt: number[] = [];
  const latenciesMs: number[] = [];
  const statuses = new Map<number, number>();
  const errors: string[] = [];
  let next = 0;
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const body = options.body(i);
      const started = performance.now();
      startedAt[i] = started;
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length, ...options.headers },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latenciesMs.push(performance.now() - started);
            statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
            resolve();
          });
        },
      );
      req.on('error', (e) => {
        errors.push(e.message);
        resolve();
      });
      req.end(body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(options.concurrency, options.total) }, async () => {
      while (next < options.total) await one(next++);
    }),
  );
  const wallMs = performance.now() - started;
  if (!options.agent) agent.destroy();
  return { startedAt, latenciesMs, statuses, wallMs, errors };
}
