// Settings: bad values fail fast with a ConfigError naming the setting; defaults are what the design says.
// Every call passes an explicit environment: process.env is never read here.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../shared/config.js';

const STORAGE = 'UseDevelopmentStorage=true';
const env = (extra: Record<string, string | undefined> = {}) => ({ AzureWebJobsStorage: STORAGE, ...extra });

/** The ConfigError message for an environment (fails the test when the environment is accepted). */
function refusal(extra: Record<string, string | undefined>): string {
  try {
    loadConfig(env(extra));
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(extra)}`);
}

const RULE = {
  endpoint: 'https://dce-1.westeurope-1.ingest.monitor.azure.com',
  ruleId: `dcr-${'0'.repeat(31)}1`,
  streams: ['Custom-new_hits_CL'],
};

describe('loadConfig: defaults', () => {
  it('needs only storage and gives the documented defaults', () => {
    const c = loadConfig(env());
    expect(c.storage).toEqual({ connectionString: STORAGE });
    expect(c.INGEST_MAX_BODY_BYTES).toBe(30 * 1024 * 1024);
    expect(c.INGEST_GROUP_COMMIT_MS).toBe(0);
    expect(c.INGEST_HMAC_SECRET).toBeUndefined();
    expect(c.WALLARM_TABLE).toBeUndefined();
    expect(c.LOGS_INGESTION_RULES).toEqual([]);
    expect(c.SENTINEL_WORKSPACES).toEqual([]);
    expect(c.DESTINATIONS).toEqual([]);
    expect(c.INCIDENT_STATUSES).toEqual(['New']);
    expect(c.INCIDENT_SEVERITIES).toEqual(['High', 'Medium', 'Low', 'Informational']);
    expect(c.INCIDENT_LOOKBACK_HOURS).toBe(24);
  });

  it('reads identity-based storage from the three service URIs', () => {
    const c = loadConfig({
      AzureWebJobsStorage__queueServiceUri: 'https://acct.queue.core.windows.net',
      AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net',
      AzureWebJobsStorage__blobServiceUri: 'https://acct.blob.core.windows.net',
      AzureWebJobsStorage__clientId: 'client-1',
    });
    expect(c.storage).toEqual({
      queueServiceUri: 'https://acct.queue.core.windows.net',
      tableServiceUri: 'https://acct.table.core.windows.net',
      blobServiceUri: 'https://acct.blob.core.windows.net',
      clientId: 'client-1',
    });
  });

  it('a connection string wins over the service URIs (tests route storage through a proxy that way)', () => {
    const c = loadConfig(env({ AzureWebJobsStorage__queueServiceUri: 'https://acct.queue.core.windows.net' }));
    expect(c.storage).toEqual({ connectionString: STORAGE });
  });

  it('treats an empty value as unset', () => {
    const c = loadConfig(env({ WALLARM_TABLE: '', INGEST_HMAC_SECRET: '', INGEST_MAX_BODY_BYTES: '' }));
    expect(c.WALLARM_TABLE).toBeUndefined();
    expect(c.INGEST_HMAC_SECRET).toBeUndefined();
    expect(c.INGEST_MAX_BODY_BYTES).toBe(30 * 1024 * 1024);
  });

  it('accepts good ingest settings', () => {
    const c = loadConfig(
      env({
        WALLARM_TABLE: 'WallarmSentinel_CL',
        INGEST_HMAC_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        INGEST_MAX_BODY_BYTES: '1024',
        INGEST_GROUP_COMMIT_MS: '7',
        DATA_COLLECTOR_WORKSPACE_ID: '00000000-0000-0000-0000-000000000001',
        DATA_COLLECTOR_SHARED_KEY: Buffer.from('k'.repeat(64)).toString('base64'),
        LOGS_INGESTION_RULES: JSON.stringify([RULE]),
      }),
    );
    expect(c.WALLARM_TABLE).toBe('WallarmSentinel_CL');
    expect(c.INGEST_MAX_BODY_BYTES).toBe(1024);
    expect(c.INGEST_GROUP_COMMIT_MS).toBe(7);
    expect(c.LOGS_INGESTION_RULES).toEqual([RULE]);
  });
});

describe('loadConfig: bad settings fail fast, naming the setting', () => {
  it.each<[string, Record<string, string>, RegExp]>([
    ['LOGS_INGESTION_RULES not JSON', { LOGS_INGESTION_RULES: '{endpoint: nope' }, /LOGS_INGESTION_RULES: not valid JSON/],
    ['LOGS_INGESTION_RULES not a list', { LOGS_INGESTION_RULES: JSON.stringify(RULE) }, /LOGS_INGESTION_RULES/],
    [
      'LOGS_INGESTION_RULES http endpoint',
      { LOGS_INGESTION_RULES: JSON.stringify([{ ...RULE, endpoint: 'http://dce.example' }]) },
      /LOGS_INGESTION_RULES at 0\.endpoint: .*https/,
    ],
    [
      'LOGS_INGESTION_RULES bad ruleId',
      { LOGS_INGESTION_RULES: JSON.stringify([{ ...RULE, ruleId: 'my-rule' }]) },
      /LOGS_INGESTION_RULES at 0\.ruleId/,
    ],
    [
      'LOGS_INGESTION_RULES stream without Custom-',
      { LOGS_INGESTION_RULES: JSON.stringify([{ ...RULE, streams: ['new_hits_CL'] }]) },
      /LOGS_INGESTION_RULES at 0\.streams\.0: .*Custom-/,
    ],
    [
      'LOGS_INGESTION_RULES with 11 streams in one DCR',
      { LOGS_INGESTION_RULES: JSON.stringify([{ ...RULE, streams: Array.from({ length: 11 }, (_, i) => `Custom-T${i}_CL`) }]) },
      /LOGS_INGESTION_RULES at 0\.streams: a DCR holds at most 10 streams/,
    ],
    [
      'LOGS_INGESTION_RULES mapping one stream twice',
      { LOGS_INGESTION_RULES: JSON.stringify([RULE, { ...RULE, ruleId: `dcr-${'0'.repeat(31)}2` }]) },
      /LOGS_INGESTION_RULES: stream Custom-new_hits_CL is mapped to more than one rule/,
    ],
    ['WALLARM_TABLE without _CL', { WALLARM_TABLE: 'WallarmSentinel' }, /WALLARM_TABLE: .*_CL/],
    ['WALLARM_TABLE with a bad character', { WALLARM_TABLE: 'Wallarm-Sentinel_CL' }, /WALLARM_TABLE/],
    ['INGEST_HMAC_SECRET a short plain secret', { INGEST_HMAC_SECRET: 'tooshort' }, /INGEST_HMAC_SECRET: .*16 characters/],
    ['INGEST_HMAC_SECRET too short', { INGEST_HMAC_SECRET: 'whsec_abc' }, /INGEST_HMAC_SECRET/],
    ['INGEST_MAX_BODY_BYTES not a number', { INGEST_MAX_BODY_BYTES: '30MB' }, /INGEST_MAX_BODY_BYTES/],
    ['INGEST_MAX_BODY_BYTES below 1 KiB', { INGEST_MAX_BODY_BYTES: '100' }, /INGEST_MAX_BODY_BYTES: .*1024/],
    ['INGEST_GROUP_COMMIT_MS above 1 s', { INGEST_GROUP_COMMIT_MS: '5000' }, /INGEST_GROUP_COMMIT_MS/],
    ['DATA_COLLECTOR_SHARED_KEY not base64', { DATA_COLLECTOR_SHARED_KEY: 'not base64!' }, /DATA_COLLECTOR_SHARED_KEY: must be base64/],
  ])('%s', (_, extra, message) => {
    expect(refusal(extra)).toMatch(message);
  });

  it('names missing storage', () => {
    expect(refusal({ AzureWebJobsStorage: undefined })).toMatch(/AzureWebJobsStorage: set AzureWebJobsStorage/);
    expect(
      refusal({ AzureWebJobsStorage: undefined, AzureWebJobsStorage__queueServiceUri: 'https://acct.queue.core.windows.net' }),
    ).toMatch(/__tableServiceUri and __blobServiceUri/);
  });

  it('names every bad setting at once', () => {
    const message = refusal({ WALLARM_TABLE: 'x', INGEST_HMAC_SECRET: 'y', LOGS_INGESTION_RULES: 'z' });
    for (const name of ['WALLARM_TABLE', 'INGEST_HMAC_SECRET', 'LOGS_INGESTION_RULES']) expect(message).toContain(`${name}:`);
  });

  it('does not echo a refused secret', () => {
    const secret = 'whsec_not*base64*at*all*so*refused';
    expect(refusal({ INGEST_HMAC_SECRET: secret })).not.toContain(secret);
  });
});
