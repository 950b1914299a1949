// Reading and decoding request bodies: size limit while streaming, gzip with the same limit after decoding
// (no gzip bombs), text in the declared charset (never a replacement character), then JSON, JSON array or NDJSON
// with integers beyond 2^53 kept digit for digit.

import { promisify } from 'node:util';
import { gunzip, type ZlibOptions } from 'node:zlib';
import { isInteger, isSafeNumber, parse as parseLossless } from 'lossless-json';
import { type BridgeRequest, HttpError, readBody as readLimited } from '../http.js';
import { type Charset, charsetOf, checkCharset, decodeText, sliceText } from './text.js';

// @types/node has no overload for `info: true`, which Node documents for the convenience methods.
const gunzipAsync = promisify(gunzip) as unknown as (raw: Buffer, options: ZlibOptions & { info: true }) => Promise<GunzipInfo>;

/** `info: true` hands back the engine too, whose bytesWritten counts the input bytes zlib consumed. */
interface GunzipInfo {
  buffer: Buffer;
  engine: { bytesWritten: number };
}

const JSON_TYPES = [
  'application/json',
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/x-jsonlines',
  'text/plain',
];

/** Rejects content types and charsets we cannot read (415); a missing type is read as JSON. Returns the charset. */
export function checkContentType(request: BridgeRequest): Charset {
  const header = request.headers.get('content-type');
  const type = header?.split(';')[0]?.trim().toLowerCase();
  if (!type || JSON_TYPES.includes(type) || type.endsWith('+json')) return charsetOf(header);
  throw new HttpError(415, `unsupported Content-Type ${type}; send JSON (application/json) or NDJSON (application/x-ndjson)`, {
    accepted: JSON_TYPES,
  });
}

const tooLargeMessage = (limit: number) =>
  `request body is larger than ${limit} bytes (INGEST_MAX_BODY_BYTES); split it into smaller requests`;

/** The raw body, refused with 413 as soon as it passes the limit; `onBytes` hears the running total (the budget). */
export const readBody = (request: BridgeRequest, limit: number, onBytes?: (total: number) => void): Promise<Buffer> =>
  readLimited(request, limit, tooLargeMessage(limit), onBytes);

/** Undoes Content-Encoding: gzip, holding the decoded size to the same limit. */
export async function decodeContent(request: BridgeRequest, raw: Buffer, limit: number): Promise<Buffer> {
  const encoding = request.headers.get('content-encoding')?.trim().toLowerCase();
  if (!encoding || encoding === 'identity') return raw;
  if (encoding !== 'gzip' && encoding !== 'x-gzip') throw new HttpError(415, `unsupported Content-Encoding ${encoding}; use gzip or none`);
  let decoded: GunzipInfo;
  try {
    decoded = await gunzipAsync(raw, { maxOutputLength: limit, info: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || (e as Error).message.includes('Cannot create a Buffer larger')) {
      throw new HttpError(413, tooLargeMessage(limit));
    }
    throw new HttpError(400, `body is not valid gzip: ${(e as Error).message}`);
  }
  // RFC 1952 §2.2: a gzip file is a series of members, each decoded in turn; anything after the last member is not
  // gzip. zlib stops quietly at such bytes when they start with 0x00, so the consumed count is the check.
  const consumed = decoded.engine.bytesWritten;
  if (consumed < raw.length) {
    throw new HttpError(
      400,
      `body is not valid gzip: ${raw.length - consumed} byte(s) after the end of the gzip stream, at byte offset ${consumed}; send one gzip stream (several members are fine) and nothing after it`,
    );
  }
  return decoded.buffer;
}

/**
 * A JSON integer of 16 digits or more may be beyond 2^53 (9007199254740992 has 16): such text is parsed losslessly.
 * Only a run standing as a whole number token counts (after `[ : ,` or space, before `, ] }` or space): digits in
 * ids and hashes inside strings, fractions and exponents do not send a body down the slow path.
 */
const LONG_INTEGER = /(?:^|[[:,\s])-?\d{16,}(?=[\s,\]}]|$)/;

/** Integers beyond Number.MAX_SAFE_INTEGER stay strings of their digits; every other number is what JSON.parse gives. */
const exactNumber = (text: string): unknown => (isInteger(text) && !isSafeNumber(text) ? text : Number.parseFloat(text));

/** The last of duplicate keys wins, as with JSON.parse. */
const lastDuplicateWins = ({ newValue }: { newValue: unknown }) => newValue;

/**
 * JSON.parse, except that integers beyond 2^53 keep their digits (as strings). Text with no 16-digit integer cannot
 * hold one and takes JSON.parse itself; only the rest pays for the lossless parser (about 6× slower).
 */
export function parseJson(text: string): unknown {
  if (!LONG_INTEGER.test(text)) return JSON.parse(text);
  return parseLossless(text, null, { parseNumber: exactNumber, onDuplicateKey: lastDuplicateWins });
}

