// KQL enrichment queries: checked at start with Microsoft's parser (the field named), the incident's values as
// parameters, and each outcome as destinations show it.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../shared/config.js';
import { ENRICH_QUERY_LIMITS, queryParameters, queryResult, runEnrichQueries } from '../../shared/incidents/enrichQueries.js';
import type { KqlQueryRunner, KqlRequest } from '../../shared/incidents/kqlQuery.js';
import { withParameters } from '../../shared/incidents/kqlQuery.js';
import { ENRICH_QUERY_PARAMETERS, kqlSyntaxProblem } from '../../shared/kql.js';
import { registerWithFakeHost } from '../support/fakeHost.js';
import { sampleIncident } from '../support/incident.js';
import { parseKql } from '../support/kusto.js';

const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };
const WORKSPACE_ID = '11111111-2222-4333-8444-555555555555';
const ws = { subscriptionId: '00000000-0000-4000-8000-000000000001', resourceGroup: 'rg', workspaceName: 'ws1', workspaceId: WORKSPACE_ID };
const settings = (queries: unknown[], workspace: object = ws) => ({
  ...base,
  SENTINEL_WORKSPACES: JSON.stringify([workspace]),
  DESTINATIONS: JSON.stringify([
    { name: 'plain', type: 'slack', url: 'https://hooks.slack.com/services/x' },
    { name: 'hook', type: 'webhook', url: 'https://hooks.example/x', enrich: { queries } },
  ]),
});
const problem = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('enrichment queries at start', () => {
  it('accepts queries that use the declared parameters', () => {
    const queries = [
      { name: 'signins', query: 'SigninLogs | where UserPrincipalName in (accounts) | take 5' },
      {
        name: 'alerts',
        query: 'SecurityAlert\n| where SystemAlertId in (alertIds) or TimeGenerated > incidentCreated - 1h',
        timespan: 'PT6H',
      },
    ];
    expect(loadConfig(settings(queries)).DESTINATIONS[1]?.enrich).toEqual({ queries });
  });

  it('names the field and the place of a malformed query', () => {
    const message = problem(
      settings([
        { name: 'ok', query: 'SigninLogs | take 5' },
        { name: 'broken', query: 'SigninLogs\n| where (' },
      ]),
    );
    expect(message).toMatch(/DESTINATIONS at 1\.enrich\.queries\.1\.query: not valid KQL: line 2, column 10: /);
    expect(message).not.toMatch(/queries\.0/);
    expect(problem(settings([{ name: 'q', query: 'SigninLogs | wher x' }]))).toMatch(
      /DESTINATIONS at 1\.enrich\.queries\.0\.query: not valid KQL: line 1, column 14: Query operator expected/,
    );
  });

  it('names the workspace that lacks the workspaceId the queries need', () => {
    const { workspaceId: _, ...without } = ws;
    expect(problem(settings([{ name: 'q', query: 'SigninLogs | take 1' }], without))).toMatch(
      /SENTINEL_WORKSPACES at 0\.workspaceId: required: destination "hook" runs KQL queries/,
    );
  });

  it('a bad query keeps the queue and timer functions off and /api/health says why (503)', async () => {
    const { http, others, result } = registerWithFakeHost(settings([{ name: 'q', query: 'SigninLogs | where x ==' }]));
    expect(result).toMatchObject({ problem: expect.stringMatching(/DESTINATIONS at 1\.enrich\.queries\.0\.query/) });
    expect(others).toEqual([]);
    const health = await http.get('health')?.({} as never, {} as never);
    expect(health).toMatchObject({ status: 503 });
    expect(JSON.stringify(health)).toMatch(/enrich\.queries\.0\.query: not valid KQL/);
  });

  it('checks the text as it will run: the declarations of every parameter, then the query', () => {
    expect(kqlSyntaxProblem('print n = incidentNumber, h = hosts')).toBeUndefined();
    const values = queryParameters(sampleIncident(), {});
    expect(Object.keys(values).sort()).toEqual(Object.keys(ENRICH_QUERY_PARAMETERS).sort());
    const text = withParameters('print n = incidentNumber', values);
    expect(parseKql(text).diagnostics).toEqual([]);
  });
});

