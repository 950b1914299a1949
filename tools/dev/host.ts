// A small local Functions host: serves the HTTP definitions under /api, runs queue triggers against Azurite the
// way the Functions host does (host.json batchSize, newBatchThreshold, maxDequeueCount → <queue>-poison, visibility,
// the polling back-off up to maxPollingInterval), runs timers on
// their NCRONTAB schedule, and answers the admin route POST /admin/functions/{name}. It runs the very same
// definition objects that functions/index.ts registers with the real host.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable, Transform } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type { HttpResponseInit, Timer } from '@azure/functions';
import azureFunctions from '@azure/functions';
import type { QueueClient, ReceivedMessageItem } from '@azure/storage-queue';
import { Cron } from 'croner';
import type { FunctionDefinition, HttpFunction, QueueFunction, TimerFunction } from '../../functions/types.js';
import type { App } from '../../shared/app.js';
import { NEVER_EXPIRE } from '../../shared/reliability/envelopeWriter.js';
import { poisonQueueOf } from '../../shared/storage/names.js';

const { HttpRequest, InvocationContext } = azureFunctions;

export interface QueueSettings {
  batchSize: number;
  /** Another batch is fetched once no more than this many messages are being processed. */
  newBatchThreshold: number;
  maxDequeueCount: number;
  visibilityTimeoutSeconds: number;
  maxPollingIntervalMs: number;
}

export function queueSettingsFromHostJson(path: string): QueueSettings {
  const host = JSON.parse(readFileSync(path, 'utf8')) as { extensions?: { queues?: Record<string, unknown> } };
  const q = host.extensions?.queues ?? {};
  if (q.messageEncoding !== 'none')
    throw new Error('host.json extensions.queues.messageEncoding must be "none": the app writes plain JSON messages');
  const seconds = (v: unknown, dflt: number) => {
    if (typeof v !== 'string') return dflt;
    const [h = 0, m = 0, s = 0] = v.split(':').map(Number);
    return h * 3600 + m * 60 + s;
  };
  const batchSize = Number(q.batchSize ?? 16);
  return {
    batchSize,
    newBatchThreshold: Number(q.newBatchThreshold ?? Math.floor(batchSize / 2)),
    maxDequeueCount: Number(q.maxDequeueCount ?? 5),
    visibilityTimeoutSeconds: seconds(q.visibilityTimeout, 0),
    maxPollingIntervalMs: seconds(q.maxPollingInterval, 60) * 1000,
  };
}

/**
 * The Functions host's idle-queue back-off, as its queue listener computes it (RandomizedExponentialBackoffStrategy with
 * QueuePollingIntervals.Minimum = 100 ms as minimum and delta, maxPollingInterval as maximum; Azure/azure-sdk-for-net
 * sdk/storage/Microsoft.Azure.WebJobs.Extensions.Storage.Common/src/Shared/Timers/RandomizedExponentialBackoffStrategy.cs,
 * documented at learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger#polling-algorithm):
 * after messages were found the next empty poll waits 100 ms; each further empty poll waits
 * 100 ms + 2^(n−1) × 100 ms × a random factor in [0.8, 1.2) — about 200, 300, 500, 900, 1,700 ms … — until the maximum.
 */
export interface PollBackoff {
  delayMs: number;
  exponent: number;
}

export const POLL_MIN_MS = 100;
const RANDOMIZATION = 0.2;
export const POLL_START: PollBackoff = { delayMs: 0, exponent: 0 };

/** The wait after an empty poll. `foundSinceLastWait`: a poll found messages since the previous wait. */
export function nextPollBackoff(
  previous: PollBackoff,
  foundSinceLastWait: boolean,
  maxMs: number,
  random: () => number = Math.random,
): PollBackoff {
  if (foundSinceLastWait) return { delayMs: POLL_MIN_MS, exponent: 1 };
  if (previous.delayMs === maxMs) return previous;
  let delayMs = POLL_MIN_MS;
  if (previous.exponent > 0) {
    const factor = 1 - RANDOMIZATION + 2 * RANDOMIZATION * random();
    delayMs += factor * 2 ** (previous.exponent - 1) * POLL_MIN_MS;
  }
  return delayMs < maxMs ? { delayMs, exponent: previous.exponent + 1 } : { delayMs: maxMs, exponent: previous.exponent };
}

/** The local host leases a message for this long and renews the lease while the function runs. */
const LEASE_SECONDS = 30;

interface Route {
  def: HttpFunction;
  pattern: RegExp;
  names: string[];
}

