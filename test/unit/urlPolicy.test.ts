// SSRF guard gaps (issue 10 §7): one rule for literal URLs and resolved addresses (shared/net/urlPolicy.ts). Table-driven:
// each row is an address, the policy, and what the guard must say.
import { describe, expect, it } from 'vitest';
import { addressPolicyFor, checkAddress, checkDestinationUrl, namesLoopback } from '../../shared/net/urlPolicy.js';

const strict = { allowPrivate: false, loopback: false };
const permissive = { allowPrivate: true, loopback: false };

describe('SSRF guard gaps: addresses refused whatever ALLOW_PRIVATE_DESTINATIONS says', () => {
  it.each<[string, string, RegExp]>([
    ['IMDS', '169.254.169.254', /instance metadata service/],
    ['Azure WireServer', '168.63.129.16', /WireServer/],
    ['IPv4 multicast', '224.0.0.1', /multicast range, which is never called/],
    ['IPv6 multicast', 'ff02::1', /multicast range, which is never called/],
    ['IPv4 unspecified', '0.0.0.0', /unspecified/],
    ['IPv6 unspecified', '::', /unspecified/],
    ['broadcast', '255.255.255.255', /broadcast/],
    ['IPv4 reserved (240/4)', '240.0.0.1', /reserved/],
    ['IPv4 documentation (TEST-NET-1)', '192.0.2.1', /reserved/],
    ['IPv4 benchmarking', '198.18.0.1', /reserved/],
    ['IPv6 documentation', '2001:db8::1', /reserved/],
    ['IPv6 discard', '100::1', /discard/],
    ['NAT64 local-use prefix (cannot be judged)', '64:ff9b:1::1', /rfc6052 range, which is never called/],
    ['IMDS through IPv4-mapped', '::ffff:169.254.169.254', /instance metadata service/],
    ['IMDS through NAT64', '64:ff9b::a9fe:a9fe', /carries 169\.254\.169\.254 \(NAT64.*instance metadata service/],
    ['WireServer through NAT64', '64:ff9b::168.63.129.16', /carries 168\.63\.129\.16 .*WireServer/],
    ['IMDS through 6to4', '2002:a9fe:a9fe::1', /carries 169\.254\.169\.254 \(6to4.*instance metadata/],
    ['IMDS through Teredo (client address, inverted)', '2001:0:4136:e378:8000:63bf:5601:5601', /carries 169\.254\.169\.254 \(Teredo/],
    ['IMDS through IPv4-compatible', '::169.254.169.254', /carries 169\.254\.169\.254 \(IPv4-compatible/],
    ['multicast through 6to4', '2002:e000:0001::1', /carries 224\.0\.0\.1 .*multicast/],
    ['loopback through NAT64', '64:ff9b::127.0.0.1', /carries 127\.0\.0\.1 .*loopback/],
    ['loopback through 6to4', '2002:7f00:1::1', /carries 127\.0\.0\.1 .*loopback/],
    ['loopback through IPv4-compatible', '::127.0.0.1', /carries 127\.0\.0\.1 .*loopback/],
  ])('%s (%s)', (_case, address, message) => {
    for (const policy of [strict, permissive, { allowPrivate: true, loopback: true }])
      expect(checkAddress(address, policy)).toMatch(message);
  });
});

describe('SSRF guard gaps: private addresses need ALLOW_PRIVATE_DESTINATIONS=true, also when embedded', () => {
  it.each<[string, string, string]>([
    ['RFC 1918 10/8', '10.0.0.1', 'private'],
    ['RFC 1918 172.16/12', '172.16.5.4', 'private'],
    ['RFC 1918 192.168/16', '192.168.1.1', 'private'],
    ['IPv4 link-local', '169.254.1.1', 'linkLocal'],
    ['CGNAT', '100.64.0.1', 'carrierGradeNat'],
    ['IPv6 link-local', 'fe80::1', 'linkLocal'],
    ['IPv6 unique-local', 'fd00::1', 'uniqueLocal'],
    ['IPv6 site-local (deprecated)', 'fec0::1', 'deprecatedSiteLocal'],
    ['IPv4-mapped private', '::ffff:192.168.0.1', 'private'],
    ['IPv4-translated private', '::ffff:0:10.0.0.1', 'private'],
    ['NAT64 private', '64:ff9b::10.0.0.1', 'private'],
    ['6to4 private', '2002:0a00:0001::1', 'private'],
    ['Teredo private client', '2001:0:4136:e378:8000:63bf:f5ff:fffe', 'private'],
    ['IPv4-compatible private', '::10.0.0.1', 'private'],
  ])('%s (%s)', (_case, address, range) => {
    expect(checkAddress(address, strict)).toMatch(new RegExp(`${range} range; set ALLOW_PRIVATE_DESTINATIONS=true`));
    expect(checkAddress(address, permissive)).toBeUndefined();
  });
});

describe('public addresses pass, also when embedded', () => {
  it.each([
    '8.8.8.8',
    '52.1.2.3',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
    '2002:0808:0808::1',
    '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
  ])('%s', (address) => {
    expect(checkAddress(address, strict)).toBeUndefined();
  });
});

describe('SSRF guard gaps: loopback by DNS name', () => {
  it.each([
    ['https://sink.example.test/hook', false],
    ['https://127.0.0.1.nip.io/hook', false],
    ['https://localhost./hook', false],
    ['http://127.0.0.1:7445/hook', true],
    ['http://127.1.2.3/hook', true],
    ['http://localhost:7445/hook', true],
    ['http://[::1]:7445/hook', true],
    ['http://[::ffff:127.0.0.1]/hook', true],
  ] as const)('%s names loopback: %s', (url, named) => {
    expect(namesLoopback(new URL(url))).toBe(named);
    const policy = addressPolicyFor(new URL(url), { allowPrivate: true });
    // The connect-time answer 127.0.0.1 passes only for a URL that names loopback, even with private addresses allowed.
    if (named) expect(checkAddress('127.0.0.1', policy)).toBeUndefined();
    else expect(checkAddress('127.0.0.1', policy)).toMatch(/loopback, which is reached only by naming it in the URL/);
    if (!named) expect(checkAddress('::1', policy)).toMatch(/loopback/);
  });
});

describe('checkDestinationUrl', () => {
  it.each<[string, RegExp | undefined]>([
    ['https://connect.signl4.com/webhook/abc', undefined],
    ['http://127.0.0.1:7445/hook', undefined],
    ['https://localhost/hook', undefined],
    ['http://[::1]/hook', undefined],
    ['http://hooks.slack.com/services/x', /must be https \(http is allowed only on loopback\)/],
    ['http://10.0.0.1/hook', /must be https/],
    ['ftp://example.com/x', /must be https/],
    ['https://user:pw@example.com/x', /must not carry credentials/],
    ['not a url', /not a valid URL/],
    ['https://169.254.169.254/metadata/instance', /instance metadata service/],
    ['https://168.63.129.16/machine', /WireServer/],
    ['https://[64:ff9b::a9fe:a9fe]/', /instance metadata service/],
    ['https://[2002:a00:1::1]/', /private range/],
    ['https://0.0.0.0/', /unspecified/],
    ['https://[::]/', /unspecified/],
    ['https://224.0.0.251/', /multicast/],
    ['https://10.1.2.3/', /private range; set ALLOW_PRIVATE_DESTINATIONS=true/],
  ])('%s', (url, message) => {
    const problem = checkDestinationUrl(url, { allowPrivate: false });
    if (message) expect(problem).toMatch(message);
    else expect(problem).toBeUndefined();
  });

  it('private literal addresses pass with ALLOW_PRIVATE_DESTINATIONS, the platform addresses never', () => {
    expect(checkDestinationUrl('https://10.1.2.3/', { allowPrivate: true })).toBeUndefined();
    expect(checkDestinationUrl('https://[fd00::1]/', { allowPrivate: true })).toBeUndefined();
    expect(checkDestinationUrl('https://169.254.169.254/', { allowPrivate: true })).toMatch(/never called/);
    expect(checkDestinationUrl('https://168.63.129.16/', { allowPrivate: true })).toMatch(/never called/);
  });
});
