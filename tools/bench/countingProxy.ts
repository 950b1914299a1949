// A counting reverse proxy in front of one Azurite service, for the bench and the tests: SharedKey
// signatures do not cover host:port, so the app talks to Azurite through it unchanged and every storage transaction
// is counted exactly, by operation. Keep-alive upstream, so the proxy adds little latency of its own. A queue receive
// whose answer holds no message is counted as `idle receive` (the idle polls of a queue trigger).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type StorageService = 'queue' | 'table' | 'blob';

export interface CountingProxy {
  service: StorageService;
  port: number;
  /** Transactions so far. */
  total(): number;
  /** Transactions by operation name (send, receive, idle receive, delete, update, insert, upsert, query, put, get, …). */
  byOperation(): Record<string, number>;
  /** Request body bytes sent to the service. */
  bytesIn(): number;
  reset(): void;
  close(): Promise<void>;
}

/** The storage operation a request stands for, from its method and path (Azurite path style: /<account>/<resource>…). */
export function operationOf(service: StorageService, method: string, url: string): string {
  const path = url.split('?')[0] ?? '';
  const query = url.includes('?') ? url.slice(url.indexOf('?')) : '';
  if (service === 'queue') {
    if (/\/messages\/[^/]+$/.test(path)) return method === 'DELETE' ? 'delete' : method === 'PUT' ? 'update' : method.toLowerCase();
    if (/\/messages$/.test(path)) {
      if (method === 'POST') return 'send';
      if (method === 'GET') return /peekonly=true/i.test(query) ? 'peek' : 'receive';
      if (method === 'DELETE') return 'clear';
    }
    if (/comp=metadata/i.test(query)) return 'properties';
    return `${method.toLowerCase()} queue`;
  }
  if (service === 'table') {
    if (/\$batch/.test(path)) return 'batch';
    if (/\(PartitionKey=/.test(path)) {
      if (method === 'GET') return 'get';
      if (method === 'DELETE') return 'delete';
      return 'upsert/update';
    }
    if (method === 'POST') return /\/Tables$/i.test(path) ? 'create table' : 'insert';
    if (method === 'GET') return 'query';
    return method.toLowerCase();
  }
  if (method === 'PUT') return /restype=container/i.test(query) ? 'create container' : 'put blob';
  if (method === 'GET') return 'get blob';
  if (method === 'HEAD') return 'blob properties';
  if (method === 'DELETE') return 'delete blob';
  return method.toLowerCase();
}

export async function startCountingProxy(service: StorageService, targetPort: number): Promise<CountingProxy> {
  const counts = new Map<string, number>();
  let bytes = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const server = http.createServer((req, res) => {
    const op = operationOf(service, req.method ?? '', req.url ?? '');
    const count = (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);
    // A receive is counted when its answer is in, as `receive` or `idle receive`; everything else on arrival.
    if (op !== 'receive') count(op);
    req.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    const upstream = http.request(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers, agent },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (op === 'receive') {
          let found = false;
          up.on('data', (c: Buffer) => {
            found ||= c.includes('<QueueMessage>');
          });
          up.on('end', () => count(found ? 'receive' : 'idle receive'));
        }
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    service,
    port: (server.address() as AddressInfo).port,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    byOperation: () => Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])),
    bytesIn: () => bytes,
    reset: () => {
      counts.clear();
      bytes = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
