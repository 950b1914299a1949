// Posts a formatted request to a destination: one HTTP POST with an overall timeout, the SSRF guard applied to the
// literal URL and again to every address the host name resolves to, at connect time (so a DNS answer that changes
// after start-up cannot point the bridge at a private, platform or loopback address; the one rule is shared/net/urlPolicy.ts). Redirects are not followed. The outcome says whether a
// retry can help; errors name the destination by scheme and host only, since Teams, Slack and SIGNL4 URLs carry their
// secret in the path or query, and never include secrets or routing keys.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import tls from 'node:tls';
import type { Destination } from '../config.js';
import { type AddressPolicy, addressPolicyFor, checkAddress, checkDestinationUrl } from '../net/urlPolicy.js';
import { safeUrl } from '../observability/logger.js';
import { parseRetryAfter } from '../reliability/retrySchedule.js';
import type { FormattedRequest } from './incident.js';

export interface SendOptions {
  /** ALLOW_PRIVATE_DESTINATIONS: private and link-local addresses may be called (loopback only when the URL names it). */
  allowPrivate: boolean;
  /** Whole-request deadline: connect, send, and the complete answer. */
  timeoutMs: number;
  /** Name resolution; dns.lookup unless a test supplies another. Its answers pass the SSRF guard before use. */
  lookup?: LookupFunction;
  /** A CA trusted besides the system's (EMULATOR_CA_FILE: the local sink's HTTPS, e.g. Slack's response_url). */
  ca?: string;
}

export type SendResult =
  | { ok: true; status: number; reference?: string }
  | { ok: false; status?: number; retryAfterMs?: number; retryable: boolean; error: string };

/** Response bodies are read up to this size (enough for references and error details). */
const RESPONSE_MAX_BYTES = 64 * 1024;
const DETAIL_MAX_CHARS = 300;

class RefusedAddressError extends Error {
  override name = 'RefusedAddressError';
}

class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** A lookup that fails when any answer is an address the policy refuses (the URL's policy: addressPolicyFor). */
export function guardedLookup(policy: AddressPolicy, resolve: LookupFunction = dns.lookup as LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, options, (err, address, family) => {
      if (err) return callback(err, address, family);
      const answers = typeof address === 'string' ? [address] : address.map((a) => a.address);
      for (const answer of answers) {
        const problem = checkAddress(answer, policy);
        if (problem) return callback(new RefusedAddressError(`${hostname} resolves to a refused address: ${problem}`), '', 4);
      }
      callback(null, address, family);
    });
  };
}

export async function sendToDestination(destination: Destination, request: FormattedRequest, options: SendOptions): Promise<SendResult> {
  const where = `${destination.type} destination "${destination.name}" (${safeUrl(destination.url)})`;
  const problem = checkDestinationUrl(destination.url, { allowPrivate: options.allowPrivate });
  if (problem) return { ok: false, retryable: false, error: `${where}: URL refused: ${problem}` };

  let answer: { status: number; headers: http.IncomingHttpHeaders; text: string };
  try {
    answer = await post(new URL(destination.url), request, options);
  } catch (e) {
    const error = e as NodeJS.ErrnoException;
    if (error instanceof RefusedAddressError) return { ok: false, retryable: false, error: `${where}: ${error.message}` };
    if (error instanceof TimeoutError)
      return { ok: false, retryable: true, error: `${where}: no complete answer within ${options.timeoutMs} ms` };
    return {
      ok: false,
      retryable: true,
      error: `${where}: network error ${error.code ?? ''} ${redact(error.message, destination)}`.replace(/\s+/g, ' ').trim(),
    };
  }

  const { status, headers, text } = answer;
  if (status >= 200 && status < 300) {
    const reference = referenceOf(destination.type, text);
    return reference === undefined ? { ok: true, status } : { ok: true, status, reference };
  }
  const detail = detailOf(text, destination);
  const retryable = status === 408 || status === 429 || status >= 500;
  const result: SendResult = {
    ok: false,
    status,
    retryable,
    error: `${where}: HTTP ${status}${detail ? ` "${detail}"` : ''} — ${advice(destination.type, status)}`,
  };
  if (retryable) {
    const retryAfterMs = parseRetryAfter(single(headers['retry-after']));
    if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
  }
  return result;
}

