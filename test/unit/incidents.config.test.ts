// The incident settings fail fast with a message naming the setting (shared/config.ts).

import { describe, expect, it } from 'vitest';
import { functions } from '../../functions/all.js';
import { ConfigError, loadConfig } from '../../shared/config.js';
import { registerWithFakeHost } from '../support/fakeHost.js';

const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };
const ws = { subscriptionId: '00000000-0000-4000-8000-000000000001', resourceGroup: 'rg', workspaceName: 'ws1' };
const load = (env: Record<string, string>) => loadConfig({ ...base, ...env });
const failure = (env: Record<string, string>) => {
  try {
    load(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('incident settings', () => {
  it('has the documented defaults', () => {
    const c = load({});
    expect(c.SENTINEL_WORKSPACES).toEqual([]);
    expect(c.ARM_ENDPOINT).toBe('https://management.azure.com');
    expect(c.INCIDENT_POLL_SCHEDULE).toBe('0 */5 * * * *');
    expect(c.INCIDENT_LOOKBACK_HOURS).toBe(24);
    expect(c.INCIDENT_STATUSES).toEqual(['New']);
    expect(c.INCIDENT_SEVERITIES).toEqual(['High', 'Medium', 'Low', 'Informational']);
    expect(c.INCIDENT_CLOSE_CLASSIFICATION).toBe('Undetermined');
    expect('STATUS_SYNC_SECRET' in c).toBe(false);
  });

  it('reads several workspaces and comma lists', () => {
    const c = load({
      SENTINEL_WORKSPACES: JSON.stringify([ws, { ...ws, workspaceName: 'ws2' }]),
      INCIDENT_STATUSES: 'New, Active',
      INCIDENT_SEVERITIES: 'High,Medium',
      INCIDENT_LOOKBACK_HOURS: '48',
    });
    expect(c.SENTINEL_WORKSPACES.map((w) => w.workspaceName)).toEqual(['ws1', 'ws2']);
    expect(c.INCIDENT_STATUSES).toEqual(['New', 'Active']);
    expect(c.INCIDENT_SEVERITIES).toEqual(['High', 'Medium']);
    expect(c.INCIDENT_LOOKBACK_HOURS).toBe(48);
  });

  it.each([
    [{ SENTINEL_WORKSPACES: '[{"subscriptionId":' }, /SENTINEL_WORKSPACES: not valid JSON/],
    [
      { SENTINEL_WORKSPACES: JSON.stringify([{ ...ws, subscriptionId: 'not-a-guid' }]) },
      /SENTINEL_WORKSPACES at 0\.subscriptionId: subscriptionId must be a GUID/,
    ],
    [
      { SENTINEL_WORKSPACES: JSON.stringify([{ subscriptionId: ws.subscriptionId, resourceGroup: 'rg' }]) },
      /SENTINEL_WORKSPACES at 0\.workspaceName/,
    ],
    [{ SENTINEL_WORKSPACES: JSON.stringify(ws) }, /SENTINEL_WORKSPACES/],
    [{ INCIDENT_STATUSES: 'New,Open' }, /INCIDENT_STATUSES/],
    [{ INCIDENT_SEVERITIES: 'Critical' }, /INCIDENT_SEVERITIES/],
    [{ INCIDENT_LOOKBACK_HOURS: '0' }, /INCIDENT_LOOKBACK_HOURS/],
    [{ ARM_ENDPOINT: 'not a url' }, /ARM_ENDPOINT/],
    [{ INCIDENT_CLOSE_CLASSIFICATION: 'Benign' }, /INCIDENT_CLOSE_CLASSIFICATION/],
    [
      {
        DESTINATIONS: JSON.stringify([{ name: 'a', type: 'signl4', url: 'https://connect.signl4.com/webhook/x', callbackSecret: 'short' }]),
      },
      /DESTINATIONS at 0\.callbackSecret/,
    ],
    [
      {
        DESTINATIONS: JSON.stringify([
          {
            name: 'a',
            type: 'signl4',
            url: 'https://connect.signl4.com/webhook/x',
            closeClassification: 'TruePositive',
            closeClassificationReason: 'InaccurateData',
          },
        ]),
      },
      /DESTINATIONS at 0\.closeClassificationReason: InaccurateData does not go with closeClassification TruePositive/,
    ],
    [
      {
        DESTINATIONS: JSON.stringify([
          { name: 't', type: 'teams', url: 'https://x.logic.azure.com/w', callbackSecret: '0123456789abcdef0' },
        ]),
      },
      /DESTINATIONS at 0\.callbackSecret: Teams \(Workflows\) cannot call back/,
    ],
  ])('%j fails naming the setting', (env, message) => {
    expect(failure(env)).toMatch(message);
  });

  it('refuses a non-https destination with a clear message', () => {
    const message = failure({
      DESTINATIONS: JSON.stringify([{ name: 'ops', type: 'signl4', url: 'http://connect.signl4.com/webhook/x' }]),
    });
    expect(message).toMatch(/DESTINATIONS at 0\.url: must be https \(http is allowed only on loopback\)/);
  });

  it('allows http on loopback (the local sink) and PagerDuty needs a routing key', () => {
    expect(
      load({ DESTINATIONS: JSON.stringify([{ name: 'sink', type: 'webhook', url: 'http://127.0.0.1:7445/hook' }]) }).DESTINATIONS,
    ).toHaveLength(1);
    expect(
      failure({ DESTINATIONS: JSON.stringify([{ name: 'pd', type: 'pagerduty', url: 'https://events.pagerduty.com/v2/enqueue' }]) }),
    ).toMatch(/DESTINATIONS at 0\.routingKey/);
  });
});

describe('bad settings: the functions register, and every HTTP route answers 503 naming the setting', () => {
  const registered = registerWithFakeHost;

  it.each([
    [
      { SENTINEL_WORKSPACES: '[{"subscriptionId":"x","resourceGroup":"rg","workspaceName":"w"}]' },
      /SENTINEL_WORKSPACES at 0\.subscriptionId: subscriptionId must be a GUID/,
    ],
    [
      {
        SENTINEL_WORKSPACES: JSON.stringify([ws]),
        DESTINATIONS: JSON.stringify([{ name: 'x', type: 'slack', url: 'http://hooks.slack.com/services/x' }]),
      },
      /DESTINATIONS at 0\.url: must be https/,
    ],
  ])('%j', async (bad, message) => {
    const { http, others, result } = registered({ ...base, ...bad });
    expect(result).toMatchObject({ problem: expect.stringMatching(message) });
    // Every HTTP function is there (so /api/health can say why); no queue or timer function consumes work meanwhile.
    expect([...http.keys()].sort()).toEqual(
      functions
        .filter((f) => f.kind === 'http')
        .map((f) => f.name)
        .sort(),
    );
    expect(others).toEqual([]);
    const health = await http.get('health')?.({} as never, {} as never);
    expect(health).toMatchObject({ status: 503, jsonBody: { failing: ['settings'], checks: { settings: { ok: false } } } });
    expect(JSON.stringify(health)).toMatch(message);
    const ingest = await http.get('ingestEvents')?.({} as never, {} as never);
    expect(ingest).toMatchObject({ status: 503, headers: { 'retry-after': '60' } });
  });

  it('good settings register every function', () => {
    const { http, others, result } = registered(base);
    expect('app' in result).toBe(true);
    expect(http.size + others.length).toBe(functions.length);
  });

  it('a workspace entry reads its incidents through sentinel (default) or graph; GRAPH_ENDPOINT defaults to the public cloud', () => {
    const c = load({ SENTINEL_WORKSPACES: JSON.stringify([ws, { ...ws, workspaceName: 'ws2', api: 'graph' }]) });
    expect(c.SENTINEL_WORKSPACES.map((w) => w.api)).toEqual(['sentinel', 'graph']);
    expect(c.GRAPH_ENDPOINT).toBe('https://graph.microsoft.com');
    expect(failure({ SENTINEL_WORKSPACES: JSON.stringify([{ ...ws, api: 'defender' }]) })).toMatch(
      /SENTINEL_WORKSPACES at 0\.api: api must be "sentinel" or "graph"/,
    );
    expect(failure({ SENTINEL_WORKSPACES: JSON.stringify([{ ...ws, workspaceId: 'law-1' }]) })).toMatch(
      /SENTINEL_WORKSPACES at 0\.workspaceId: workspaceId must be the Log Analytics workspace id/,
    );
    expect(failure({ GRAPH_ENDPOINT: 'http://graph.example' })).toMatch(/GRAPH_ENDPOINT: must be an https URL/);
  });

  it("enrich is true or {alerts, entities, queries}; queries need each workspace's workspaceId and a well-formed entry", () => {
    const dest = (enrich: unknown) => JSON.stringify([{ name: 'hook', type: 'webhook', url: 'https://hooks.example/x', enrich }]);
    expect(load({ DESTINATIONS: dest(true) }).DESTINATIONS[0]?.enrich).toBe(true);
    const queries = [{ name: 'signins', query: 'SigninLogs | take 5', timespan: 'PT6H' }];
    const c = load({
      SENTINEL_WORKSPACES: JSON.stringify([{ ...ws, workspaceId: '11111111-2222-4333-8444-555555555555' }]),
      DESTINATIONS: dest({ alerts: true, queries }),
    });
    expect(c.DESTINATIONS[0]?.enrich).toEqual({ alerts: true, queries });
    expect(failure({ SENTINEL_WORKSPACES: JSON.stringify([ws]), DESTINATIONS: dest({ queries }) })).toMatch(
      /SENTINEL_WORKSPACES at 0\.workspaceId: required: destination "hook" runs KQL queries/,
    );
    expect(failure({ DESTINATIONS: dest({ queries: [{ name: 'q', query: ' ' }] }) })).toMatch(/DESTINATIONS at 0\.enrich/);
    expect(failure({ DESTINATIONS: dest({ queries: [{ name: 'q', query: 'T', timespan: '6 hours' }] }) })).toMatch(
      /DESTINATIONS at 0\.enrich/,
    );
    expect(failure({ DESTINATIONS: dest('yes') })).toMatch(/DESTINATIONS at 0\.enrich/);
  });
});
