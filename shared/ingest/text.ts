// Body bytes → text in the charset the request names (Content-Type `charset=`, UTF-8 by default). Bytes that are not
// valid in it are refused with the offset of the first one, never replaced: a replacement character would make two
// different bodies one text, and a signature over one would then cover both.
import { isAscii, isUtf8 } from 'node:buffer';
import { HttpError } from '../http.js';

/**
 * Charsets a body may be sent in (Content-Type `charset=`), by label. ISO-8859-1 is decoded as ISO-8859-1 (every
 * byte is the code point of the same value), not as windows-1252 as the WHATWG Encoding Standard has browsers do:
 * a sender naming ISO-8859-1 gets exactly those characters back, and one sending windows-1252 can say so.
 * US-ASCII is strict: a byte ≥ 0x80 is an error, not a guess.
 */
const CHARSETS = new Map<string, Charset>([
  ['utf-8', 'utf-8'],
  ['utf8', 'utf-8'],
  ['iso-8859-1', 'iso-8859-1'],
  ['iso8859-1', 'iso-8859-1'],
  ['iso_8859-1', 'iso-8859-1'],
  ['latin1', 'iso-8859-1'],
  ['l1', 'iso-8859-1'],
  ['windows-1252', 'windows-1252'],
  ['cp1252', 'windows-1252'],
  ['us-ascii', 'us-ascii'],
  ['ascii', 'us-ascii'],
]);

export type Charset = 'utf-8' | 'iso-8859-1' | 'windows-1252' | 'us-ascii';

export const SUPPORTED_CHARSETS: readonly string[] = [...CHARSETS.keys()];

/** The body's charset from Content-Type (UTF-8 when none is named); an unknown one is a 415 naming it. */
export function charsetOf(contentType: string | null | undefined): Charset {
  const label = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType ?? '');
  const name = (label?.[1] ?? label?.[2] ?? 'utf-8').trim().toLowerCase();
  const charset = CHARSETS.get(name);
  if (charset) return charset;
  throw new HttpError(415, `unsupported charset "${name}"; send UTF-8 or name one of: ${SUPPORTED_CHARSETS.join(', ')}`, {
    supportedCharsets: SUPPORTED_CHARSETS,
  });
}

/**
 * Offset of the first byte that does not start a well-formed UTF-8 sequence (Unicode Standard, Table 3-7: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or -1 when every byte is well-formed.
 */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] as number;
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    // Continuation bytes needed, and the range the first of them must be in.
    let needed: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) needed = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      needed = 2;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      needed = 3;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k <= needed; k += 1) {
      const next = bytes[i + k];
      if (next === undefined || next < (k === 1 ? low : 0x80) || next > (k === 1 ? high : 0xbf)) return i;
    }
    i += needed + 1;
  }
  return -1;
}

const hexByte = (b: number | undefined) => `0x${(b ?? 0).toString(16).padStart(2, '0')}`;

// ignoreBOM: a BOM stays in the text (the JSON reader drops it), so the text is exactly the bytes.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/**
 * windows-1252 where it differs from ISO-8859-1 (0x80–0x9F), from the WHATWG index
 * (encoding.spec.whatwg.org/index-windows-1252.txt; the five unassigned bytes map to the C1 control of the same
 * value, as there). Not TextDecoder: Node 20's decodes 'windows-1252' as ISO-8859-1 (0x80 → U+0080, tried here).
 */
const WINDOWS_1252_C1 = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019,
  0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
].map((code) => String.fromCharCode(code));

const decodeWindows1252 = (body: Buffer) =>
  body.toString('latin1').replace(/[\x80-\x9f]/g, (c) => WINDOWS_1252_C1[c.charCodeAt(0) - 0x80] as string);

/**
 * Refuses a body with bytes that are not valid in its charset: a 400 naming the first one's offset. Replacing them
 * (U+FFFD) would make two different bodies one text, and one signature would then cover both.
 */
export function checkCharset(body: Buffer, charset: Charset): void {
  if (charset === 'utf-8' && !isUtf8(body)) utf8Text(body, UTF8_ADVICE);
  if (charset === 'us-ascii' && !isAscii(body)) {
    const at = body.findIndex((b) => b > 0x7f);
    throw new HttpError(400, `body is not US-ASCII: byte ${hexByte(body[at])} at byte offset ${at}; send UTF-8 or name the charset`, {
      byteOffset: at,
    });
  }
}

/** Bytes `start`–`end` of a body that passed checkCharset, as text; cut only at ASCII bytes (JSON punctuation). */
export function sliceText(body: Buffer, charset: Charset, start = 0, end = body.length): string {
  switch (charset) {
    case 'utf-8':
      return body.toString('utf8', start, end);
    case 'us-ascii':
    case 'iso-8859-1':
      return body.toString('latin1', start, end);
    case 'windows-1252':
      return decodeWindows1252(body.subarray(start, end));
  }
}

/** The body as text in its charset; bytes not valid in it are a 400 naming the first one's offset (checkCharset). */
export function decodeText(body: Buffer, charset: Charset): string {
  checkCharset(body, charset);
  return sliceText(body, charset);
}

const UTF8_ADVICE = 'send UTF-8 or name the charset in Content-Type (charset=windows-1252, …)';

/** The body as UTF-8 text, exactly (no replacement characters); else a 400 naming the offset and what to do. */
export function utf8Text(body: Buffer, advice: string): string {
  try {
    return strictUtf8.decode(body);
  } catch {
    const at = invalidUtf8Offset(body);
    throw new HttpError(400, `body is not valid UTF-8: invalid byte sequence at byte offset ${at} (${hexByte(body[at])}); ${advice}`, {
      byteOffset: at,
    });
  }
}
