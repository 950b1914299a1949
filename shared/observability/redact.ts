// Example values shown to operators (the schema drift report): redacted when the field's name is one the logger
// redacts (REDACT_PATHS) or looks like a credential, or when the value looks like one; URLs by host only, objects by
// their shape; capped.
import { REDACT_PATHS, safeUrl } from './logger.js';

export const REDACTED = '[redacted]';
/** Characters an example keeps; longer values end in "…". */
export const EXAMPLE_CHARS = 120;

/** The last name of each logger redaction path (`*.secret`, `headers["x-bridge-secret"]` → secret, x-bridge-secret). */
const LOGGER_NAMES = REDACT_PATHS.map((p) => (p.match(/\["([^"]+)"\]$/)?.[1] ?? p.split('.').pop() ?? p).toLowerCase());
const SECRET_NAME = /(pass(word|wd)?|secret|token|api[-_]?key|auth|credential|signature|cookie|session|private|bearer|sharedkey|sas)/i;
/** Values that read as credentials: an Authorization scheme, a JWT, a SAS signature, a long unbroken token. */
const SECRET_VALUE = [
  /^(bearer|basic|sharedkey|sharedaccesssignature)\s/i,
  /^eyJ[\w-]{5,}\.[\w-]{5,}\./,
  /[?&]sig=/i,
  /^[A-Za-z0-9+/_=-]{32,}$/,
];

const lastName = (path: string) => path.split('.').pop()?.toLowerCase() ?? '';

/** A short, safe text of `value` found at `path` (dotted), for display. */
export function redactExample(path: string, value: unknown): string {
  const name = lastName(path);
  if (LOGGER_NAMES.includes(name) || SECRET_NAME.test(name)) return REDACTED;
  if (typeof value === 'string') {
    if (SECRET_VALUE.some((re) => re.test(value.trim()))) return REDACTED;
    if (/^https?:\/\//i.test(value)) return `${safeUrl(value)}/…`;
  }
  // Objects and arrays by their shape only: their content may hold fields of any name.
  if (Array.isArray(value)) return `[${value.length} items]`;
  if (typeof value === 'object' && value !== null) return `{${Object.keys(value).length} fields}`;
  const text = typeof value === 'string' ? value : String(value);
  return text.length > EXAMPLE_CHARS ? `${text.slice(0, EXAMPLE_CHARS)}…` : text;
}
