// SSRF guard for outbound URLs: https only (http on loopback for local work); private and link-local
// addresses only when explicitly allowed. Checked on the literal URL at start-up and on resolved addresses at send time.
import ipaddr from 'ipaddr.js';

const BLOCKED_RANGES = new Set(['private', 'linkLocal', 'uniqueLocal', 'unspecified', 'carrierGradeNat', 'reserved', 'broadcast']);

export interface UrlPolicy {
  allowPrivate: boolean;
}

function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  return ipaddr.isValid(host) && classify(host) === 'loopback';
}

function classify(address: string): string {
  const parsed = ipaddr.process(address);
  return parsed.range();
}

/** Why an address may not be called, or undefined when it may. */
export function checkAddress(address: string, policy: UrlPolicy): string | undefined {
  if (!ipaddr.isValid(address)) return undefined;
  const range = classify(address);
  if (range === 'loopback') return undefined;
  if (BLOCKED_RANGES.has(range) && !policy.allowPrivate) {
    return `address ${address} is in the ${range} range; set ALLOW_PRIVATE_DESTINATIONS=true to allow it`;
  }
  return undefined;
}

/** Why a URL may not be used as a destination, or undefined when it may. */
export function checkDestinationUrl(url: string, policy: UrlPolicy): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (parsed.protocol === 'http:' && !isLoopbackHost(host)) return 'must be https (http is allowed only on loopback)';
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must be https';
  if (parsed.username || parsed.password) return 'must not carry credentials in the URL';
  return checkAddress(host, policy);
}
