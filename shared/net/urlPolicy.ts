// SSRF guard for outbound URLs (destinations, NOTIFY_WEBHOOK_URL), one rule applied twice: to the literal URL at start-up
// and to every address its host name resolves to, at connect time (shared/destinations/send.ts).
// - https only; http only to a URL that names loopback.
// - Loopback only when the URL names it: 127.0.0.0/8, [::1] (or its IPv4-mapped form) or `localhost` — the local sink.
//   A DNS name that resolves to loopback is refused, like any other name pointing inside the host.
// - Private, link-local, unique-local and CGNAT addresses only with ALLOW_PRIVATE_DESTINATIONS=true.
// - Never, whatever the settings: the Azure instance metadata service 169.254.169.254 and the Azure platform (WireServer)
//   168.63.129.16, unspecified, broadcast, multicast, reserved, documentation and other special-purpose ranges.
// - IPv6 that carries an IPv4 address (IPv4-mapped ::ffff:0:0/96, IPv4-translated ::ffff:0:0:0/96, IPv4-compatible
//   ::/96, NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo 2001::/32) is judged by the IPv4 address it carries.
// Ranges are ipaddr.js's (its IANA special-purpose registry: RFC 6890 and successors); only `unicast` is public.
import ipaddr from 'ipaddr.js';

export interface UrlPolicy {
  /** ALLOW_PRIVATE_DESTINATIONS. */
  allowPrivate: boolean;
}

/** The policy for the addresses of one URL: `loopback` when the URL names loopback itself. */
export interface AddressPolicy extends UrlPolicy {
  loopback: boolean;
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;

const PRIVATE_V4 = new Set(['private', 'linkLocal', 'carrierGradeNat']);
const PRIVATE_V6 = new Set(['linkLocal', 'uniqueLocal', 'deprecatedSiteLocal']);

/** Azure addresses no destination may be: https://learn.microsoft.com/azure/virtual-network/what-is-ip-address-168-63-129-16
 * and https://learn.microsoft.com/azure/virtual-machines/instance-metadata-service. */
const AZURE_PLATFORM: readonly [string, ipaddr.IPv4][] = [
  ['the Azure instance metadata service (IMDS)', ipaddr.IPv4.parse('169.254.169.254')],
  ['the Azure platform address (WireServer)', ipaddr.IPv4.parse('168.63.129.16')],
];

const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

const v4 = (high: number, low: number) => ipaddr.IPv4.parse(`${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`);

/** The IPv4 addresses an IPv6 address carries, with the mechanism's name; undefined when it carries none. */
function embeddedIPv4(address: ipaddr.IPv6): { via: string; addresses: ipaddr.IPv4[] } | undefined {
  const p = address.parts as number[];
  const last = () => v4(p[6] as number, p[7] as number);
  switch (address.range()) {
    case 'rfc6145':
      return { via: 'IPv4-translated (RFC 6145)', addresses: [last()] };
    case 'rfc6052':
      // 64:ff9b::/96 carries the address in its last 32 bits; the local-use 64:ff9b:1::/48 (RFC 8215) is refused below.
      return address.match(NAT64_WELL_KNOWN) ? { via: 'NAT64 (RFC 6052)', addresses: [last()] } : undefined;
    case '6to4':
      return { via: '6to4 (RFC 3056)', addresses: [v4(p[1] as number, p[2] as number)] };
    case 'teredo':
      // RFC 4380 §4: the server's IPv4 in bits 32–63, the client's (the one reached) in bits 96–127, inverted.
      return {
        via: 'Teredo (RFC 4380)',
        addresses: [v4(p[2] as number, p[3] as number), v4(~(p[6] as number) & 0xffff, ~(p[7] as number) & 0xffff)],
      };
    default:
      return address.range() === 'unicast' && address.match(IPV4_COMPATIBLE)
        ? { via: 'IPv4-compatible (RFC 4291 §2.5.5.1)', addresses: [last()] }
        : undefined;
  }
}

function judge(address: Address, policy: AddressPolicy, shown: string): string | undefined {
  const range = address.range();
  if (address.kind() === 'ipv4') {
    for (const [what, platform] of AZURE_PLATFORM)
      if (address.toString() === platform.toString()) return `address ${shown} is ${what}, which is never called`;
  } else {
    const embedded = embeddedIPv4(address as ipaddr.IPv6);
    if (embedded) {
      for (const inner of embedded.addresses) {
        // Loopback reached through a translation prefix is not the host's own loopback: never a destination.
        const problem = judge(inner, { ...policy, loopback: false }, inner.toString());
        if (problem) return `address ${shown} carries ${inner} (${embedded.via}): ${problem}`;
      }
      return undefined;
    }
  }
  if (range === 'unicast') return undefined;
  if (range === 'loopback')
    return policy.loopback
      ? undefined
      : `address ${shown} is loopback, which is reached only by naming it in the URL (127.0.0.1, [::1] or localhost)`;
  if ((address.kind() === 'ipv4' ? PRIVATE_V4 : PRIVATE_V6).has(range))
    return policy.allowPrivate ? undefined : `address ${shown} is in the ${range} range; set ALLOW_PRIVATE_DESTINATIONS=true to allow it`;
  return `address ${shown} is in the ${range} range, which is never called`;
}

/** IPv6 with a dotted IPv4 tail in hex, as the WHATWG URL parser writes it: ipaddr.js would read "::a.b.c.d" (IPv4-
 * compatible) as IPv4-mapped. */
function hexIPv6(address: string): string {
  if (!address.includes(':') || !address.includes('.')) return address;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
}

/** An address as Node connects to it: an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is its IPv4 address. */
function parse(address: string): Address | undefined {
  const text = hexIPv6(address);
  return ipaddr.isValid(text) ? ipaddr.process(text) : undefined;
}

/** Why an address may not be called under a policy, or undefined when it may (a non-address is not judged here). */
export function checkAddress(address: string, policy: AddressPolicy): string | undefined {
  const parsed = parse(address);
  return parsed ? judge(parsed, policy, address) : undefined;
}

/** The URL's host without IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

/** Whether a URL names loopback itself (127.0.0.0/8, [::1], ::ffff:127.x, localhost); a DNS name never does. */
export function namesLoopback(url: URL): boolean {
  const host = hostOf(url);
  return host === 'localhost' || parse(host)?.range() === 'loopback';
}

/** The policy for the addresses a URL's host resolves to. */
export function addressPolicyFor(url: URL, policy: UrlPolicy): AddressPolicy {
  return { ...policy, loopback: namesLoopback(url) };
}

/** Why a URL may not be used as a destination, or undefined when it may. */
export function checkDestinationUrl(url: string, policy: UrlPolicy): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must be https';
  if (parsed.protocol === 'http:' && !namesLoopback(parsed)) return 'must be https (http is allowed only on loopback)';
  if (parsed.username || parsed.password) return 'must not carry credentials in the URL';
  return checkAddress(hostOf(parsed), addressPolicyFor(parsed, policy));
}
