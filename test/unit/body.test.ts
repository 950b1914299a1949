// Request bodies: Content-Type, the size limit (declared and streamed), gzip with the same limit after decoding,
// and JSON / JSON array / NDJSON parsing with errors that say where.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type BridgeRequest, HttpError } from '../../shared/http.js';
import { checkContentType, decodeContent, parseElements, readBody } from '../../shared/ingest/body.js';

/** A request whose body arrives in the given chunks, with no declared length unless a header says so. */
function req(headers: Record<string, string> = {}, chunks: Uint8Array[] | null = []) {
  let pulls = 0;
  let cancelled = false;
  const queue = chunks ? [...chunks] : null;
  const body = queue
    ? new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            pulls += 1;
            const next = queue.shift();
            if (next) controller.enqueue(next);
            else controller.close();
          },
          cancel() {
            cancelled = true;
          },
        },
        { highWaterMark: 0 },
      )
    : null;
  const request: BridgeRequest = {
    method: 'POST',
    url: 'http://127.0.0.1:7071/api/events',
    headers: new Headers(headers),
    params: {},
    query: new URLSearchParams(),
    body,
  };
  return { request, pulls: () => pulls, cancelled: () => cancelled };
}

/** The HttpError a call throws (fails the test when it does not). */
async function httpError(run: () => unknown): Promise<HttpError> {
  try {
    await run();
  } catch (e) {
    expect(e).toBeInstanceOf(HttpError);
    return e as HttpError;
  }
  throw new Error('expected an HttpError');
}

const bytes = (n: number, fill = 0x61) => new Uint8Array(n).fill(fill);

describe('checkContentType', () => {
  it.each([
    undefined,
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON',
    'application/x-ndjson',
    'application/ndjson',
    'application/jsonl',
    'application/x-jsonlines',
    'text/plain',
    'application/cloudevents+json',
    'application/vnd.api+json',
  ])('accepts %s', (type) => {
    expect(() => checkContentType(req(type ? { 'content-type': type } : {}).request)).not.toThrow();
  });

  it.each([
    'application/xml',
    'text/html',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded',
    'application/octet-stream',
  ])('refuses %s with 415 naming it', async (type) => {
    const e = await httpError(() => checkContentType(req({ 'content-type': type }).request));
    expect(e.status).toBe(415);
    expect(e.message).toContain(type.split(';')[0]);
    expect(e.toResponse().jsonBody).toMatchObject({
      error: expect.stringContaining('Content-Type'),
      accepted: expect.arrayContaining(['application/json']),
    });
  });
});

describe('readBody', () => {
  it('reads a chunked body up to the limit', async () => {
    const r = req({}, [bytes(600), bytes(424, 0x62)]);
    const body = await readBody(r.request, 1024);
    expect(body.length).toBe(1024);
    expect(body.subarray(600, 601).toString()).toBe('b');
  });

  it('returns an empty buffer for no body', async () => {
    expect((await readBody(req({}, null).request, 1024)).length).toBe(0);
  });

  it('refuses a declared Content-Length over the limit before reading anything', async () => {
    const r = req({ 'content-length': '1025' }, [bytes(10)]);
    const e = await httpError(() => readBody(r.request, 1024));
    expect(e.status).toBe(413);
    expect(e.message).toMatch(/larger than 1024 bytes.*INGEST_MAX_BODY_BYTES/);
    expect(r.pulls()).toBe(0);
  });

  it('refuses a chunked body as soon as it passes the limit, and stops reading', async () => {
    const r = req({}, [bytes(1000), bytes(1000), bytes(1000), bytes(1000)]);
    const e = await httpError(() => readBody(r.request, 1500));
    expect(e.status).toBe(413);
    expect(r.cancelled()).toBe(true);
    expect(r.pulls()).toBeLessThan(4);
  });

  it('does not trust a Content-Length smaller than the body', async () => {
    const r = req({ 'content-length': '10' }, [bytes(2000)]);
    expect((await httpError(() => readBody(r.request, 1024))).status).toBe(413);
  });
});

