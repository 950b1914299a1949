import type { LookupAddress, LookupOptions } from 'node:dns';
import http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Destination } from '../../shared/config.js';
import { guardedLookup, type SendResult, sendToDestination } from '../../shared/destinations/send.js';

// A local receiver on 127.0.0.1 whose answer each test sets. Nothing here sends traffic anywhere else.
interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

let server: http.Server;
let port: number;
let handler: Handler;
let received: Received[];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
  handler = (_req, res) => res.writeHead(200).end('ok');
});

const SECRET_PATH = 'T0SECRETPATHxyz';
const SECRET_QUERY = 'sigQUERYSECRET123';
const ROUTING_KEY = 'ROUTINGKEY0123456789abcdefABCDEF';
const WHSEC = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;

function destination(overrides: Partial<Destination> = {}): Destination {
  return { name: 'local', type: 'webhook', url: `http://127.0.0.1:${port}/hooks/${SECRET_PATH}?sig=${SECRET_QUERY}`, ...overrides };
}
const request = { body: '{"hello":"world"}', headers: { 'content-type': 'application/json' } };
const options = { allowPrivate: false, timeoutMs: 2000 };

function expectNoSecrets(result: SendResult): void {
  const text = JSON.stringify(result);
  for (const secret of [SECRET_PATH, SECRET_QUERY, ROUTING_KEY, WHSEC, '/hooks/']) expect(text).not.toContain(secret);
}

