// The destination sink: any path and method → 200 {"ok":true}, every request kept raw at /_emulator/received, faults;
// with tls, HTTPS on the same port.
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendToDestination } from '../../shared/destinations/send.js';
import { freePort } from '../../tools/dev/azurite.js';
import type { ReceivedRequest, RunningEmulator } from '../../tools/emulators/server.js';
import { startSink } from '../../tools/emulators/sink.js';
import { emulatorTls } from '../../tools/emulators/tls.js';
import { pagerDutySignature } from '../../tools/emulators/vendorCallbacks.js';

let sink: RunningEmulator;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  ms: number;
}

function send(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, sink.url),
      { method, headers: { ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - t0 }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const received = async () => JSON.parse((await send('GET', '/_emulator/received')).text) as ReceivedRequest[];
const fault = async (f: unknown) =>
  expect((await send('POST', '/_emulator/faults', JSON.stringify(f), { 'content-type': 'application/json' })).status).toBe(200);

beforeEach(async () => {
  sink = await startSink({ port: await freePort() });
});

afterEach(async () => {
  await sink.close();
});

describe('sink emulator', () => {
  it('answers 200 {"ok":true} on any path and method and keeps each request raw', async () => {
    const body = '{"b":2,  "a":[1,2]}';
    const post = await send('POST', '/hooks/signl4/abc?x=1', body, { 'content-type': 'application/json', 'webhook-signature': 'v1,sig' });
    expect(post.status).toBe(200);
    expect(JSON.parse(post.text)).toEqual({ ok: true });
    expect((await send('PUT', '/teams', 'plain text', { 'content-type': 'text/plain' })).status).toBe(200);
    expect((await send('GET', '/anything/at/all')).status).toBe(200);
    expect((await send('DELETE', '/x')).status).toBe(200);

    const log = await received();
    expect(log.map((r) => [r.method, r.path])).toEqual([
      ['POST', '/hooks/signl4/abc?x=1'],
      ['PUT', '/teams'],
      ['GET', '/anything/at/all'],
      ['DELETE', '/x'],
    ]);
    const [first, second] = log;
    expect(first?.body).toBe(body); // byte-exact: signatures are verified on it
    expect(first?.json).toEqual({ b: 2, a: [1, 2] });
    expect(first?.headers['webhook-signature']).toBe('v1,sig');
    expect(first?.headers['content-type']).toBe('application/json');
    expect(second?.body).toBe('plain text');
    expect(second && 'json' in second).toBe(false);
  });

  it('keeps a gzip body decoded', async () => {
    const { gzipSync } = await import('node:zlib');
    const zipped = gzipSync('{"gz":true}');
    const r = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        new URL('/gz', sink.url),
        { method: 'POST', headers: { 'content-encoding': 'gzip', 'content-length': String(zipped.length) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(zipped);
    });
    expect(r).toBe(200);
    expect((await received())[0]?.json).toEqual({ gz: true });
  });

  it('DELETE /_emulator/received resets the log', async () => {
    await send('POST', '/a', '{}');
    expect(await received()).toHaveLength(1);
    expect((await send('DELETE', '/_emulator/received')).status).toBe(200);
    expect(await received()).toEqual([]);
  });

  it('status faults answer with that status (and Retry-After), for the next `count` requests only', async () => {
    await fault({ status: 503, count: 2, retryAfter: 3 });
    const a = await send('POST', '/hook', '{}');
    const b = await send('POST', '/hook', '{}');
    const c = await send('POST', '/hook', '{}');
    expect([a.status, b.status, c.status]).toEqual([503, 503, 200]);
    expect(a.headers['retry-after']).toBe('3');
    expect(c.headers['retry-after']).toBeUndefined();
    // Faulted requests are still logged: they reached the destination.
    expect(await received()).toHaveLength(3);
  });

  it('faults queue in order', async () => {
    await fault([
      { status: 429, count: 1 },
      { status: 500, count: 1 },
    ]);
    expect((await send('POST', '/h', '{}')).status).toBe(429);
    expect((await send('POST', '/h', '{}')).status).toBe(500);
    expect((await send('POST', '/h', '{}')).status).toBe(200);
  });

  it('latency delays a success; latency with status delays the failure', async () => {
    await fault([
      { latencyMs: 300, count: 1 },
      { latencyMs: 200, status: 502, count: 1 },
    ]);
    const slow = await send('POST', '/h', '{}');
    expect(slow.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(250);
    const slowFail = await send('POST', '/h', '{}');
    expect(slowFail.status).toBe(502);
    expect(slowFail.ms).toBeGreaterThanOrEqual(150);
  });

  it('reset destroys the connection', async () => {
    await fault({ reset: true, count: 1 });
    await expect(send('POST', '/h', '{}')).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect((await send('POST', '/h', '{}')).status).toBe(200);
  });

  it('rejects a fault without a positive count; DELETE /_emulator/faults clears the queue', async () => {
    expect((await send('POST', '/_emulator/faults', JSON.stringify({ status: 500 }))).status).toBe(400);
    await fault({ status: 500, count: 5 });
    expect(JSON.parse((await send('GET', '/_emulator/faults')).text)).toEqual([{ status: 500, count: 5 }]);
    expect(JSON.parse((await send('DELETE', '/_emulator/faults')).text)).toEqual([]);
    expect((await send('POST', '/h', '{}')).status).toBe(200);
  });

  it('plays a vendor callback signed as the vendor does, replays it byte for byte; a bad spec → 400 naming the field', async () => {
    const target = `${sink.url}/bridge/callback`;
    const spec = { vendor: 'pagerduty', url: target, secrets: 'pd-secret', incidentId: 'Q1LOCAL', action: 'acknowledge' };
    const played = await send('POST', '/_emulator/play', JSON.stringify(spec));
    expect(played.status).toBe(200);
    const { sent, answer } = JSON.parse(played.text) as { sent: { body: string; headers: Record<string, string> }; answer: unknown };
    expect(answer).toMatchObject({ status: 200, json: { ok: true } });
    expect(sent.headers['x-pagerduty-signature']).toBe(pagerDutySignature('pd-secret', sent.body));
    const again = await send('POST', '/_emulator/play', JSON.stringify({ vendor: 'replay', request: sent }));
    expect(again.status).toBe(200);
    const log = await received();
    expect(log.map((r) => r.path)).toEqual(['/bridge/callback', '/bridge/callback']);
    expect(log[1]?.body).toBe(log[0]?.body);
    expect(log[0]?.headers['x-pagerduty-signature']).toBe(sent.headers['x-pagerduty-signature']);

    const bad = await send('POST', '/_emulator/play', JSON.stringify({ ...spec, action: 'snooze' }));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error).toMatch(/^action: /);
    expect((await send('POST', '/_emulator/play', 'not json')).status).toBe(400);
    const unreachable = await send('POST', '/_emulator/play', JSON.stringify({ ...spec, url: `http://127.0.0.1:${await freePort()}/x` }));
    expect(unreachable.status).toBe(502);
  });

  it('unknown /_emulator routes are 404 and are not logged as deliveries', async () => {
    expect((await send('GET', '/_emulator/records')).status).toBe(404);
    expect(await received()).toEqual([]);
  });
});

describe('sink emulator with tls', () => {
  it("serves HTTPS on the same port as HTTP, one log; the bridge's sender reaches it only when it trusts the emulators' CA", async () => {
    const tls = await emulatorTls(mkdtempSync(join(tmpdir(), 'sink-tls-')));
    const both = await startSink({ port: await freePort(), tls });
    try {
      expect(both.httpsUrl).toBe(both.url.replace(/^http:/, 'https:'));
      const destination = { name: 'response', type: 'slack', url: `${both.httpsUrl}/slack/actions/1` } as const;
      const request = { headers: { 'content-type': 'application/json' }, body: '{"replace_original":true}' };
      const options = { allowPrivate: false, timeoutMs: 5000 };
      expect(await sendToDestination(destination, request, { ...options, ca: tls.ca })).toMatchObject({ ok: true, status: 200 });
      const untrusted = await sendToDestination(destination, request, options);
      expect(untrusted).toMatchObject({ ok: false, retryable: true });
      expect(untrusted.ok ? '' : untrusted.error).toMatch(/certificate/i);
      const plain = await fetch(`${both.url}/hooks/sentinel`, { method: 'POST', body: '{}' });
      expect(plain.status).toBe(200);
      const log = (await (await fetch(`${both.url}/_emulator/received`)).json()) as ReceivedRequest[];
      expect(log.map((r) => r.path)).toEqual(['/slack/actions/1', '/hooks/sentinel']);
      expect(log[0]?.json).toEqual({ replace_original: true });
      // A connection that never sends a byte (neither protocol yet) does not keep close() waiting.
      const idle = net.connect(both.port, '127.0.0.1');
      await new Promise((r) => idle.once('connect', r));
      idle.on('error', () => undefined);
    } finally {
      await both.close();
    }
  });
});