function post(
  url: URL,
  request: FormattedRequest,
  options: SendOptions,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  const client = url.protocol === 'https:' ? https : http;
  const body = Buffer.from(request.body, 'utf8');
  return new Promise((resolve, reject) => {
    const req = client.request(url, {
      method: 'POST',
      headers: { ...request.headers, 'content-length': String(body.length), 'user-agent': 'SentinelBridge/1.0' },
      lookup: guardedLookup(addressPolicyFor(url, { allowPrivate: options.allowPrivate }), options.lookup),
      agent: false,
      ...(options.ca ? { ca: [...tls.rootCertificates, options.ca] } : {}),
    });
    const timer = setTimeout(() => req.destroy(new TimeoutError()), options.timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < RESPONSE_MAX_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).subarray(0, RESPONSE_MAX_BYTES).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
      });
    });
    req.end(body);
  });
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** SIGNL4 answers the inbound webhook with the eventId of the new event; PagerDuty with the dedup_key it applied. */
function referenceOf(type: Destination['type'], text: string): string | undefined {
  const field = type === 'signl4' ? 'eventId' : type === 'pagerduty' ? 'dedup_key' : undefined;
  if (!field || !text) return undefined;
  try {
    const value = (JSON.parse(text) as Record<string, unknown>)[field];
    return typeof value === 'string' && value ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The start of a response body, on one line, with anything secret from the destination removed. */
function detailOf(text: string, destination: Destination): string {
  const oneLine = redact(text, destination).replace(/\s+/g, ' ').trim();
  return oneLine.length > DETAIL_MAX_CHARS ? `${oneLine.slice(0, DETAIL_MAX_CHARS - 1)}…` : oneLine;
}

function redact(text: string, destination: Destination): string {
  const secrets = [destination.secret, destination.routingKey];
  try {
    const url = new URL(destination.url);
    secrets.push(url.pathname.length > 1 ? url.pathname : undefined, url.search || undefined);
    for (const part of url.pathname.split('/')) if (part.length >= 6) secrets.push(part);
    for (const value of url.searchParams.values()) if (value.length >= 6) secrets.push(value);
  } catch {
    // an unparsable URL was refused before sending
  }
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('[redacted]');
  return out;
}

/** What a person can do about a refusal, by status and destination. */
export function advice(type: Destination['type'], status: number): string {
  if (status >= 300 && status < 400)
    return 'the destination answered with a redirect, which is not followed: set the URL to the final address';
  if (status === 408 || status === 429 || status >= 500) {
    return status === 429
      ? 'rate limited by the destination; retryable (after Retry-After when given)'
      : 'the destination is unavailable or overloaded; retryable';
  }
  const byType: Partial<Record<Destination['type'], Partial<Record<number, string>>>> = {
    signl4: {
      400: 'SIGNL4 could not read the alert; check the payload it quotes',
      401: 'SIGNL4 refused the team or integration secret in the URL; copy the webhook URL from SIGNL4 again',
      403: 'SIGNL4 refused the team or integration secret in the URL; copy the webhook URL from SIGNL4 again',
      404: 'no SIGNL4 webhook at this URL; copy the webhook URL (https://connect.signl4.com/webhook/<team secret>) from SIGNL4',
    },
    pagerduty: {
      400: 'PagerDuty rejected the event: check routingKey is the 32-character integration key of an Events API v2 integration',
      401: 'PagerDuty refused the routing key; use the integration key of an Events API v2 integration',
      403: 'PagerDuty refused the routing key; use the integration key of an Events API v2 integration',
      404: 'not the PagerDuty Events API; the URL should be https://events.pagerduty.com/v2/enqueue',
    },
    teams: {
      400: 'the workflow rejected the message: it needs the "When a Teams webhook request is received" trigger posting an Adaptive Card',
      401: 'the workflow refused the call: it may be turned off, its owner gone, or its URL regenerated; copy the current URL (with its sig parameter) from the workflow',
      403: 'the workflow refused the call: it may be turned off, its owner gone, or its URL regenerated; copy the current URL (with its sig parameter) from the workflow',
      404: 'no workflow at this URL: it was deleted or the URL is incomplete; copy it again from the workflow trigger',
    },
    slack: {
      400: 'Slack rejected the message (invalid_payload / invalid_blocks)',
      403: 'Slack refused the post (action_prohibited): a workspace admin restricts this webhook',
      404: 'Slack knows no such webhook or channel (no_service / channel_not_found): create a new incoming webhook',
      410: 'the Slack channel is archived (channel_is_archived): point the webhook at another channel',
    },
    webhook: {
      400: 'the receiver rejected the CloudEvent; check the body it quotes',
      401: 'the receiver refused the request: check it verifies with the same whsec_ secret as this destination',
      403: 'the receiver refused the request: check it verifies with the same whsec_ secret as this destination',
      404: 'nothing at this URL on the receiver; check the path',
    },
  };
  const specific = byType[type]?.[status];
  if (specific) return specific;
  if (status === 410) return 'the destination says it is gone for good: update or remove this destination';
  if (status === 413) return 'the destination says the request is too large';
  if (status === 404) return 'not found: the URL is wrong or the endpoint was removed';
  if (status === 401 || status === 403) return 'the destination refused the credentials in the URL or request';
  return 'the destination refused the request; retrying will not help until the destination or its configuration changes';
}