describe('sendToDestination', () => {
  it('POSTs the body and headers as given', async () => {
    const result = await sendToDestination(destination(), request, options);
    expect(result).toEqual({ ok: true, status: 200 });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', url: `/hooks/${SECRET_PATH}?sig=${SECRET_QUERY}`, body: '{"hello":"world"}' });
    expect(received[0]?.headers['content-type']).toBe('application/json');
    expect(received[0]?.headers['content-length']).toBe(String(Buffer.byteLength(request.body)));
  });

  it.each([
    ['PagerDuty 202 with its dedup_key', 'pagerduty', 202, '{"status":"success","message":"Event processed","dedup_key":"inc-1"}', 'inc-1'],
    ['SIGNL4 201 with its eventId', 'signl4', 201, '{"eventId":"2518981069381242800_2ab1b5e0"}', '2518981069381242800_2ab1b5e0'],
    ['SIGNL4 200 without JSON', 'signl4', 200, 'ok', undefined],
    ['Slack 200 "ok"', 'slack', 200, 'ok', undefined],
    ['Teams 202 empty', 'teams', 202, '', undefined],
    ['webhook 204', 'webhook', 204, '', undefined],
  ] as const)('%s is a success', async (_case, type, status, answer, reference) => {
    handler = (_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(answer);
    const result = await sendToDestination(destination({ type, routingKey: ROUTING_KEY }), request, options);
    expect(result).toEqual(reference ? { ok: true, status, reference } : { ok: true, status });
  });

  it.each([
    ['429 with Retry-After seconds', 429, { 'retry-after': '7' }, 7000],
    ['503 with Retry-After as an HTTP date', 503, { 'retry-after': new Date(Date.now() + 60_000).toUTCString() }, 60_000],
    ['500 without Retry-After', 500, {}, undefined],
    ['502', 502, {}, undefined],
    ['408', 408, {}, undefined],
  ] as const)('%s is retryable', async (_case, status, headers, retryAfterMs) => {
    handler = (_req, res) => res.writeHead(status, headers).end('busy');
    const result = await sendToDestination(destination(), request, options);
    expect(result).toMatchObject({ ok: false, status, retryable: true });
    if (result.ok) throw new Error('expected a failure');
    if (retryAfterMs === undefined) expect(result.retryAfterMs).toBeUndefined();
    else expect(result.retryAfterMs).toBeGreaterThan(retryAfterMs - 2000);
    if (retryAfterMs !== undefined) expect(result.retryAfterMs).toBeLessThanOrEqual(retryAfterMs);
    expectNoSecrets(result);
  });

  it.each([
    [
      'pagerduty',
      400,
      '{"status":"invalid event","errors":["Length of \'routing_key\' is incorrect"]}',
      /routingKey is the 32-character integration key/,
    ],
    ['slack', 400, 'invalid_blocks', /invalid_blocks.*Slack rejected the message/],
    ['slack', 404, 'no_service', /no_service.*create a new incoming webhook/],
    ['slack', 410, 'channel_is_archived', /channel is archived/],
    ['teams', 401, '', /turned off.*copy the current URL/],
    ['signl4', 401, '', /team or integration secret/],
    ['webhook', 403, 'bad signature', /same whsec_ secret/],
    ['webhook', 413, '', /too large/],
    ['webhook', 301, '', /redirect, which is not followed/],
  ] as const)('%s %i is not retried and says what to do', async (type, status, answer, advice) => {
    handler = (_req, res) => res.writeHead(status, { location: 'https://elsewhere.example/' }).end(answer);
    const result = await sendToDestination(destination({ type, routingKey: ROUTING_KEY, secret: WHSEC }), request, options);
    expect(result).toMatchObject({ ok: false, status, retryable: false });
    if (result.ok) throw new Error('expected a failure');
    expect(result.error).toMatch(advice);
    expect(result.error).toContain(`http://127.0.0.1:${port}`);
    expect(result.retryAfterMs).toBeUndefined();
    expectNoSecrets(result);
  });

  it('redacts secrets a receiver echoes back', async () => {
    handler = (req, res, body) => res.writeHead(400).end(`bad request to ${req.url} with ${body} key ${ROUTING_KEY} secret ${WHSEC}`);
    const result = await sendToDestination(destination({ type: 'pagerduty', routingKey: ROUTING_KEY, secret: WHSEC }), request, options);
    expect(result).toMatchObject({ ok: false, status: 400, retryable: false });
    expectNoSecrets(result);
    if (!result.ok) expect(result.error).toContain('[redacted]');
  });

  it('gives up after the timeout, retryably', async () => {
    handler = () => {
      // never answers
    };
    const started = Date.now();
    const result = await sendToDestination(destination(), request, { ...options, timeoutMs: 150 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(result).toMatchObject({ ok: false, retryable: true });
    if (!result.ok) expect(result.error).toMatch(/no complete answer within 150 ms/);
    expectNoSecrets(result);
  });

  it('treats a dropped connection as a retryable network error', async () => {
    handler = (req) => req.socket.destroy();
    const result = await sendToDestination(destination(), request, options);
    expect(result).toMatchObject({ ok: false, retryable: true });
    if (!result.ok) expect(result.error).toMatch(/network error/);
    expectNoSecrets(result);
  });

  it('treats a refused connection as a retryable network error', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await sendToDestination(destination({ url: `http://127.0.0.1:${closedPort}/x` }), request, options);
    expect(result).toMatchObject({ ok: false, retryable: true });
    if (!result.ok) expect(result.error).toMatch(/ECONNREFUSED/);
  });
});

describe('SSRF guard', () => {
  const resolvingTo =
    (...addresses: string[]): LookupFunction =>
    (_hostname: string, opts: LookupOptions, callback) => {
      const answers: LookupAddress[] = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      if (opts.all) callback(null, answers);
      else callback(null, answers[0]?.address ?? '', answers[0]?.family);
    };

  it('refuses a private literal address before connecting', async () => {
    const lookup = vi.fn(resolvingTo('127.0.0.1'));
    const result = await sendToDestination(destination({ url: 'https://10.0.0.1/hook' }), request, { ...options, lookup });
    expect(result).toMatchObject({ ok: false, retryable: false });
    if (!result.ok) expect(result.error).toMatch(/10\.0\.0\.1 is in the private range.*ALLOW_PRIVATE_DESTINATIONS/);
    expect(lookup).not.toHaveBeenCalled();
  });

  it('refuses plain http to anything but loopback, even when private addresses are allowed', async () => {
    const result = await sendToDestination(destination({ url: 'http://10.0.0.1/hook' }), request, { ...options, allowPrivate: true });
    expect(result).toMatchObject({ ok: false, retryable: false });
    if (!result.ok) expect(result.error).toMatch(/must be https/);
  });

  it('refuses a host name that resolves to a private address, at connect time', async () => {
    const lookup = vi.fn(resolvingTo('10.0.0.1'));
    const result = await sendToDestination(destination({ url: 'https://internal.example.test/hook' }), request, { ...options, lookup });
    expect(lookup).toHaveBeenCalledWith('internal.example.test', expect.anything(), expect.any(Function));
    expect(result).toMatchObject({ ok: false, retryable: false });
    if (!result.ok)
      expect(result.error).toMatch(/internal\.example\.test resolves to a refused address: address 10\.0\.0\.1 is in the private range/);
  });

  it('refuses when any of several answers is private', async () => {
    const lookup = vi.fn(resolvingTo('127.0.0.1', '169.254.169.254'));
    const result = await sendToDestination(destination({ url: `http://localhost:${port}/hook` }), request, { ...options, lookup });
    expect(result).toMatchObject({ ok: false, retryable: false });
    expect(received).toHaveLength(0);
  });

  it.each([
    ['loopback', '127.0.0.1', /loopback, which is reached only by naming it in the URL/],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1', /loopback/],
    ['the metadata service through NAT64', '64:ff9b::169.254.169.254', /instance metadata service/],
    ['the WireServer', '168.63.129.16', /WireServer/],
    ['a private address through 6to4', '2002:c0a8:0001::1', /private range/],
  ])('SSRF guard gaps: a DNS name resolving to %s is refused at connect time', async (_case, address, message) => {
    const lookup = vi.fn(resolvingTo(address));
    const result = await sendToDestination(destination({ url: `https://sink.example.test:${port}/hook` }), request, { ...options, lookup });
    expect(lookup).toHaveBeenCalled();
    expect(result).toMatchObject({ ok: false, retryable: false });
    if (!result.ok) expect(result.error).toMatch(message);
    expect(received).toHaveLength(0);
  });

  it('SSRF guard gaps: the metadata service is refused even with private destinations allowed', async () => {
    const lookup = vi.fn(resolvingTo('169.254.169.254'));
    const result = await sendToDestination(destination({ url: 'https://metadata.example.test/' }), request, {
      ...options,
      allowPrivate: true,
      lookup,
    });
    expect(result).toMatchObject({ ok: false, retryable: false });
    if (!result.ok) expect(result.error).toMatch(/instance metadata service/);
  });

  it('connects to the address the guarded lookup returned', async () => {
    const lookup = vi.fn(resolvingTo('127.0.0.1'));
    const result = await sendToDestination(destination({ url: `http://localhost:${port}/hook` }), request, { ...options, lookup });
    expect(result).toEqual({ ok: true, status: 200 });
    expect(lookup).toHaveBeenCalled();
    expect(received).toHaveLength(1);
  });

  it.each([
    ['one answer', { family: 4 }],
    ['all answers', { all: true }],
  ] as const)('guardedLookup checks %s', (_case, lookupOptions) => {
    const results: unknown[] = [];
    const collect = (err: Error | null) => results.push(err?.message ?? 'ok');
    const strict = { allowPrivate: false, loopback: false };
    guardedLookup(strict, resolvingTo('10.1.2.3'))('h', lookupOptions, collect);
    guardedLookup(strict, resolvingTo('fd00::1'))('h', lookupOptions, collect);
    guardedLookup(strict, resolvingTo('::ffff:192.168.0.1'))('h', lookupOptions, collect);
    guardedLookup(strict, resolvingTo('127.0.0.1'))('h', lookupOptions, collect);
    guardedLookup({ ...strict, loopback: true }, resolvingTo('127.0.0.1'))('localhost', lookupOptions, collect);
    guardedLookup({ ...strict, allowPrivate: true }, resolvingTo('10.1.2.3'))('h', lookupOptions, collect);
    guardedLookup({ ...strict, allowPrivate: true }, resolvingTo('8.8.8.8', '64:ff9b::a9fe:a9fe'))('h', lookupOptions, collect);
    expect(results).toEqual([
      expect.stringMatching(/private/),
      expect.stringMatching(/uniqueLocal/),
      expect.stringMatching(/private/),
      expect.stringMatching(/loopback/),
      'ok',
      'ok',
      // one answer (the first) or all: with `all`, the second answer is the metadata service through NAT64
      'all' in lookupOptions ? expect.stringMatching(/instance metadata service/) : 'ok',
    ]);
  });
});
