// Settings that fail fast and loud (issue 10 §7): unresolved Key Vault references, secrets never echoed in errors or
// logs, NOTIFY_WEBHOOK_URL checked at start like the destinations.
import { Writable } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { functions } from '../../functions/all.js';
import { ConfigError, loadConfig, SETTINGS } from '../../shared/config.js';
import { REDACT_PATHS } from '../../shared/observability/logger.js';
import { registerWithFakeHost } from '../support/fakeHost.js';

const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

function refusal(env: Record<string, string | undefined>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

// Both forms App Service resolves: https://learn.microsoft.com/azure/app-service/app-service-key-vault-references
const REFERENCES = [
  '@Microsoft.KeyVault(SecretUri=https://kv-bridge.vault.azure.net/secrets/ingest-hmac-secret/)',
  '@Microsoft.KeyVault(VaultName=kv-bridge;SecretName=ingest-hmac-secret)',
  '@Microsoft.KeyVault(VaultName=kv-bridge;SecretName=ingest-hmac-secret;SecretVersion=0123456789abcdef0123456789abcdef)',
];
const UNRESOLVED = 'Key Vault reference not resolved yet (role assignment propagation can take minutes)';

describe('an unresolved Key Vault reference', () => {
  it.each(REFERENCES)('in any setting is named as such, without the reference text: %s', (reference) => {
    for (const name of Object.keys(SETTINGS)) {
      const message = refusal({ [name]: reference });
      expect(message).toContain(`${name}: ${UNRESOLVED}`);
      expect(message).not.toContain('kv-bridge');
      // Only the reference is reported: it is not also checked as a value (no "must be base64", "not valid JSON", …).
      expect(message.split('; ')).toHaveLength(1);
    }
  });

  it('is reported beside other bad settings', () => {
    const message = refusal({ INGEST_HMAC_SECRET: REFERENCES[1], WALLARM_TABLE: 'nope' });
    expect(message).toContain(`INGEST_HMAC_SECRET: ${UNRESOLVED}`);
    expect(message).toContain('WALLARM_TABLE:');
  });

  it('in INGEST_HMAC_SECRET: the functions register and /api/health answers 503 naming it', async () => {
    const { http, others, result } = registerWithFakeHost({ ...base, INGEST_HMAC_SECRET: REFERENCES[0] });
    expect(result).toMatchObject({ problem: expect.stringContaining(`INGEST_HMAC_SECRET: ${UNRESOLVED}`) });
    expect(http.size).toBe(functions.filter((f) => f.kind === 'http').length);
    expect(others).toEqual([]);
    const health = await http.get('health')?.({} as never, {} as never);
    expect(health).toMatchObject({ status: 503, jsonBody: { failing: ['settings'], checks: { settings: { ok: false } } } });
    expect(JSON.stringify(health)).toContain(`INGEST_HMAC_SECRET: ${UNRESOLVED}`);
    const ingest = await http.get('ingestEvents')?.({} as never, {} as never);
    expect(ingest).toMatchObject({ status: 503 });
  });
});

describe('a malformed DESTINATIONS echoes no part of a secret', () => {
  const token = fc.stringMatching(/^[A-Za-z0-9]{12,40}$/);
  /** Every 6-character window of a secret: none may appear in the error. */
  const windows = (secret: string) => Array.from({ length: secret.length - 5 }, (_, i) => secret.slice(i, i + 6));
  const expectClean = (message: string, secrets: string[]) => {
    for (const secret of secrets) for (const w of windows(secret)) expect(message).not.toContain(w);
  };

  const destinationsWith = (s: { path: string; query: string; key: string; whsec: string }) => [
    { name: 'teams', type: 'teams', url: `https://prod.westeurope.logic.azure.com/workflows/${s.path}/triggers?sig=${s.query}` },
    { name: 'pd', type: 'pagerduty', url: 'https://events.pagerduty.com/v2/enqueue', routingKey: s.key },
    { name: 'hook', type: 'webhook', url: `https://hooks.example.com/${s.path}`, secret: `whsec_${s.whsec}` },
  ];
  const secrets = fc.record({ path: token, query: token, key: token, whsec: token });

  it('when the JSON is broken at any position', () => {
    fc.assert(
      fc.property(secrets, fc.nat(), fc.constantFrom('', 'x', '}', '"', ',,', '\\'), (s, at, junk) => {
        const text = JSON.stringify(destinationsWith(s));
        const cut = at % text.length;
        const broken = `${text.slice(0, cut)}${junk}${junk ? text.slice(cut) : ''}`;
        let parsed = true;
        try {
          JSON.parse(broken);
        } catch {
          parsed = false;
        }
        fc.pre(!parsed && broken !== '');
        const message = refusal({ DESTINATIONS: broken });
        expect(message).toMatch(/^Invalid settings: DESTINATIONS: not valid JSON/);
        expectClean(message, [s.path, s.query, s.key, s.whsec]);
      }),
      { numRuns: 150 },
    );
  });

  it('when a field is wrong', () => {
    fc.assert(
      fc.property(secrets, (s) => {
        const [teams, pd, hook] = destinationsWith(s);
        const cases: [unknown, RegExp][] = [
          [{ ...teams, url: `http://prod.westeurope.logic.azure.com/workflows/${s.path}?sig=${s.query}` }, /0\.url: must be https/],
          [{ ...pd, routingKey: 42, type: s.key }, /0\.type: .*0\.routingKey/],
          [{ ...hook, secret: `not-whsec-${s.whsec}` }, /0\.secret: a webhook secret is/],
          [{ ...hook, enrich: s.key, statuses: [s.path] }, /0\.enrich: .*0\.statuses\.0/],
          [{ name: 'x', type: 'slack', url: s.query }, /0\.url: not a valid URL/],
          [{ name: 'y', type: 'webhook', url: `https://[64:ff9b::a9fe:a9fe]/${s.path}` }, /0\.url: .*instance metadata service/],
        ];
        for (const [wrong, where] of cases) {
          const message = refusal({ DESTINATIONS: JSON.stringify([wrong]) });
          expect(message).toMatch(where);
          expectClean(message, [s.path, s.query, s.key, s.whsec]);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('nor does any other secret setting, broken the same ways', () => {
    const secretNames = Object.entries(SETTINGS)
      .filter(([, v]) => 'secret' in v && v.secret)
      .map(([k]) => k);
    expect(secretNames).toEqual(
      expect.arrayContaining(['DESTINATIONS', 'INGEST_HMAC_SECRET', 'DATA_COLLECTOR_SHARED_KEY', 'NOTIFY_WEBHOOK_URL']),
    );
    const secret = 'Zq8SecretValue1234';
    for (const [name, value] of [
      ['INGEST_HMAC_SECRET', `whsec_${secret}!`],
      ['DATA_COLLECTOR_SHARED_KEY', `${secret}!!`],
      ['NOTIFY_WEBHOOK_URL', `http://notify.example.com/${secret}`],
      ['NOTIFY_WEBHOOK_URL', `not a url ${secret}`],
      ['DESTINATIONS', `[{"name":"a","type":"teams","url":"https://x.example/${secret}"`],
    ] as const) {
      const message = refusal({ [name]: value });
      expect(message).toContain(`${name}:`);
      for (const w of windows(secret)) expect(message).not.toContain(w);
    }
  });
});

describe('logs redact the destination secrets', () => {
  it('callbackSecret and restApiKey as well as secret and routingKey', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    const values = { secret: 'S3cretA', routingKey: 'R0utingB', callbackSecret: 'CallbackC', restApiKey: 'RestApiD' };
    log.info({ destination: values }, 'nested');
    log.info(values, 'top level');
    const text = lines.join('');
    for (const v of Object.values(values)) expect(text).not.toContain(v);
    expect(text.match(/\[redacted\]/g)?.length).toBe(8);
  });
});

describe('NOTIFY_WEBHOOK_URL is checked at start like the destinations', () => {
  it.each<[string, string, RegExp]>([
    ['plain http', 'http://notify.example.com/hook', /NOTIFY_WEBHOOK_URL: must be https/],
    ['the metadata service', 'https://169.254.169.254/hook', /NOTIFY_WEBHOOK_URL: .*instance metadata service/],
    ['a private address', 'https://10.0.0.5/hook', /NOTIFY_WEBHOOK_URL: .*private range; set ALLOW_PRIVATE_DESTINATIONS=true/],
    ['credentials in the URL', 'https://u:p@notify.example.com/', /NOTIFY_WEBHOOK_URL: must not carry credentials/],
  ])('%s is refused', (_case, url, message) => {
    expect(refusal({ NOTIFY_WEBHOOK_URL: url })).toMatch(message);
  });

  it('a good URL, loopback http and (when allowed) a private address are accepted', () => {
    expect(loadConfig({ ...base, NOTIFY_WEBHOOK_URL: 'https://notify.example.com/hook' }).NOTIFY_WEBHOOK_URL).toBe(
      'https://notify.example.com/hook',
    );
    expect(loadConfig({ ...base, NOTIFY_WEBHOOK_URL: 'http://127.0.0.1:7445/notify' }).NOTIFY_WEBHOOK_URL).toBeDefined();
    expect(
      loadConfig({ ...base, NOTIFY_WEBHOOK_URL: 'https://10.0.0.5/hook', ALLOW_PRIVATE_DESTINATIONS: 'true' }).NOTIFY_WEBHOOK_URL,
    ).toBeDefined();
  });
});
