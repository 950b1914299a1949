// Reading and decoding request bodies: size limit while streaming, gzip with the same limit after decoding
// (no gzip bombs), text in the declared charset (never a replacement character), then JSON, JSON array or NDJSON
// with integers beyond 2^53 kept digit for digit.

import { promisify } from 'node:util';
import { gunzip, type ZlibOptions } from 'node:zlib';
import { isInteger, isSafeNumber, parse as parseLossless } from 'lossless-json';
import { type BridgeRequest, HttpError, readBody as readLimited } from '../http.js';
import { type Charset, charsetOf, decodeText } from './text.js';

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

/** The raw body, refused with 413 as soon as it passes the limit. */
export const readBody = (request: BridgeRequest, limit: number): Promise<Buffer> => readLimited(request, limit, tooLargeMessage(limit));

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
