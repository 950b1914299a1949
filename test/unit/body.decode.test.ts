// Issue 10 §2–§3 for request bodies: bytes refused rather than replaced, charsets honoured, integers beyond 2^53
// kept digit for digit, nothing after a gzip stream, and prototype-member names handled as plain data.
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCatalog } from '../../shared/catalog/index.js';
import { MCAS_TABLE } from '../../shared/catalog/mcas.js';
import { toRow } from '../../shared/catalog/rows.js';
import type { JsonRecord } from '../../shared/catalog/types.js';
import { HttpError } from '../../shared/http.js';
import { decodeContent, parseElements, parseJson } from '../../shared/ingest/body.js';
import { charsetOf, invalidUtf8Offset, SUPPORTED_CHARSETS } from '../../shared/ingest/text.js';
import { validateElements } from '../../shared/ingest/validate.js';
import { gunzipRows, packRows } from '../../shared/reliability/envelope.js';

async function httpError(run: () => unknown): Promise<HttpError> {
  try {
    await run();
  } catch (e) {
    expect(e).toBeInstanceOf(HttpError);
    return e as HttpError;
  }
  throw new Error('expected an HttpError');
}

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
const gzipRequest = { headers: new Headers({ 'content-encoding': 'gzip' }) } as Parameters<typeof decodeContent>[0];

