// What every emulator shares: HTTP(S) on loopback, body reading (gzip too), the fault queue, the log of received
// requests, and a JSON store under the data folder that survives restarts (like a real service) until DELETE.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { EmulatorTls } from './tls.js';

export interface Fault {
  status?: number;
  count: number;
  retryAfter?: number;
  latencyMs?: number;
  reset?: boolean;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json?: unknown;
}

export interface EmulatorRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  /** Decoded body (gunzipped when Content-Encoding: gzip). */
  body: Buffer;
  /** Size of the body as it came over the wire. */
  wireBytes: number;
}

export interface Reply {
  status: number;
  json?: unknown;
  headers?: Record<string, string>;
}

export const reply = (status: number, json?: unknown, headers?: Record<string, string>): Reply => ({ status, json, headers });

export interface EmulatorOptions {
  name: string;
  host?: string;
  port: number;
  /** HTTPS when given. */
  tls?: EmulatorTls;
  /** With `tls`: plain HTTP on the same port too (told apart by the first byte: a TLS handshake starts with 0x16). */
  plainToo?: boolean;
  /** Routes of the emulated service; return undefined for 404. */
  handle(req: EmulatorRequest): Promise<Reply | undefined> | Reply | undefined;
  /** Extra /_emulator/* routes of this emulator (records, incidents, …). */
  inspect?(req: EmulatorRequest, path: string): Promise<Reply | undefined> | Reply | undefined;
  /** Keep the received-request log (sink) — the other emulators keep their own state instead. */
  keepReceived?: boolean;
}

export interface RunningEmulator {
  url: string;
  /** The same port over HTTPS, when it serves both (the sink). */
  httpsUrl?: string;
  port: number;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, r: Reply): void {
  const body = r.json === undefined ? '' : JSON.stringify(r.json);
  res.writeHead(r.status, { ...(body ? { 'content-type': 'application/json' } : {}), ...r.headers });
  res.end(body);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const faults: Fault[] = [];
  const received: ReceivedRequest[] = [];

  const takeFault = (): Fault | undefined => {
    const f = faults[0];
    if (!f) return undefined;
    f.count -= 1;
    if (f.count <= 0) faults.shift();
    return f;
  };

  const listener = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const url = new URL(req.url ?? '/', 'http://emulator');
      const raw = await readBody(req);
      let body = raw;
      if (/gzip/i.test(String(req.headers['content-encoding'] ?? ''))) {
        try {
          body = gunzipSync(raw, { maxOutputLength: 64 * 1024 * 1024 });
        } catch {
          return send(res, reply(400, { error: { code: 'InvalidContentEncoding', message: 'body is not valid gzip' } }));
        }
      }
      const ereq: EmulatorRequest = { method: req.method ?? 'GET', url, headers: req.headers, body, wireBytes: raw.length };

      if (url.pathname.startsWith('/_emulator/')) {
        const path = url.pathname.slice('/_emulator/'.length);
        if (path === 'faults') {
          if (ereq.method === 'DELETE') faults.length = 0;
          else if (ereq.method === 'POST') {
            const parsed = parseJson(body.toString('utf8'));
            const list = (Array.isArray(parsed) ? parsed : [parsed]) as Fault[];
            if (!list.every((f) => f && typeof f === 'object' && Number.isInteger(f.count) && f.count > 0)) {
              return send(res, reply(400, { error: 'each fault needs a positive integer count' }));
            }
            faults.push(...list.map((f) => ({ ...f })));
          }
          return send(res, reply(200, faults));
        }
        if (path === 'received') {
          if (ereq.method === 'DELETE') received.length = 0;
          return send(res, reply(200, received));
        }
        const r = await options.inspect?.(ereq, path);
        return send(res, r ?? reply(404, { error: `no emulator route ${url.pathname}` }));
      }

      const text = body.toString('utf8');
      if (options.keepReceived) {
        const json = parseJson(text);
        received.push({
          method: ereq.method,
          path: url.pathname + url.search,
          headers: req.headers,
          body: text,
          ...(json === undefined ? {} : { json }),
        });
      }
      const fault = takeFault();
      if (fault?.latencyMs) await sleep(fault.latencyMs);
      if (fault?.reset) {
        req.socket.destroy();
        return;
      }
      if (fault?.status) {
        return send(
          res,
          reply(
            fault.status,
            { error: { code: 'EmulatedFault', message: `fault injected: ${fault.status}` } },
            fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : undefined,
          ),
        );
      }
      const r = await options.handle(ereq);
      send(res, r ?? reply(404, { error: { code: 'NotFound', message: `no route ${ereq.method} ${url.pathname}` } }));
    } catch (e) {
      send(res, reply(500, { error: { code: 'EmulatorError', message: (e as Error).message } }));
    }
  };

  const secure = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, listener) : undefined;
  const plain = !secure || options.plainToo ? http.createServer(listener) : undefined;
  const both = secure && plain;
  // One port for both: the first byte of a connection says which server gets it. Until then the socket is ours to close.
  const undecided = new Set<net.Socket>();
  const server: net.Server = both
    ? net.createServer((socket) => {
        undecided.add(socket);
        socket.once('close', () => undecided.delete(socket));
        socket.once('readable', () => {
          undecided.delete(socket);
          const first = socket.read(1) as Buffer | null;
          if (!first) return socket.destroy();
          socket.unshift(first);
          (first[0] === 0x16 ? secure : plain).emit('connection', socket);
        });
      })
    : (secure ?? (plain as http.Server));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const servers = [secure, plain].filter((s): s is http.Server => s !== undefined);
  return {
    port,
    url: `${secure && !plain ? 'https' : 'http'}://127.0.0.1:${port}`,
    ...(both ? { httpsUrl: `https://127.0.0.1:${port}` } : {}),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of servers) s.closeAllConnections();
        for (const socket of undecided) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A JSON document persisted to a file (written atomically, soon after each change). */
