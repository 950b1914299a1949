// One credential, any cloud (issue 13 item 4): AZURE_CLOUD chooses every endpoint and token audience; the table agrees
// with the constants Microsoft's SDKs ship; the clients ask for tokens of that cloud.
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { AzureAuthorityHosts, DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { KnownMonitorAudience } from '@azure/monitor-ingestion';
import { KnownMonitorLogsQueryAudience } from '@azure/monitor-query-logs';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../shared/app.js';
import { createCredential } from '../../shared/azure/credential.js';
import { AZURE_CLOUDS, cloudEndpoints } from '../../shared/clouds.js';
import { ConfigError, loadConfig } from '../../shared/config.js';

const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

describe('AZURE_CLOUD', () => {
  it('defaults to the public cloud', () => {
    const c = loadConfig(base);
    expect(c.AZURE_CLOUD).toBe('public');
    expect(c.ARM_ENDPOINT).toBe('https://management.azure.com');
    expect(c.GRAPH_ENDPOINT).toBe('https://graph.microsoft.com');
    expect(c.cloud).toEqual(cloudEndpoints('public'));
  });

  it.each([
    ['usgovernment', 'https://management.usgovcloudapi.net', 'https://graph.microsoft.us', 'https://monitor.azure.us'],
    ['china', 'https://management.chinacloudapi.cn', 'https://microsoftgraph.chinacloudapi.cn', 'https://monitor.azure.cn'],
  ])('%s sets the endpoints and audiences', (cloud, arm, graph, audience) => {
    const c = loadConfig({ ...base, AZURE_CLOUD: cloud });
    expect(c.ARM_ENDPOINT).toBe(arm);
    expect(c.GRAPH_ENDPOINT).toBe(graph);
    expect(c.cloud.resourceManagerScope).toBe(`${arm}/.default`);
    expect(c.cloud.logsIngestionAudience).toBe(audience);
  });

  it('an explicit ARM_ENDPOINT or GRAPH_ENDPOINT wins (the emulators, DoD Graph); the token audiences stay the cloud’s', () => {
    const c = loadConfig({
      ...base,
      AZURE_CLOUD: 'usgovernment',
      ARM_ENDPOINT: 'https://127.0.0.1:7444/',
      GRAPH_ENDPOINT: 'https://dod-graph.microsoft.us/',
    });
    expect(c.ARM_ENDPOINT).toBe('https://127.0.0.1:7444');
    expect(c.cloud.resourceManager).toBe('https://127.0.0.1:7444');
    expect(c.GRAPH_ENDPOINT).toBe('https://dod-graph.microsoft.us');
    expect(c.cloud.resourceManagerScope).toBe('https://management.usgovcloudapi.net/.default');
  });

  it.each([
    [{ AZURE_CLOUD: 'germany' }, /AZURE_CLOUD/],
    [{ GRAPH_ENDPOINT: 'http://graph.microsoft.com' }, /GRAPH_ENDPOINT: must be an https URL/],
  ])('%j is refused', (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });

  it('the per-cloud table holds the values the SDKs ship', () => {
    const sdk = {
      public: [AzureAuthorityHosts.AzurePublicCloud, KnownMonitorAudience.AzurePublicCloud, KnownMonitorLogsQueryAudience.AzurePublicCloud],
      usgovernment: [
        AzureAuthorityHosts.AzureGovernment,
        KnownMonitorAudience.AzureGovernment,
        KnownMonitorLogsQueryAudience.AzureGovernment,
      ],
      china: [AzureAuthorityHosts.AzureChina, KnownMonitorAudience.AzureChina, KnownMonitorLogsQueryAudience.AzureChina],
    } as const;
    for (const cloud of AZURE_CLOUDS) {
      const e = cloudEndpoints(cloud);
      expect([e.authorityHost, e.logsIngestionAudience, e.logAnalytics]).toEqual(sdk[cloud]);
      expect(e.resourceManagerScope).toBe(`${e.resourceManager}/.default`);
    }
  });
});

describe('BRIDGE_CREDENTIAL', () => {
  const settings = (BRIDGE_CREDENTIAL: string, extra: Record<string, string> = {}) => loadConfig({ ...base, BRIDGE_CREDENTIAL, ...extra });

  it('"managedidentity" is a ManagedIdentityCredential only (the Bicep sets it); "default" the developer chain', () => {
    expect(createCredential(settings('managedidentity', { AZURE_CLIENT_ID: '00000000-0000-4000-8000-000000000001' }))).toBeInstanceOf(
      ManagedIdentityCredential,
    );
    expect(createCredential(settings('managedidentity'))).toBeInstanceOf(ManagedIdentityCredential);
    expect(createCredential(settings('default', { AZURE_CLOUD: 'china' }))).toBeInstanceOf(DefaultAzureCredential);
  });

  it('refuses an unknown credential kind', () => {
    expect(() => settings('clientsecret')).toThrow(/BRIDGE_CREDENTIAL/);
  });
});

/** Records the scopes clients ask for; the token is enough for the client to try the (unreachable) endpoint. */
class RecordingCredential implements TokenCredential {
  scopes: string[] = [];
  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
    this.scopes.push(...(Array.isArray(scopes) ? scopes : [scopes]));
    return { token: 'recorded', expiresOnTimestamp: Date.now() + 3600_000 };
  }
}

describe('the clients the app builds ask for tokens of AZURE_CLOUD', () => {
  it.each(AZURE_CLOUDS)('%s: Logs Ingestion audience and Resource Manager scope', async (cloud) => {
    const credential = new RecordingCredential();
    const config = loadConfig({
      ...base,
      AZURE_CLOUD: cloud,
      // Nothing listens on port 9 of loopback: the token is asked for, then the connection fails.
      ARM_ENDPOINT: 'https://127.0.0.1:9',
      LOGS_INGESTION_RULES: JSON.stringify([
        { endpoint: 'https://127.0.0.1:9', ruleId: `dcr-${'0'.repeat(32)}`, streams: ['Custom-WebhookEvents_CL'] },
      ]),
      SENTINEL_WORKSPACES: JSON.stringify([
        { subscriptionId: '00000000-0000-4000-8000-000000000001', resourceGroup: 'rg', workspaceName: 'ws' },
      ]),
    });
    const app = createApp(config, { azure: { credential, tls: {} } });
    const result = await app.delivery.sender.send('Custom-WebhookEvents_CL', [{ TimeGenerated: new Date().toISOString() }]);
    expect(result.delivered).toBe(0);
    const ws = config.SENTINEL_WORKSPACES[0];
    if (!ws) throw new Error('no workspace');
    await expect(app.incidents.sentinel.getIncident(ws, 'x')).rejects.toThrow();
    const e = cloudEndpoints(cloud);
    expect(new Set(credential.scopes)).toEqual(new Set([`${e.logsIngestionAudience}/.default`, e.resourceManagerScope]));
  });
});