describe('decodeContent', () => {
  const json = Buffer.from(JSON.stringify([{ a: 1 }, { b: 'Grüße 🚀' }]));

  it.each([undefined, 'identity', 'IDENTITY'])('passes %s through', async (encoding) => {
    const r = req(encoding ? { 'content-encoding': encoding } : {});
    expect(await decodeContent(r.request, json, 1024)).toBe(json);
  });

  it.each(['gzip', 'x-gzip', 'GZIP', ' gzip '])('undoes %j', async (encoding) => {
    expect((await decodeContent(req({ 'content-encoding': encoding }).request, gzipSync(json), 1024)).equals(json)).toBe(true);
  });

  it('allows a decoded size exactly at the limit', async () => {
    const exact = Buffer.alloc(4096, 0x20);
    expect((await decodeContent(req({ 'content-encoding': 'gzip' }).request, gzipSync(exact), 4096)).length).toBe(4096);
  });

  it('refuses a gzip bomb with 413 (decoded size over the limit)', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(100 * 1024);
    const e = await httpError(() => decodeContent(req({ 'content-encoding': 'gzip' }).request, bomb, 1024 * 1024));
    expect(e.status).toBe(413);
    expect(e.message).toContain('INGEST_MAX_BODY_BYTES');
  });

  it('refuses bytes that are not gzip with 400', async () => {
    const e = await httpError(() => decodeContent(req({ 'content-encoding': 'gzip' }).request, json, 1024));
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/not valid gzip/);
  });

  it('refuses truncated gzip with 400', async () => {
    const gz = gzipSync(Buffer.alloc(10_000, 0x41).map((_, i) => i % 251));
    const e = await httpError(() =>
      decodeContent(req({ 'content-encoding': 'gzip' }).request, gz.subarray(0, gz.length - 20), 1024 * 1024),
    );
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/not valid gzip/);
  });

  it.each(['br', 'deflate', 'compress', 'zstd'])('refuses Content-Encoding %s with 415 naming it', async (encoding) => {
    const e = await httpError(() => decodeContent(req({ 'content-encoding': encoding }).request, json, 1024));
    expect(e.status).toBe(415);
    expect(e.message).toContain(`Content-Encoding ${encoding}`);
  });
});

describe('parseElements', () => {
  const parse = (text: string | Buffer) => parseElements(Buffer.isBuffer(text) ? text : Buffer.from(text));

  it.each<[string, string, unknown[]]>([
    ['one object', '{"a":1}', [{ a: 1 }]],
    ['an array', '[{"a":1},{"b":2}]', [{ a: 1 }, { b: 2 }]],
    ['a pretty-printed object', '{\n  "a": 1,\n  "b": [1, 2]\n}\n', [{ a: 1, b: [1, 2] }]],
    ['a pretty-printed array', '[\n  {"a": 1},\n  {"b": 2}\n]', [{ a: 1 }, { b: 2 }]],
    ['NDJSON', '{"a":1}\n{"b":2}\n', [{ a: 1 }, { b: 2 }]],
    ['NDJSON with CRLF and blank lines', '{"a":1}\r\n\r\n{"b":2}\r\n   \r\n{"c":3}', [{ a: 1 }, { b: 2 }, { c: 3 }]],
    ['NDJSON of arrays', '[1]\n[2]', [[1], [2]]],
    ['one NDJSON line with a newline', '{"a":1}\n', [{ a: 1 }]],
    ['a UTF-8 BOM', '\uFEFF[{"a":"Grüße 🚀"}]', [{ a: 'Grüße 🚀' }]],
    ['an empty array', '[]', []],
    ['a scalar', '42', [42]],
  ])('%s', (_, text, elements) => {
    expect(parse(text)).toEqual(elements);
  });

  it.each(['', '   ', '\r\n\n', '\uFEFF'])('refuses an empty body %j with 400', (text) => {
    expect(() => parse(text)).toThrow(/request body is empty/);
    try {
      parse(text);
    } catch (e) {
      expect((e as HttpError).status).toBe(400);
    }
  });

  it.each<[string, string, RegExp]>([
    ['a broken object', '{"a": 1,}', /^malformed JSON at line 1, column \d+/],
    ['a broken pretty-printed object', '{\n  "a": 1,\n  "b": }', /^malformed JSON/],
    ['a broken object on line 3 of a one-line-per-element array', '[{"a": 1},\n{"b": 2},\n{"c": }]', /^malformed JSON/],
    ['an unterminated array', '[{"a":1}', /^malformed JSON/],
    ['text', 'hello', /^malformed JSON/],
    ['a broken NDJSON line', '{"a":1}\n{"b":2}\n{"c":\n{"d":4}', /^malformed NDJSON at line 3/],
    ['NDJSON with CRLF and a broken line 4', '{"a":1}\r\n\r\n{"b":2}\r\n{oops}\r\n', /^malformed NDJSON at line 4/],
    ['two pretty-printed objects', '{\n"a": 1\n}\n{\n"b": 2\n}', /^malformed JSON at line 4/],
  ])('refuses %s with 400 saying where', (_, text, message) => {
    try {
      parse(text);
    } catch (e) {
      expect(e).toBeInstanceOf(HttpError);
      expect((e as HttpError).status).toBe(400);
      expect((e as HttpError).message).toMatch(message);
      return;
    }
    throw new Error('accepted');
  });
});