export class JsonStore<T> {
  private writing: Promise<void> = Promise.resolve();
  /** The next write, not started yet: every change made before it starts rides along. */
  private queued: Promise<void> | undefined;
  readonly data: T;

  constructor(
    private readonly file: string,
    initial: T,
  ) {
    this.data = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : initial;
  }

  /** Saves after the caller's change; awaiting it means the change is on disk. Concurrent saves share one write. */
  save(): Promise<void> {
    this.queued ??= this.writing
      .catch(() => undefined)
      .then(async () => {
        this.queued = undefined;
        const snapshot = JSON.stringify(this.data);
        await mkdir(dirname(this.file), { recursive: true });
        await writeFile(`${this.file}.tmp`, snapshot);
        await rename(`${this.file}.tmp`, this.file);
      });
    this.writing = this.queued;
    return this.queued;
  }
}

/**
 * `POST /_emulator/<things>` with one item or an array: each is seeded in order; the first that `seed` refuses (a
 * string saying why) answers 400 naming its index. The caller saves and answers with what was seeded.
 */
export function seedAll<T>(req: EmulatorRequest, what: string, seed: (raw: unknown) => T | string): T[] | Reply {
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body.toString('utf8'));
  } catch {
    return reply(400, { error: `body must be JSON: one ${what} or an array` });
  }
  const seeded: T[] = [];
  for (const [i, raw] of (Array.isArray(parsed) ? parsed : [parsed]).entries()) {
    const r = seed(raw);
    if (typeof r === 'string') return reply(400, { error: `${what} ${i}: ${r}` });
    seeded.push(r);
  }
  return seeded;
}

/** What an emulator lets its caller do (app roles, ARM actions): unset = everything, as with a fully granted identity. */
export interface Grants {
  held?: string[];
}

/**
 * `/_emulator/<field>`: PUT `{"<field>": [strings]}` narrows what the caller is granted, DELETE grants everything
 * again, GET shows it.
 */
export function grantsRoute(req: EmulatorRequest, grants: Grants, field: string, example: string): Reply {
  if (req.method === 'DELETE') grants.held = undefined;
  else if (req.method === 'PUT') {
    let list: unknown;
    try {
      list = (JSON.parse(req.body.toString('utf8') || '{}') as Record<string, unknown>)[field];
    } catch {
      list = undefined;
    }
    if (!Array.isArray(list) || !list.every((r) => typeof r === 'string'))
      return reply(400, { error: `body must be {"${field}": ["${example}", …]}` });
    grants.held = list;
  }
  return reply(200, { [field]: grants.held ?? null });
}
