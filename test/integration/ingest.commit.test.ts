// Group commit is durable: a 202 is answered only once the queue message holding the events is written, and a
// storage failure is a 503 with Retry-After, never a 202. Storage traffic is routed through a small proxy in front
// of Azurite (SharedKey signatures do not cover host:port) that can hold or refuse the message write, or to a
// closed port. Also: the health route and the function definitions of the front door.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { QueueClient } from '@azure/storage-queue';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { health } from '../../functions/health.js';
import { ingestEvents } from '../../functions/ingestEvents.js';
import { legacyLogs } from '../../functions/legacyLogs.js';
import { type Config, loadConfig } from '../../shared/config.js';
import type { BridgeResponse } from '../../shared/http.js';
import { handleEvents } from '../../shared/ingest/handlers.js';
import { handleHealth, healthChecks } from '../../shared/operations/health.js';
import { appOf, ensureStorageOf, ingestOf } from '../../tools/dev/apps.js';
import { connectionStringFor, freePort } from '../../tools/dev/azurite.js';
import { useAzurite } from '../support/azurite.js';
import { jsonRequest } from '../support/http.js';
import { drainEnvelopes } from '../support/queue.js';

const azurite = useAzurite();

type Mode = 'pass' | 'hold' | 'forbid';

/** An HTTP proxy to Azurite's queue service that can hold message writes (until released) or refuse everything. */
interface Proxy {
  port: number;
  mode: Mode;
  /** Message writes (POST …/messages) seen so far. */
  sends: number;
  /** Resolves when the next message write arrives while holding. */
  nextHeld(): Promise<void>;
  /** Lets held writes through (`forward`) or answers them 500 (`fail`). */
  release(how: 'forward' | 'fail'): void;
  close(): Promise<void>;
}

