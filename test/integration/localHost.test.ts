// The local host runs queue triggers the way the Functions host does: plain JSON messages (host.json
// messageEncoding "none", as the producer writes them), batch size, poison queue after maxDequeueCount, leases.
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionDefinition } from '../../functions/types.js';
import type { App } from '../../shared/app.js';
import { messageText } from '../../shared/reliability/envelope.js';
import { LocalHost, queueSettingsFromHostJson } from '../../tools/dev/host.js';
import { useAzurite } from '../support/azurite.js';

const azurite = useAzurite();
let host: LocalHost;
const seen: unknown[] = [];
const failures = new Map<string, number>();

const functions: FunctionDefinition[] = [
  { kind: 'queue', name: 'ok', queueName: 'hostok', handler: async (_app, m) => void seen.push(m) },
  {
    kind: 'queue',
    name: 'fails',
    queueName: 'hostfail',
    handler: async (_app, m) => {
      const key = JSON.stringify(m);
      failures.set(key, (failures.get(key) ?? 0) + 1);
      throw new Error('always fails');
    },
  },
  {
    kind: 'http',
    name: 'echo',
    route: 'echo/{name?}',
    methods: ['POST'],
    authLevel: 'function',
    handler: async (_app, req) => ({ status: 200, jsonBody: { params: req.params, body: await req.text() } }),
  },
];

const queues = () => QueueServiceClient.fromConnectionString(azurite.current.connectionString);

beforeAll(async () => {
  for (const q of ['hostok', 'hostfail', 'hostfail-poison']) await queues().getQueueClient(q).createIfNotExists();
  host = new LocalHost({
    port: 0,
    // These functions use no app; the host passes whatever it was given.
    app: {} as App,
    functions,
    queueSettings: { ...queueSettingsFromHostJson('host.json'), visibilityTimeoutSeconds: 0, maxPollingIntervalMs: 200 },
    queue: (name) => queues().getQueueClient(name),
    resolveSetting: (s) => s,
    log: () => undefined,
  });
  await host.start();
});

afterAll(async () => {
  await host?.stop();
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('local host', () => {
  it('reads host.json: plain JSON messages, batch size 16, poison after 5 dequeues', () => {
    expect(queueSettingsFromHostJson('host.json')).toMatchObject({ batchSize: 16, maxDequeueCount: 5, visibilityTimeoutSeconds: 10 });
  });

  it('hands the function the parsed envelope the producer wrote', async () => {
    const envelope = { v: 1 as const, id: 'e1', stream: 'Custom-WebhookEvents_CL', count: 1, retry: 0, enc: 'gzip' as const, data: 'H4sI' };
    await queues().getQueueClient('hostok').sendMessage(messageText(envelope));
    await until(() => seen.length === 1);
    expect(seen[0]).toEqual(envelope);
    await until(async () => ((await queues().getQueueClient('hostok').getProperties()).approximateMessagesCount ?? 0) === 0);
  });

  it('moves a message that fails maxDequeueCount times to <queue>-poison', async () => {
    await queues().getQueueClient('hostfail').sendMessage('{"n":1}');
    const poison = queues().getQueueClient('hostfail-poison');
    await until(async () => ((await poison.getProperties()).approximateMessagesCount ?? 0) === 1, 20_000);
    expect(failures.get('{"n":1}')).toBe(5);
    const [m] = (await poison.receiveMessages()).receivedMessageItems;
    expect(m?.messageText).toBe('{"n":1}');
  }, 30_000);

  it('serves HTTP routes with optional parameters under /api and refuses unknown admin functions', async () => {
    const withName = await fetch(`${host.url}/api/echo/abc`, { method: 'POST', body: 'hi' });
    expect(await withName.json()).toEqual({ params: { name: 'abc' }, body: 'hi' });
    const without = await fetch(`${host.url}/api/echo`, { method: 'POST', body: '' });
    expect(await without.json()).toEqual({ params: {}, body: '' });
    expect((await fetch(`${host.url}/api/nothing`)).status).toBe(404);
    expect((await fetch(`${host.url}/admin/functions/echo`, { method: 'POST', body: '{"input":""}' })).status).toBe(404);
    expect((await fetch(`${host.url}/admin/functions/ok`, { method: 'POST', body: '{"input":""}' })).status).toBe(202);
  });

  it('§3 a malformed percent-encoding in the path is a 400 naming it, not a 500', async () => {
    for (const path of ['/api/echo/%', '/api/echo/%E0%A4%A', '/admin/functions/%zz']) {
      const res = await fetch(`${host.url}${path}`, { method: 'POST', body: '' });
      expect(res.status, path).toBe(400);
      expect(await res.json()).toMatchObject({ error: expect.stringMatching(/malformed percent-encoding/) });
    }
  });
});