function compileRoute(def: HttpFunction): Route {
  const names: string[] = [];
  const source = def.route
    .split('/')
    .map((segment) => {
      const m = /^\{(\w+)(\?)?\}$/.exec(segment);
      if (!m) return `/${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
      names.push(m[1] as string);
      return m[2] ? '(?:/([^/]+))?' : '/([^/]+)';
    })
    .join('');
  return { def, pattern: new RegExp(`^/api${source}/?$`, 'i'), names };
}

/** The Functions host refuses request bodies over 100 MB (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT); so does the local host. */
const MAX_REQUEST_BODY = 100 * 1024 * 1024;

/**
 * The request as the Functions host hands it over with HTTP streams on (functions/index.ts): the body is the
 * connection's stream, read by the handler as it comes, never buffered whole here. Past the host's limit the
 * stream fails, as the host's does.
 */
function streamedRequest(req: IncomingMessage, url: URL, params: Record<string, string>): InstanceType<typeof HttpRequest> {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  const method = req.method ?? 'GET';
  let size = 0;
  const limited = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      done(size > MAX_REQUEST_BODY ? new Error('request body over 100 MB') : null, chunk);
    },
  });
  const body = method === 'GET' || method === 'HEAD' ? undefined : (Readable.toWeb(req.pipe(limited)) as ReadableStream<Uint8Array>);
  const nativeRequest = new Request(url, { method, headers, ...(body ? { body, duplex: 'half' } : {}) } as RequestInit);
  // `nativeRequest` is how the worker builds a streamed request (@azure/functions HttpRequest, createStreamRequest).
  return new HttpRequest({ nativeRequest, params } as unknown as ConstructorParameters<typeof HttpRequest>[0]);
}

function writeResponse(res: ServerResponse, r: HttpResponseInit): void {
  const headers: Record<string, string> = {};
  if (r.headers) for (const [k, v] of new Headers(r.headers as ConstructorParameters<typeof Headers>[0])) headers[k] = v;
  let body: string | Uint8Array | undefined;
  if (r.jsonBody !== undefined) {
    body = JSON.stringify(r.jsonBody);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  } else if (typeof r.body === 'string' || r.body instanceof Uint8Array) body = r.body;
  res.writeHead(r.status ?? 200, headers);
  res.end(body);
}

/** Route parameters, percent-decoded; undefined when a parameter's encoding is malformed (the host answers 400). */
function routeParams(names: readonly string[], match: RegExpExecArray): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  try {
    names.forEach((name, i) => {
      const v = match[i + 1];
      if (v !== undefined) params[name] = decodeURIComponent(v);
    });
  } catch {
    return undefined;
  }
  return params;
}

const context = (functionName: string, triggerMetadata: Record<string, unknown> = {}) =>
  new InvocationContext({ functionName, invocationId: randomUUID(), triggerMetadata });

export interface LocalHostOptions {
  port: number;
  /** The app every function runs with (shared/app.ts), as the Functions entry point builds it. */
  app: App;
  functions: readonly FunctionDefinition[];
  queueSettings: QueueSettings;
  queue(name: string): QueueClient;
  /** Resolves %SETTING% expressions in timer schedules. */
  resolveSetting(expression: string): string;
  log?(line: string): void;
}

export class LocalHost {
  private server?: http.Server;
  private readonly stopping = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private readonly crons: Cron[] = [];
  private readonly routes: Route[];
  url = '';

  constructor(private readonly options: LocalHostOptions) {
    this.routes = options.functions.filter((f): f is HttpFunction => f.kind === 'http').map(compileRoute);
  }

  private log(line: string) {
    (this.options.log ?? console.log)(line);
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      this.serve(req, res).catch((e: Error) => {
        this.log(`[host] ${req.method} ${req.url} failed: ${e.stack ?? e.message}`);
        if (!res.headersSent) writeResponse(res, { status: 500, jsonBody: { error: 'function failed; see the host log' } });
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.options.port, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    for (const f of this.options.functions) {
      if (f.kind === 'queue') this.loops.push(this.pollQueue(f));
      if (f.kind === 'timer') {
        const schedule = this.options.resolveSetting(f.schedule);
        this.crons.push(new Cron(schedule, { protect: true }, () => this.runTimer(f)));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    for (const c of this.crons) c.stop();
    await Promise.allSettled(this.loops);
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const admin = /^\/admin\/functions\/([^/]+)$/.exec(url.pathname);
    if (admin && req.method === 'POST') {
      const params = routeParams(['name'], admin);
      if (!params?.name)
        return writeResponse(res, { status: 400, jsonBody: { error: `malformed percent-encoding in the path ${url.pathname}` } });
      return this.runAdmin(params.name, res);
    }
    for (const route of this.routes) {
      const m = route.pattern.exec(url.pathname);
      if (!m || !route.def.methods.includes(req.method as HttpFunction['methods'][number])) continue;
      const params = routeParams(route.names, m);
      if (!params)
        return writeResponse(res, { status: 400, jsonBody: { error: `malformed percent-encoding in the path ${url.pathname}` } });
      if (Number(req.headers['content-length']) > MAX_REQUEST_BODY)
        return writeResponse(res, { status: 413, jsonBody: { error: 'request body over 100 MB' } });
      const request = streamedRequest(req, url, params);
      const response = await route.def.handler(this.options.app, request, context(route.def.name));
      return writeResponse(res, response);
    }
    writeResponse(res, { status: 404, jsonBody: { error: `no function serves ${req.method} ${url.pathname}` } });
  }

  private async runAdmin(name: string, res: ServerResponse): Promise<void> {
    const f = this.options.functions.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!f || f.kind === 'http') {
      return writeResponse(res, { status: 404, jsonBody: { error: `no timer or queue function named ${name}` } });
    }
    // Like the Functions host: 202 at once, the function runs in the background.
    writeResponse(res, { status: 202 });
    if (f.kind === 'timer') await this.runTimer(f);
    else await this.pollOnce(f);
  }

  private async runTimer(f: TimerFunction): Promise<void> {
    const timer: Timer = {
      isPastDue: false,
      schedule: { adjustForDST: false },
      scheduleStatus: { last: '', next: '', lastUpdated: new Date().toISOString() },
    };
    try {
      await f.handler(this.options.app, timer, context(f.name));
    } catch (e) {
      this.log(`[host] timer ${f.name} failed: ${(e as Error).stack ?? e}`);
    }
  }

  /**
   * The Functions host's queue listener loop: a poll that finds messages starts them and polls again as soon as no
   * more than newBatchThreshold are in flight; an empty poll waits by the back-off above.
   */
  private async pollQueue(f: QueueFunction): Promise<void> {
    const s = this.options.queueSettings;
    const signal = this.stopping.signal;
    const inFlight = new Set<Promise<void>>();
    let backoff = POLL_START;
    let found = false;
    while (!signal.aborted) {
      let items: ReceivedMessageItem[] = [];
      try {
        items = await this.receive(f);
      } catch (e) {
        this.log(`[host] polling ${f.queueName} failed: ${(e as Error).message}`);
      }
      if (items.length > 0) {
        found = true;
        for (const m of items) {
          const run = this.process(f, m)
            .catch((e: Error) => this.log(`[host] ${f.name} on message ${m.messageId}: ${e.message}`))
            .finally(() => inFlight.delete(run));
          inFlight.add(run);
        }
        while (inFlight.size > s.newBatchThreshold) await Promise.race(inFlight);
      } else {
        backoff = nextPollBackoff(backoff, found, s.maxPollingIntervalMs);
        found = false;
        await delay(backoff.delayMs, undefined, { signal }).catch(() => undefined);
      }
    }
    await Promise.allSettled(inFlight);
  }

  /** One batch from the queue, run to the end (the admin route); returns how many messages it took. */
  private async pollOnce(f: QueueFunction): Promise<number> {
    const items = await this.receive(f);
    await Promise.all(items.map((m) => this.process(f, m)));
    return items.length;
  }

  private async receive(f: QueueFunction): Promise<ReceivedMessageItem[]> {
    const { receivedMessageItems } = await this.options
      .queue(f.queueName)
      .receiveMessages({ numberOfMessages: this.options.queueSettings.batchSize, visibilityTimeout: LEASE_SECONDS });
    return receivedMessageItems;
  }

  /** Runs the function on one message, then deletes it; a failure makes it visible again or moves it to poison. */
  private async process(f: QueueFunction, m: ReceivedMessageItem): Promise<void> {
    const q = this.options.queue(f.queueName);
    const s = this.options.queueSettings;
    let popReceipt = m.popReceipt;
    const renew = setInterval(
      () => {
        q.updateMessage(m.messageId, popReceipt, undefined, LEASE_SECONDS)
          .then((r) => {
            if (r.popReceipt) popReceipt = r.popReceipt;
          })
          .catch(() => undefined);
      },
      (LEASE_SECONDS / 2) * 1000,
    );
    let input: unknown = m.messageText;
    try {
      input = JSON.parse(m.messageText);
    } catch {
      // Not JSON: the function gets the text, as the Functions host does.
    }
    const meta = {
      id: m.messageId,
      dequeueCount: m.dequeueCount,
      insertionTime: m.insertedOn,
      expirationTime: m.expiresOn,
      popReceipt,
    };
    try {
      await f.handler(this.options.app, input, context(f.name, meta));
      clearInterval(renew);
      await q.deleteMessage(m.messageId, popReceipt);
    } catch (e) {
      clearInterval(renew);
      this.log(`[host] ${f.name} failed on message ${m.messageId} (dequeue ${m.dequeueCount}): ${(e as Error).message}`);
      if (m.dequeueCount >= s.maxDequeueCount) {
        await this.options.queue(poisonQueueOf(f.queueName)).sendMessage(m.messageText, { messageTimeToLive: NEVER_EXPIRE });
        await q.deleteMessage(m.messageId, popReceipt);
      } else {
        await q.updateMessage(m.messageId, popReceipt, undefined, s.visibilityTimeoutSeconds);
      }
    }
  }
}