/** Where in the text a parse error points, as line:column. */
function position(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return '';
  const offset = Number(m[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return ` at line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

function parsesAlone(line: string): boolean {
  try {
    parseJson(line);
    return true;
  } catch {
    return false;
  }
}

/**
 * Body elements: a JSON array's items, a single JSON value, or NDJSON lines. Returns the elements; bytes invalid in
 * the charset are a 400 naming the offset, a syntax error a 400 naming the line.
 */
export function parseElements(body: Buffer, charset: Charset = 'utf-8'): unknown[] {
  return [...bodyElements(body, charset)];
}

/**
 * parseElements on the whole text: the reference the record-by-record reader falls back to for its answers (and
 * that test/unit/body.stream.test.ts holds it to).
 */
export function parseWhole(body: Buffer, charset: Charset): unknown[] {
  const text = decodeText(body, charset).replace(/^\uFEFF/, '');
  if (!text.trim()) throw new HttpError(400, 'request body is empty; send a JSON object, a JSON array or NDJSON');
  try {
    const value = parseJson(text);
    return Array.isArray(value) ? value : [value];
  } catch (whole) {
    const lines = text.split('\n');
    const nonEmpty = lines.filter((l) => l.trim());
    // Several lines that each parse are NDJSON; otherwise the document's own error is the useful one.
    if (nonEmpty.length < 2 || !parsesAlone(nonEmpty[0] as string)) {
      throw new HttpError(400, `malformed JSON${position(text, (whole as Error).message)}: ${(whole as Error).message}`);
    }
    const out: unknown[] = [];
    for (const [i, line] of lines.entries()) {
      if (!line.trim()) continue;
      try {
        out.push(parseJson(line));
      } catch (e) {
        throw new HttpError(400, `malformed NDJSON at line ${i + 1}: ${(e as Error).message}`);
      }
    }
    return out;
  }
}

/**
 * The body's elements one at a time, as parseElements gives them, without the whole body as one string and one
 * parsed tree: a JSON array's items and NDJSON lines are each cut from the bytes, decoded and parsed alone, so at a
 * 30 MB body only the item in hand is held beside the bytes. Anything else (one object, a number, a body that is not
 * well formed) goes to the whole-text reader, whose answers, errors included, are the reference; an error found
 * after some elements were handed out ends the iteration with that same answer.
 */
export function* bodyElements(body: Buffer, charset: Charset = 'utf-8'): Generator<unknown> {
  checkCharset(body, charset);
  // The BOM's bytes in UTF-8; in the one-byte charsets no byte decodes to U+FEFF.
  const from = charset === 'utf-8' && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  const shape = shapeOf(body, from);
  if (shape.kind === 'other') {
    yield* parseWhole(body, charset);
    return;
  }
  let handed = 0;
  if (shape.kind === 'array') {
    for (const [start, end] of shape.items) {
      let element: unknown;
      try {
        element = parseJson(sliceText(body, charset, start, end));
      } catch {
        // An item that does not parse alone: the whole text does not either, and its error names the place.
        yield* parseWhole(body, charset).slice(handed);
        return;
      }
      handed += 1;
      yield element;
    }
    return;
  }
  // Several top-level values, so the body is not one JSON document: NDJSON, line by line, as parseWhole reads it.
  let lineNo = 0;
  for (let start = from; start <= body.length; lineNo += 1) {
    const nl = body.indexOf(0x0a, start);
    const end = nl < 0 ? body.length : nl;
    const line = sliceText(body, charset, start, end);
    start = end + 1;
    if (!line.trim()) continue;
    let element: unknown;
    try {
      element = parseJson(line);
    } catch (e) {
      // The first line not parsing alone makes it not NDJSON: the document's error, from the whole-text reader.
      if (handed === 0) yield* parseWhole(body, charset);
      else throw new HttpError(400, `malformed NDJSON at line ${lineNo + 1}: ${(e as Error).message}`);
      return;
    }
    handed += 1;
    yield element;
  }
  // One non-empty line only: not NDJSON, and the whole-text reader answers with the document's error.
  if (handed < 2) yield* parseWhole(body, charset).slice(handed);
}

type Shape = { kind: 'array'; items: [number, number][] } | { kind: 'values' } | { kind: 'other' };

const isJsonSpace = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/**
 * The top-level structure of the bytes, from JSON's punctuation alone (strings skipped with their escapes): one array
 * with where each item starts and ends; several values (NDJSON); or anything else. Items are only cut here; whether
 * they are JSON is the parser's call.
 */
function shapeOf(body: Buffer, from: number): Shape {
  let i = from;
  while (isJsonSpace(body[i])) i += 1;
  if (i >= body.length) return { kind: 'other' };
  const first = body[i];
  const items: [number, number][] = [];
  let depth = 0;
  let itemStart = -1;
  const isArray = first === 0x5b;
  for (; i < body.length; i += 1) {
    const b = body[i] as number;
    if (b === 0x22) {
      if (depth === 1 && isArray && itemStart < 0) itemStart = i;
      // A string: to its closing quote, past escaped characters.
      for (i += 1; i < body.length && body[i] !== 0x22; i += 1) if (body[i] === 0x5c) i += 1;
      if (i >= body.length) return { kind: 'other' };
      continue;
    }
    if (b === 0x5b || b === 0x7b) {
      depth += 1;
      if (depth === 2 && isArray && itemStart < 0) itemStart = i;
      continue;
    }
    if (b === 0x5d || b === 0x7d) {
      depth -= 1;
      if (depth < 0 || (depth === 0 && isArray && b !== 0x5d)) return { kind: 'other' };
      if (depth === 0) break;
      continue;
    }
    if (depth === 0) {
      // A top-level scalar: ends at the first space or punctuation.
      if (isJsonSpace(b) || b === 0x2c || b === 0x3a) break;
      continue;
    }
    if (depth === 1 && isArray) {
      if (b === 0x2c) {
        if (itemStart < 0) return { kind: 'other' };
        items.push([itemStart, i]);
        itemStart = -1;
      } else if (itemStart < 0 && !isJsonSpace(b)) itemStart = i;
    }
  }
  if (depth !== 0) return { kind: 'other' };
  const closing = i;
  for (i += 1; i < body.length; i += 1) if (!isJsonSpace(body[i])) return { kind: 'values' };
  if (!isArray) return { kind: 'other' };
  if (itemStart >= 0) items.push([itemStart, closing]);
  // `[1,]`, `[,1]`: left to the parser's error.
  else if (items.length > 0) return { kind: 'other' };
  return { kind: 'array', items };
}
