// Structured JSON logs (pino) with secrets redacted by path; URLs of secret-bearing destinations are logged by host only.
import pino, { type Logger } from 'pino';

export const REDACT_PATHS = [
  'secret',
  '*.secret',
  'routingKey',
  '*.routingKey',
  'callbackSecret',
  '*.callbackSecret',
  'restApiKey',
  '*.restApiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["x-bridge-secret"]',
  'headers["webhook-signature"]',
  'sharedKey',
  '*.sharedKey',
  'url',
  '*.url',
];

/** The app's root logger; built once by the composition root (shared/app.ts). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { app: 'sentinel-bridge' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}

/** Scheme and host of a URL only: webhook URLs of Teams, Slack and SIGNL4 carry their secret in the path or query. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '[invalid url]';
  }
}