describe('queryParameters', () => {
  it("holds the incident's number, name, id, creation, alert ids and its entities' IPs, accounts and hosts", () => {
    const incident = sampleIncident();
    const p = queryParameters(incident, {
      alerts: [
        { name: 'a-1', title: 'x' },
        { name: 'a-2', title: 'y' },
        { name: 'a-1', title: 'again' },
      ],
      entities: [
        { kind: 'Ip', friendlyName: '10.0.0.1', address: '10.0.0.1' },
        { kind: 'Account', friendlyName: 'alice', accountName: 'alice', upnSuffix: 'contoso.com' },
        { kind: 'Account', friendlyName: 'bob@contoso.com', userPrincipalName: 'bob@contoso.com' },
        { kind: 'Host', friendlyName: 'web01', hostName: 'web01', dnsDomain: 'contoso.local' },
        { kind: 'Url', friendlyName: 'https://evil.example' },
      ],
    });
    expect(p).toEqual({
      incidentNumber: incident.number,
      incidentName: incident.name,
      incidentId: incident.id,
      incidentCreated: new Date(incident.createdTimeUtc),
      alertIds: ['a-1', 'a-2'],
      ipAddresses: ['10.0.0.1'],
      accounts: ['alice', 'alice@contoso.com', 'bob@contoso.com'],
      hosts: ['web01', 'web01.contoso.local'],
    });
  });
});

describe('queryResult and runEnrichQueries', () => {
  const table = { name: 'PrimaryResult', columns: [{ name: 'User', type: 'string' }], rows: [['alice']] };

  it('keeps the first table, and notes a partial error or a failure', () => {
    expect(queryResult('q', { ok: true, tables: [table], truncated: false })).toEqual({
      name: 'q',
      columns: ['User'],
      rows: [['alice']],
      truncated: false,
    });
    expect(
      queryResult('q', { ok: true, tables: [table], truncated: false, partialError: { code: 'PartialError', message: 'too big' } }),
    ).toMatchObject({
      rows: [['alice']],
      error: 'PartialError: too big',
    });
    expect(queryResult('q', { ok: false, error: { code: 'BadArgumentError', status: 400, message: 'no such table' } })).toEqual({
      name: 'q',
      columns: [],
      rows: [],
      truncated: false,
      error: 'BadArgumentError, HTTP 400: no such table',
    });
  });

  it('runs every query at once with the limits and parameters; a throwing runner becomes an error', async () => {
    const seen: KqlRequest[] = [];
    const runner: KqlQueryRunner = {
      async run(r) {
        seen.push(r);
        if (r.query.startsWith('boom')) throw new Error('socket hang up');
        return { ok: true, tables: [table], truncated: false };
      },
    };
    const parameters = queryParameters(sampleIncident());
    const results = await runEnrichQueries(
      runner,
      WORKSPACE_ID,
      [
        { name: 'a', query: 'SigninLogs', timespan: 'PT1H' },
        { name: 'b', query: 'boom' },
      ],
      parameters,
    );
    expect(results.map((r) => [r.name, r.rows.length, r.error])).toEqual([
      ['a', 1, undefined],
      ['b', 0, 'socket hang up'],
    ]);
    expect(seen[0]).toEqual({ workspaceId: WORKSPACE_ID, query: 'SigninLogs', timespan: 'PT1H', parameters, limits: ENRICH_QUERY_LIMITS });
    const none = await runEnrichQueries(runner, undefined, [{ name: 'a', query: 'T' }], parameters);
    expect(none[0]?.error).toMatch(/no workspaceId/);
  });
});