describe('§2 invalid UTF-8 is refused with the byte offset, never replaced', () => {
  it.each<[string, Buffer, number]>([
    ['a lone continuation byte', bytes('{"a":"', [0x80], '"}'), 6],
    ['an overlong encoding of "/"', bytes('{"a":"x', [0xc0, 0xaf], '"}'), 7],
    ['a UTF-16 surrogate', bytes('{"a":"', [0xed, 0xa0, 0x80], '"}'), 6],
    ['a code point above U+10FFFF', bytes('{"a":"', [0xf4, 0x90, 0x80, 0x80], '"}'), 6],
    ['0xff', bytes('[1,', [0xff], ']'), 3],
    ['a sequence cut short by the end', bytes('{"é":1}', [0xe2, 0x82]), 8],
    ['a sequence cut short by ASCII', bytes('{"a":"', [0xe2, 0x28, 0xa1], '"}'), 6],
  ])('§2 %s → 400 naming the offset', async (_name, body, offset) => {
    const e = await httpError(() => parseElements(body));
    expect(e.status).toBe(400);
    expect(e.message).toContain(`byte offset ${offset}`);
    expect(e.details.byteOffset).toBe(offset);
  });

  it('§2 two bodies that differ only in invalid bytes are not one text', async () => {
    // Before: both became {"a":"\uFFFD"} and verified under one signature.
    for (const b of [0x80, 0xff]) expect((await httpError(() => parseElements(bytes('{"a":"', [b], '"}')))).status).toBe(400);
  });

  it('finds the offset exactly where a strict decoder first fails, for any bytes', () => {
    const strict = new TextDecoder('utf-8', { fatal: true });
    const decodes = (b: Uint8Array) => {
      try {
        strict.decode(b);
        return true;
      } catch {
        return false;
      }
    };
    const mostlyUtf8 = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc
        .tuple(fc.string({ unit: 'grapheme', maxLength: 10 }), fc.uint8Array({ maxLength: 3 }), fc.string({ maxLength: 5 }))
        .map(([a, b, c]) => bytes(a, [...b], c)),
    );
    fc.assert(
      fc.property(mostlyUtf8, (b) => {
        const at = invalidUtf8Offset(b);
        expect(at === -1).toBe(decodes(b));
        // Everything before the offset is valid: it is the first bad sequence.
        if (at >= 0) expect(decodes(b.subarray(0, at))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('§2 charset= is honoured', () => {
  const body = (text: string, charset: Parameters<typeof parseElements>[1], raw: number[]) =>
    parseElements(bytes(`{"${text}":"`, raw, '"}'), charset)[0] as Record<string, string>;

  it('§2 windows-1252: 0x80 is the euro sign, 0xe9 é', () => {
    expect(body('w', 'windows-1252', [0x80, 0xe9]).w).toBe('€é');
  });

  it('§2 ISO-8859-1 is ISO-8859-1: 0x80 is U+0080 (not the windows-1252 euro the WHATWG mapping gives), 0xe9 é', () => {
    expect(body('l', 'iso-8859-1', [0x80, 0xe9]).l).toBe('\u0080é');
  });

  it('§2 US-ASCII refuses a byte above 0x7f with its offset', async () => {
    const e = await httpError(() => body('a', 'us-ascii', [0xe9]));
    expect(e.status).toBe(400);
    expect(e.message).toContain('byte offset 6');
  });

  it.each<[string | null, string]>([
    [null, 'utf-8'],
    ['application/json', 'utf-8'],
    ['application/json; charset=UTF-8', 'utf-8'],
    ['application/json;charset="windows-1252"', 'windows-1252'],
    ['application/json; Charset=Latin1', 'iso-8859-1'],
    ['application/json; charset=iso-8859-1; foo=bar', 'iso-8859-1'],
    ['text/plain; charset=us-ascii', 'us-ascii'],
  ])('reads the charset of %s as %s', (header, charset) => {
    expect(charsetOf(header)).toBe(charset);
  });

  it('§2 an unknown charset is a 415 naming it and listing the supported ones', async () => {
    const e = await httpError(() => charsetOf('application/json; charset=utf-16'));
    expect(e.status).toBe(415);
    expect(e.message).toContain('"utf-16"');
    for (const name of ['utf-8', 'iso-8859-1', 'windows-1252', 'us-ascii']) expect(e.message).toContain(name);
    expect(e.details.supportedCharsets).toEqual(SUPPORTED_CHARSETS);
  });
});

describe('§2 integers beyond 2^53 keep their digits', () => {
  it('§2 an integer beyond 2^53 in a body keeps its digits (as a string), nested or not', () => {
    const [a, b] = parseElements(
      Buffer.from('[{"n":9007199254740993,"m":[-9223372036854775809,1.5,12],"s":"9007199254740993"},{"n":3}]'),
    ) as JsonRecord[];
    expect(a).toEqual({ n: '9007199254740993', m: ['-9223372036854775809', 1.5, 12], s: '9007199254740993' });
    expect(b).toEqual({ n: 3 });
  });

  it('§2 NDJSON lines keep them too', () => {
    expect(parseElements(Buffer.from('{"n":18446744073709551615}\n{"n":1}\n'))).toEqual([{ n: '18446744073709551615' }, { n: 1 }]);
  });

  it('gives what JSON.parse gives for any JSON, except that integers written beyond 2^53 come back as their digits', () => {
    const digitsBeyondSafe = (_key: string, v: unknown) =>
      typeof v === 'number' && !Number.isSafeInteger(v) && /^-?\d+$/.test(String(v)) ? String(v) : v;
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        expect(parseJson(text)).toEqual(JSON.parse(text, digitsBeyondSafe));
      }),
      { numRuns: 500 },
    );
  });

  it('on the lossless path, the last of duplicate keys wins and "__proto__" is a plain key, as with JSON.parse', () => {
    const text = '{"a":1,"a":2,"__proto__":{"x":1},"big":12345678901234567890}';
    const parsed = parseJson(text) as JsonRecord;
    expect(parsed.a).toBe(2);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.hasOwn(parsed, '__proto__')).toBe(true);
    expect(parsed.big).toBe('12345678901234567890');
  });

  const mcasRow = (extra: JsonRecord) => ({ AppName: 'Box', TimeGenerated: '2026-01-01T00:00:00Z', ...extra });
  const rowOf = (text: string) => {
    const [record] = parseElements(Buffer.from(text)) as JsonRecord[];
    const type = buildCatalog().source('mcas')?.types[0];
    if (!type || !record) throw new Error('no mcas type');
    const result = toRow(type, MCAS_TABLE, record, { receivedAt: new Date().toISOString() });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.row;
  };

  it('§2 a long column gets the exact value beyond 2^53 (digits the service converts to its 64-bit long)', () => {
    const row = rowOf(`${JSON.stringify(mcasRow({})).slice(0, -1)},"TotalBytes":9223372036854775807,"UploadedBytes":9007199254740993}`);
    expect(row.TotalBytes).toBe('9223372036854775807');
    expect(row.UploadedBytes).toBe('9007199254740993');
    expect(row.Unconverted).toBeUndefined();
    // and through the queue envelope unchanged
    const [group] = packRows([row]);
    expect(gunzipRows(group?.gz ?? Buffer.alloc(0))[0]?.TotalBytes).toBe('9223372036854775807');
  });

  it('§2 a long beyond 2^63−1 is never rounded: the column stays empty, RawData keeps the digits, Unconverted names it', () => {
    const row = rowOf(`${JSON.stringify(mcasRow({ DownloadedBytes: 5 })).slice(0, -1)},"TotalBytes":9223372036854775808}`);
    expect(row.TotalBytes).toBeUndefined();
    expect(row.DownloadedBytes).toBe(5);
    expect(row.Unconverted).toEqual(['TotalBytes']);
    expect((row.RawData as JsonRecord).TotalBytes).toBe('9223372036854775808');
  });

  it('§2 an int column beyond 32 bits is listed in Unconverted and kept in RawData, not sent for the service to null', () => {
    const row = rowOf(JSON.stringify(mcasRow({ AppId: 2 ** 31 })));
    expect(row.AppId).toBeUndefined();
    expect(row.Unconverted).toEqual(['AppId']);
    expect((row.RawData as JsonRecord).AppId).toBe(2 ** 31);
  });

  it('a safe integer stays a number, and a column bound still rejects', () => {
    expect(rowOf(JSON.stringify(mcasRow({ TotalBytes: 42 }))).TotalBytes).toBe(42);
    const type = buildCatalog().source('mcas')?.types[0];
    if (!type) throw new Error('no mcas type');
    const result = toRow(type, MCAS_TABLE, { TotalBytes: '-9223372036854775809' }, { receivedAt: new Date().toISOString() });
    expect(result.ok).toBe(false);
  });
});

describe('§2 trailing bytes after a gzip stream', () => {
  const json = Buffer.from('[{"a":1}]');

  it('§2 trailing bytes after a gzip stream → 400 naming the offset (zero padding too, which zlib skips quietly)', async () => {
    const gz = gzipSync(json);
    for (const tail of [[0], [0, 0x41, 0x42], [0x0a], [0x1f]]) {
      const e = await httpError(() => decodeContent(gzipRequest, Buffer.concat([gz, Buffer.from(tail)]), 1024));
      expect(e.status).toBe(400);
      expect(e.message).toMatch(/gzip/);
      if (tail[0] === 0) expect(e.message).toContain(`byte offset ${gz.length}`);
    }
  });

  it('concatenated gzip members are one gzip file (RFC 1952 §2.2) and decode to their concatenation', async () => {
    const body = Buffer.concat([gzipSync('[{"a":1},'), gzipSync('{"b":2}]')]);
    expect(parseElements(await decodeContent(gzipRequest, body, 1024))).toEqual([{ a: 1 }, { b: 2 }]);
  });
});

describe('§3 prototype-member names are data', () => {
  const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '__defineGetter__'];
  const SEVERITIES = ['high', 'medium', 'low', 'info'];
  const records = (name: string): JsonRecord[] => [
    { details: { notification_type: name } },
    { details: { notification_type: 'security_issue', security_issue: { risk: name } } },
    { details: { notification_type: 'vuln', vuln: { threat: name } } },
    { threat: name, title: 'x' },
  ];

  for (const wallarmTable of [undefined, 'WallarmSentinel_CL']) {
    it.each(names)(
      `§3 a Wallarm risk, threat or notification_type of "%s" is a row with a real severity, not an exception (${wallarmTable ?? 'per-type tables'})`,
      (name) => {
        const catalog = buildCatalog({ wallarmTable });
        const source = catalog.source('wallarm');
        if (!source) throw new Error('no wallarm');
        const batch = validateElements(records(name), { catalog, source, context: { receivedAt: new Date().toISOString() } });
        expect(batch.accepted + batch.rejected.length).toBe(4);
        for (const rows of batch.streams.values())
          for (const row of rows) {
            if (row.Severity !== undefined) expect(SEVERITIES).toContain(row.Severity);
            expect(typeof row.EventType).toBe('string');
          }
      },
    );
  }

  it.each(names)('§3 a time-generated-field of "%s" reads no inherited member', (name) => {
    const type = buildCatalog().source('generic')?.fallback?.('event');
    if (!type) throw new Error('no generic type');
    const result = toRow(type, type.table, { a: 1 }, { receivedAt: '2026-01-01T00:00:00.000Z', timeField: name });
    expect(result).toMatchObject({ ok: true, row: { TimeGenerated: '2026-01-01T00:00:00.000Z' } });
  });
});
