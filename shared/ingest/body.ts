// Reading and decoding request bodies: size limit while streaming, gzip with the same limit after decoding
// (no gzip bombs), then JSON, JSON array or NDJSON.

import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { type BridgeRequest, HttpError, readBody as readLimited } from '../http.js';

const gunzipAsync = promisify(gunzip);

const JSON_TYPES = [
  'application/json',
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/x-jsonlines',
  'text/plain',
];

/** Rejects content types we cannot read (415); a missing type is read as JSON. */
export function checkContentType(request: BridgeRequest): void {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (!type || JSON_TYPES.includes(type) || type.endsWith('+json')) return;
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
  try {
    return await gunzipAsync(raw, { maxOutputLength: limit });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || (e as Error).message.includes('Cannot create a Buffer larger')) {
      throw new HttpError(413, tooLargeMessage(limit));
    }
    throw new HttpError(400, `body is not valid gzip: ${(e as Error).message}`);
  }
}

/** Where in the text a JSON.parse error points, as line:column. */
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
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

/**
 * Body elements: a JSON array's items, a single JSON value, or NDJSON lines. Returns the elements; a syntax error
 * is a 400 naming the line.
 */
export function parseElements(body: Buffer): unknown[] {
  const text = body.toString('utf8').replace(/^\uFEFF/, '');
  if (!text.trim()) throw new HttpError(400, 'request body is empty; send a JSON object, a JSON array or NDJSON');
  try {
    const value = JSON.parse(text) as unknown;
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
        out.push(JSON.parse(line));
      } catch (e) {
        throw new HttpError(400, `malformed NDJSON at line ${i + 1}: ${(e as Error).message}`);
      }
    }
    return out;
  }
}