async function startProxy(targetPort: number): Promise<Proxy> {
  let held: ((how: 'forward' | 'fail') => void)[] = [];
  let waiters: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const forward = () => {
        const upstream = http.request(
          { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        upstream.on('error', () => res.destroy());
        upstream.end(body);
      };
      const refuse = (status: number, code: string) => {
        res.writeHead(status, { 'content-type': 'application/xml', 'x-ms-error-code': code });
        res.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>refused by the test proxy</Message></Error>`);
      };
      if (proxy.mode === 'forbid') return refuse(403, 'AuthenticationFailed');
      const isSend = req.method === 'POST' && /\/messages(\?|$)/.test(req.url ?? '');
      if (isSend) proxy.sends += 1;
      if (isSend && proxy.mode === 'hold') {
        // 403 is not retried by the storage SDK: the failure reaches the handler at once.
        held.push((how) => (how === 'forward' ? forward() : refuse(403, 'AuthorizationFailure')));
        const w = waiters;
        waiters = [];
        for (const resolve of w) resolve();
        return;
      }
      forward();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: Proxy = {
    port: (server.address() as AddressInfo).port,
    mode: 'pass',
    sends: 0,
    nextHeld: () => new Promise<void>((resolve) => waiters.push(resolve)),
    release(how) {
      const h = held;
      held = [];
      for (const go of h) go(how);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return proxy;
}

let proxy: Proxy;
let direct: Config;
let viaProxy: Config;

beforeAll(async () => {
  direct = loadConfig({ AzureWebJobsStorage: azurite.current.connectionString, LOG_LEVEL: 'silent' });
  await ensureStorageOf(direct);
  proxy = await startProxy(azurite.current.ports.queue);
  viaProxy = loadConfig({
    AzureWebJobsStorage: connectionStringFor({ ...azurite.current.ports, queue: proxy.port }),
    LOG_LEVEL: 'silent',
    // A wide window so the concurrent requests of one test surely share it (the assertions never depend on time).
    INGEST_GROUP_COMMIT_MS: '100',
  });
});

afterAll(async () => {
  await proxy?.close();
});

const eventsQueue = () => appOf(direct).storage.queue('events');
const drain = () => drainEnvelopes(eventsQueue(), appOf(direct).storage.container('claim-checks'));
const waiting = async (queue: QueueClient = eventsQueue()) =>
  (await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.length;

afterEach(async () => {
  proxy.mode = 'pass';
  proxy.release('forward');
  await drain();
});

const post = (config: Config, value: unknown) =>
  handleEvents(jsonRequest('/api/events/generic', value, { source: 'generic' }), ingestOf(config));

/** Tracks whether a promise has settled, without waiting for it. */
function track<T>(p: Promise<T>) {
  const state = { settled: false };
  void p.then(
    () => {
      state.settled = true;
    },
    () => {
      state.settled = true;
    },
  );
  return state;
}
/** Lets the event loop run (I/O included) a few turns. */
const turns = async (n = 20) => {
  for (let i = 0; i < n; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
};

describe('group commit: 202 only after the message is durably enqueued', () => {
  it('the proxy passes traffic through to Azurite', async () => {
    const res = await post(viaProxy, { type: 'through-proxy' });
    expect(res.status).toBe(202);
    expect(proxy.sends).toBeGreaterThan(0);
    expect((await drain()).rows.map((r) => r.EventType)).toEqual(['through-proxy']);
  });

  it('holds the answer while the message write is in flight, and answers 202 once it is stored', async () => {
    proxy.mode = 'hold';
    const held = proxy.nextHeld();
    const pending = Promise.all([post(viaProxy, { type: 'a' }), post(viaProxy, { type: 'b' }), post(viaProxy, { type: 'c' })]);
    const state = track(pending);
    await held;
    await turns();
    // The write has reached storage's front door but is not stored: nobody has an answer yet.
    expect(state.settled).toBe(false);
    expect(await waiting()).toBe(0);

    proxy.release('forward');
    const responses = await pending;
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202]);
    // Every request answered 202 finds its events in the queue; the three share one message.
    const drained = await drain();
    expect(drained.rows.map((r) => r.EventType).sort()).toEqual(['a', 'b', 'c']);
    expect(drained.messages).toBe(1);
  });

  it('a failed message write answers 503 with Retry-After to every request that shared it, never 202', async () => {
    proxy.mode = 'hold';
    const held = proxy.nextHeld();
    const pending = Promise.all(Array.from({ length: 5 }, (_, i) => post(viaProxy, { type: 'doomed', i })));
    await held;
    proxy.release('fail');
    const responses: BridgeResponse[] = await pending;
    for (const res of responses) {
      expect(res.status).toBe(503);
      expect(res.headers?.['retry-after']).toMatch(/^\d+$/);
      expect(res.jsonBody).toMatchObject({ error: expect.stringMatching(/could not be stored; nothing was accepted, retry later/) });
    }
    expect((await drain()).messages).toBe(0);
  });

  it('storage refusing every request (wrong key, missing permission) → 503 with Retry-After', async () => {
    proxy.mode = 'forbid';
    const res = await post(viaProxy, { type: 'refused' });
    expect(res.status).toBe(503);
    expect(res.headers?.['retry-after']).toBeDefined();
    proxy.mode = 'pass';
    expect((await drain()).messages).toBe(0);
  });

  it('a missing queue → 503, not 202', async () => {
    const other = loadConfig({ AzureWebJobsStorage: azurite.current.connectionString, LOG_LEVEL: 'silent' });
    await appOf(other).storage.queue('events').delete();
    try {
      const res = await post(other, { type: 'no-queue' });
      expect(res.status).toBe(503);
      expect(res.headers?.['retry-after']).toBeDefined();
    } finally {
      await appOf(other).storage.queue('events').createIfNotExists();
    }
  });

  it('storage on a closed port → 503 with Retry-After once the SDK gives up, never 202', async () => {
    const closed = await freePort();
    const down = loadConfig({
      AzureWebJobsStorage: connectionStringFor({ blob: closed, queue: closed, table: closed }),
      LOG_LEVEL: 'silent',
    });
    // The storage SDK retries refused connections with exponential back-off (seconds to tens of seconds): run its
    // timers on a fake clock, and let real I/O happen between steps.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const pending = post(down, { type: 'lost' });
      const state = track(pending);
      let fakeMs = 0;
      while (!state.settled && fakeMs < 10 * 60_000) {
        await turns(5);
        await vi.advanceTimersByTimeAsync(500);
        fakeMs += 500;
      }
      const res = await pending;
      console.log(`storage down: answered ${res.status} after ~${Math.round(fakeMs / 1000)} s of SDK retries (fake clock)`);
      expect(res.status).toBe(503);
      expect(res.headers?.['retry-after']).toMatch(/^\d+$/);
      expect(res.jsonBody).toMatchObject({ error: expect.stringMatching(/retry later/) });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('GET /api/health (storage checks)', () => {
  /** Only the storage checks: the other checks (delivery targets, …) are tested with their modules. */
  const storageChecks = (config: Config) => {
    const { queue, table } = healthChecks(config, appOf(config).storage, {});
    if (!queue || !table) throw new Error('health has no queue/table check');
    return { queue, table };
  };

  it('200 with every check ok when storage answers', async () => {
    const res = await handleHealth(storageChecks(direct));
    expect(res.status).toBe(200);
    expect(res.jsonBody).toMatchObject({
      status: 'ok',
      checks: { queue: { ok: true, detail: expect.stringMatching(/events queue: \d+ waiting/) }, table: { ok: true } },
    });
  });

  it('503 naming the failing check', async () => {
    proxy.mode = 'forbid';
    const res = await handleHealth(storageChecks(viaProxy));
    expect(res.status).toBe(503);
    expect(res.jsonBody).toMatchObject({ status: 'unhealthy', failing: ['queue'], checks: { queue: { ok: false }, table: { ok: true } } });
  });
});

describe('function definitions', () => {
  it('POST /api/events[/{source}] with a function key', () => {
    expect(ingestEvents).toMatchObject({
      kind: 'http',
      name: 'ingestEvents',
      route: 'events/{source?}',
      methods: ['POST'],
      authLevel: 'function',
    });
  });

  it('POST /api/logs anonymous (the SharedKey signature is the authentication)', () => {
    expect(legacyLogs).toMatchObject({ kind: 'http', name: 'legacyLogs', route: 'logs', methods: ['POST'], authLevel: 'anonymous' });
  });

  it('GET /api/health anonymous', () => {
    expect(health).toMatchObject({ kind: 'http', name: 'health', route: 'health', methods: ['GET'], authLevel: 'anonymous' });
  });
});
