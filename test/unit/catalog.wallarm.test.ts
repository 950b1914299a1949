import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildCatalog } from '../../shared/catalog/index.js';
import { getPath, toRow } from '../../shared/catalog/rows.js';
import { COLUMN_NAME, COMMON_COLUMNS, columnsOf, RESERVED_COLUMN_NAMES, streamOf } from '../../shared/catalog/tables.js';
import type { EventType, JsonRecord, Source, TableDef } from '../../shared/catalog/types.js';
import { WALLARM_DEFAULT_TABLE, WALLARM_TYPE_NAMES } from '../../shared/catalog/wallarm.js';
import { expectEveryLeafKept } from '../support/everyLeaf.js';

// Fixtures (JSON array / NDJSON bodies as Wallarm's webhook integration sends them):
//  hits-2026-host.json/.ndjson, security-issue-2026.json/.ndjson, ip-blocked.json:
//    https://docs.wallarm.com/user-guides/settings/integrations/webhook/ (NDJSON hit lines: the page closes one brace
//    too few; repaired, and equal to the JSON array)
//  hits-2023-domain.json: same page, Dec 2023–Jan 2026 (https://docs.wallarm.com/4.10/user-guides/settings/integrations/webhook/)
//  hit-2021-domain.json, vuln-2021.json: same page, Jun 2021–Dec 2023 (vuln: the page's JS-style literal as JSON)
//  hit-2020-bare.json, vuln-2020-bare.json: same page, Jun 2020–Jun 2021 (https://docs.wallarm.com/2.14/…/webhook/)
//  modelled-notifications.json: the types Wallarm documents only as notification text (users, integrations,
//    applications, rules, triggers, scope, API changes, thresholds, stolen credentials …), modelled on that text.

const ctx = { receivedAt: '2026-11-25T12:00:00.000Z' };
const LEGACY_TABLES = [
  'new_hits_CL',
  'create_user_CL',
  'delete_user_CL',
  'update_user_CL',
  'delete_integration_CL',
  'disable_integration_CL',
  'integration_broken_CL',
  'create_application_CL',
  'delete_application_CL',
  'update_application_CL',
  'vuln_high_CL',
  'vuln_medium_CL',
  'vuln_low_CL',
  'rule_create_CL',
  'rule_delete_CL',
  'rule_update_CL',
  'trigger_create_CL',
  'trigger_delete_CL',
  'trigger_update_CL',
  'scope_object_CL',
  'api_structure_changed_CL',
  'attacks_exceeded_CL',
  'ip_blocked_CL',
];
const WALLARM_OWN_COLUMNS = [
  'TimeGenerated',
  'Vendor',
  'EventType',
  'Severity',
  'ClientName',
  'Summary',
  'Description',
  'RequestId',
  'RemoteAddr',
  'Url',
  'RawData',
];

const perType = buildCatalog();
const single = buildCatalog({ wallarmTable: 'X_CL' });
const wallarmOf = (c: typeof perType) => c.source('wallarm') as Source;

/** A fixture body decoded as the ingest layer does: JSON (object or array) or NDJSON, then the source's unwrap. */
function body(name: string): JsonRecord[] {
  const text = readFileSync(new URL(`../fixtures/wallarm/${name}`, import.meta.url), 'utf8').trim();
  const parsed: unknown[] = text.startsWith('[') ? JSON.parse(text) : text.split('\n').map((line) => JSON.parse(line));
  const source = wallarmOf(perType);
  return parsed.flatMap((e) => (source.unwrap ? source.unwrap(e) : [e])) as JsonRecord[];
}
const first = (name: string) => body(name)[0] as JsonRecord;
const modelled = (notificationType: string) => {
  const r = body('modelled-notifications.json').find((x) => getPath(x, 'details.notification_type') === notificationType);
  if (!r) throw new Error(`no modelled ${notificationType}`);
  return r;
};
const withRisk = (record: JsonRecord, risk: string): JsonRecord => {
  const r = structuredClone(record);
  (getPath(r, 'details.security_issue') as JsonRecord).risk = risk;
  return r;
};

/** One realistic record per legacy type. */
const SAMPLES: Record<string, JsonRecord> = {
  new_hits: first('hits-2026-host.json'),
  vuln_high: withRisk(first('security-issue-2026.json'), 'High'),
  vuln_medium: first('security-issue-2026.json'),
  vuln_low: first('vuln-2020-bare.json'),
  scope_object: modelled('new_scope_object_ips'),
  ip_blocked: first('ip-blocked.json'),
};
for (const t of WALLARM_TYPE_NAMES) SAMPLES[t] ??= modelled(t);

// ---- helpers -------------------------------------------------------------------------------------------------

function rowOf(catalog: typeof perType, record: JsonRecord, hint?: string) {
  const type = catalog.resolve(wallarmOf(catalog), record, hint) as EventType;
  expect(type).toBeDefined();
  const result = toRow(type, type.table, record, ctx);
  if (!result.ok) throw new Error(`${type.type}: ${JSON.stringify(result.errors)}`);
  expectEveryLeafKept(type.table, record, result.row);
  return { type, row: result.row };
}

// ---- tests ---------------------------------------------------------------------------------------------------

describe('Wallarm event types', () => {
  it('are the 23 legacy tables, type = table name without _CL', () => {
    expect(WALLARM_TYPE_NAMES.map((t) => `${t}_CL`)).toEqual(LEGACY_TABLES);
    const source = wallarmOf(perType);
    expect(source.types.map((t) => t.table.table)).toEqual(LEGACY_TABLES);
    expect(source.types.every((t) => t.source === 'wallarm' && t.table.table === `${t.type}_CL`)).toBe(true);
    const names = perType.tables.map((t) => t.table);
    for (const t of [...LEGACY_TABLES, WALLARM_DEFAULT_TABLE]) expect(names).toContain(t);
  });

  it.each(WALLARM_TYPE_NAMES)('%s: a realistic record resolves to its own table and stream (per-type mode)', (name) => {
    const record = SAMPLES[name] as JsonRecord;
    const { type, row } = rowOf(perType, record);
    expect(type.type).toBe(name);
    expect(type.table.table).toBe(`${name}_CL`);
    expect(streamOf(type.table.table)).toBe(`Custom-${name}_CL`);
    expect(perType.tableOfStream(`Custom-${name}_CL`)).toBe(type.table);
    expect(perType.typeForLogType(name)?.type).toBe(type);
    expect(row).toMatchObject({ Source: 'wallarm', EventType: name, ReceivedAt: ctx.receivedAt });
    expect(row.ClientName).toBe(getPath(record, 'details.client_name'));
    expect(['high', 'medium', 'low', 'info']).toContain(row.Severity);
  });

  it.each(WALLARM_TYPE_NAMES)('%s: the same record goes to the single table in single-table mode', (name) => {
    const record = SAMPLES[name] as JsonRecord;
    const { type, row } = rowOf(single, record);
    expect(type.type).toBe(name);
    expect(type.table.table).toBe('X_CL');
    expect(single.tableOfStream('Custom-X_CL')).toBe(type.table);
    expect(row).toMatchObject({ Vendor: 'Wallarm', EventType: name, Source: 'wallarm' });
    expect(JSON.parse(row.RawData as string)).toEqual(record);
  });

  it('single-table mode has no per-type tables', () => {
    const names = single.tables.map((t) => t.table);
    for (const t of LEGACY_TABLES) expect(names).not.toContain(t);
    expect(names).toContain('X_CL');
    expect(names).not.toContain(WALLARM_DEFAULT_TABLE);
  });
});

describe('the single table', () => {
  it("declares exactly Wallarm's own columns plus the common ones", () => {
    const table = single.tableOfStream('Custom-X_CL') as TableDef;
    const declared = columnsOf(table);
    const common = COMMON_COLUMNS.map((c) => c.name);
    expect(declared.map((c) => c.name).sort()).toEqual([...new Set([...WALLARM_OWN_COLUMNS, ...common])].sort());
    const typeOf = (n: string) => declared.find((c) => c.name === n)?.type;
    expect(typeOf('TimeGenerated')).toBe('datetime');
    expect(typeOf('RawData')).toBe('string');
    for (const n of WALLARM_OWN_COLUMNS.filter((n) => n !== 'TimeGenerated')) expect(typeOf(n), n).toBe('string');
  });

  it('fills them for a hit, a denylisted IP and a security issue', () => {
    expect(rowOf(single, first('hits-2026-host.json')).row).toMatchObject({
      TimeGenerated: '2023-12-25T15:57:03.000Z',
      Vendor: 'Wallarm',
      EventType: 'new_hits',
      Severity: 'high',
      ClientName: 'Test Company',
      Summary: '[Wallarm] New hit detected',
      RequestId: 'xxxxxxxxxxxxxxxx',
      RemoteAddr: '8.8.8.8',
      Url: 'example.com/',
    });
    expect(rowOf(single, first('ip-blocked.json')).row).toMatchObject({
      TimeGenerated: ctx.receivedAt,
      EventType: 'ip_blocked',
      Severity: 'medium',
      RemoteAddr: '1.1.1.1',
      Description: expect.stringContaining('IP address 1.1.1.1 was denylisted'),
    });
    expect(rowOf(single, withRisk(first('security-issue-2026.json'), 'Critical')).row).toMatchObject({
      EventType: 'vuln_high',
      Severity: 'high',
      Url: 'example.com',
    });
  });
});

describe('routing', () => {
  it.each(['compromised_logins', 'api_comparison_result', 'incidents_exceeded'])(
    '%s (no legacy table) goes to the single table in both modes',
    (nt) => {
      const record = modelled(nt);
      const a = rowOf(perType, record);
      expect(a.type.type).toBe(nt);
      expect(a.type.table.table).toBe(WALLARM_DEFAULT_TABLE);
      expect(a.row.EventType).toBe(nt);
      const b = rowOf(single, record);
      expect(b.type.table.table).toBe('X_CL');
    },
  );

  it('a type Wallarm adds later, or none at all, is never rejected', () => {
    const future = {
      summary: '[Wallarm] Something new',
      details: { client_name: 'TestCompany', cloud: 'EU', notification_type: 'shiny_new_thing', x: { y: 1 } },
    };
    expect(rowOf(perType, future)).toMatchObject({ type: { type: 'shiny_new_thing', table: { table: WALLARM_DEFAULT_TABLE } } });
    expect(rowOf(perType, { hello: 'world' })).toMatchObject({ type: { type: 'unknown', table: { table: WALLARM_DEFAULT_TABLE } } });
  });

  it('security issue risk critical → vuln_high, info → vuln_low, the original risk kept', () => {
    const critical = rowOf(perType, withRisk(first('security-issue-2026.json'), 'Critical'));
    expect(critical.type.type).toBe('vuln_high');
    expect(critical.row).toMatchObject({ Risk: 'Critical', Severity: 'high', NotificationType: 'security_issue' });
    const info = rowOf(perType, withRisk(first('security-issue-2026.json'), 'Info'));
    expect(info.type.type).toBe('vuln_low');
    expect(info.row).toMatchObject({ Risk: 'Info', Severity: 'info' });
    expect(rowOf(perType, withRisk(first('security-issue-2026.json'), 'Low')).type.type).toBe('vuln_low');
  });

  it('older vuln notifications map by their threat', () => {
    const v = first('vuln-2021.json');
    expect(rowOf(perType, v).type.type).toBe('vuln_medium');
    const high = structuredClone(v);
    (getPath(high, 'details.vuln') as JsonRecord).threat = 'High';
    expect(rowOf(perType, high)).toMatchObject({ type: { type: 'vuln_high' }, row: { Risk: 'High', NotificationType: 'vuln' } });
  });

  it('a security issue without a known risk is not guessed: it goes to the single table', () => {
    const r = withRisk(first('security-issue-2026.json'), '');
    expect(rowOf(perType, r).type).toMatchObject({ type: 'security_issue', table: { table: WALLARM_DEFAULT_TABLE } });
  });

  it('new_scope_object_ips → scope_object', () => {
    const { type, row } = rowOf(perType, modelled('new_scope_object_ips'));
    expect(type.table.table).toBe('scope_object_CL');
    expect(row).toMatchObject({ ScopeObjects: ['8.8.8.8'], ScopeObjectKind: 'ips', NotificationType: 'new_scope_object_ips' });
  });

  it("the request's type wins over the record, through the same aliases", () => {
    const hit = first('hits-2026-host.json');
    expect(perType.resolve(wallarmOf(perType), hit, 'ip_blocked')?.type).toBe('ip_blocked');
    expect(perType.resolve(wallarmOf(perType), hit, 'new_hits_CL')?.type).toBe('new_hits');
    expect(perType.resolve(wallarmOf(perType), hit, 'compromised_logins')?.table.table).toBe(WALLARM_DEFAULT_TABLE);
    const issue = withRisk(first('security-issue-2026.json'), 'High');
    expect(perType.resolve(wallarmOf(perType), issue, 'vuln_low')?.type).toBe('vuln_low');
    expect(perType.resolve(wallarmOf(perType), issue, 'security_issue')?.type).toBe('vuln_high');
    expect(perType.resolve(wallarmOf(perType), modelled('new_scope_object_ips'), 'new_scope_object_ips')?.type).toBe('scope_object');
    // a bare record named by a legacy Log-Type
    const logType = perType.typeForLogType('new_hits')?.type as EventType;
    expect(logType.table.table).toBe('new_hits_CL');
    expect(perType.typeForLogType('vuln_high_CL')?.type?.type).toBe('vuln_high');
    // Wallarm's single table is shared by every type: the Log-Type names the source, each record its own type.
    const single = buildCatalog({ wallarmTable: 'WallarmSentinel_CL' }).typeForLogType('WallarmSentinel');
    expect(single?.source.name).toBe('wallarm');
    expect(single?.type).toBeUndefined();
  });
});

describe('Wallarm documentation fixtures', () => {
  it('hits (2026, host): JSON array and NDJSON give the same rows, one per hit, with typed values', () => {
    const array = body('hits-2026-host.json');
    const ndjson = body('hits-2026-host.ndjson');
    expect(array).toHaveLength(2);
    expect(ndjson).toEqual(array);
    const rows = array.map((r) => rowOf(perType, r).row);
    expect(ndjson.map((r) => rowOf(perType, r).row.EventId)).toEqual(rows.map((r) => r.EventId));
    expect(rows[0]?.EventId).not.toBe(rows[1]?.EventId);
    expect(rows[0]).toMatchObject({
      TimeGenerated: '2023-12-25T15:57:03.000Z',
      EventTime: '2023-12-25T15:57:03.000Z',
      EventType: 'new_hits',
      Summary: '[Wallarm] New hit detected',
      ClientName: 'Test Company',
      Cloud: 'EU',
      NotificationType: 'new_hits',
      Severity: 'high',
      HitId: ['hits_production_1111_202312_v_1', 'xxxxxxxxxxxxxxxx'],
      AttackType: 'sqli',
      Host: 'example.com',
      Method: 'GET',
      Path: '/',
      Parameter: 'GET_id_value',
      Payloads: ["1' select version();"],
      Point: ['get', 'id'],
      BlockStatus: 'monitored',
      RemoteAddr: '8.8.8.8',
      RemotePort: 41253,
      Datacenter: 'unknown',
      Tor: 'none',
      RequestId: 'xxxxxxxxxxxxxxxx',
      RequestTime: '2023-12-25T15:57:03.000Z',
      CreateTime: '2023-12-25T15:57:06.000Z',
      ResponseStatus: 404,
      ResponseLen: 345,
      ResponseTime: 359,
      Probability: 20.714285714285715,
      HeurDistance: 20.714285714285715,
      Anomaly: 1.0357142857142858,
      Stamps: [7965],
      Protocol: 'rest',
      FinalWallarmMode: 'monitoring',
      Applications: ['default'],
    });
    expect(rows[1]).toMatchObject({ AttackType: 'ptrav', Path: '/etc/passwd', Point: ['uri'], Protocol: 'none' });
    expect(getPath(rows[0]?.RawData as JsonRecord, 'details.hit')).toMatchObject({
      stamps_hash: 271168947,
      lom_id: 932,
      remote_addr6: null,
    });
    expect(rows[0]).not.toHaveProperty('RemoteAddr6');
  });

  it('hits (2023, domain): the older field name fills Host', () => {
    const rows = body('hits-2023-domain.json').map((r) => rowOf(perType, r).row);
    expect(rows.map((r) => r.Host)).toEqual(['example.com', 'example.com']);
    expect(getPath(rows[0]?.RawData as JsonRecord, 'details.hit.domain')).toBeUndefined();
  });

  it('hit (2021–2023 envelope): typed, empty values kept in RawData', () => {
    const { type, row } = rowOf(perType, first('hit-2021-domain.json'));
    expect(type.type).toBe('new_hits');
    expect(row).toMatchObject({
      Host: 'www.example.com',
      Method: 'POST',
      Parameter: 'SOME_value',
      RemoteCountry: 'PL',
      RemotePort: 0,
      Anomaly: 0,
      ResponseStatus: 200,
      TimeGenerated: '2020-10-27T21:36:46.000Z',
    });
    expect(getPath(row.RawData as JsonRecord, 'details.hit.remote_addr6')).toBe('');
  });

  it('hit (2020, bare object): recognised by object_type, anomality read as Anomaly', () => {
    const { type, row } = rowOf(perType, first('hit-2020-bare.json'));
    expect(type.type).toBe('new_hits');
    expect(row).toMatchObject({
      Host: 'example.com',
      AttackType: 'sqli',
      HitId: ['hits_production_6396_202006_v_1', 'vpuRfnIBVc0URvOZ6ALA'],
      RemoteAddr: '111.17.1.1',
      Anomaly: 0.9806949806949808,
      TimeGenerated: '2020-06-04T09:02:47.000Z',
      Severity: 'high',
    });
    expect(rowOf(single, first('hit-2020-bare.json')).row).toMatchObject({
      EventType: 'new_hits',
      RemoteAddr: '111.17.1.1',
      Url: 'example.com/',
    });
  });

  it('vulnerability (2020, bare object): vuln_low by its threat, every field typed', () => {
    const { type, row } = rowOf(perType, first('vuln-2020-bare.json'));
    expect(type.type).toBe('vuln_low');
    expect(row).toMatchObject({
      IssueTitle: "Missing \"Strict-Transport-Security\" header in server's response at '93.184.216.34:443'",
      IssueType: 'Info',
      IssueSource: '93.184.216.34:443',
      Host: 'www.example.com',
      Risk: 'Low',
      Link: 'https://my.wallarm.com/object/282157',
      Summary: 'New vulnerability identified',
      Severity: 'low',
    });
    expect(row).not.toHaveProperty('RawData');
  });

  it('vulnerability (2021–2025, vuln/threat) and security issue (2026, security_issue/risk, JSON and NDJSON)', () => {
    const old = rowOf(perType, first('vuln-2021.json'));
    expect(old.type.type).toBe('vuln_medium');
    expect(old.row).toMatchObject({
      IssueTitle: 'Test',
      IssueType: 'Info',
      Risk: 'Medium',
      Host: 'example.com',
      Link: 'https://us1.my.wallarm.com/object/555',
      NotificationType: 'vuln',
      Cloud: 'US',
      Severity: 'medium',
    });
    expect(getPath(old.row.RawData as JsonRecord, 'details.vuln')).toEqual({
      id: null,
      method: null,
      parameter: null,
      path: null,
      discovered_by: null,
    });
    const array = body('security-issue-2026.json');
    const ndjson = body('security-issue-2026.ndjson');
    expect(ndjson).toEqual(array);
    const issue = rowOf(perType, array[0] as JsonRecord);
    expect(issue.type.type).toBe('vuln_medium');
    expect(issue.row).toMatchObject({
      IssueTitle: 'Test',
      Risk: 'Medium',
      Host: 'example.com',
      Link: 'https://us1.my.wallarm.com/object/555',
    });
    expect(rowOf(perType, ndjson[0] as JsonRecord).row.EventId).toBe(issue.row.EventId);
  });

  it('ip_blocked: trigger fields typed, expire_at read as a date-time', () => {
    const { type, row } = rowOf(perType, first('ip-blocked.json'));
    expect(type.type).toBe('ip_blocked');
    expect(row).toMatchObject({
      IpAddress: '1.1.1.1',
      Application: 'Application #8',
      Reason: 'Produces many attacks',
      ExpireAt: '2021-06-09T23:27:15.000Z',
      TriggerName: 'Notification about denylisted IP',
      Summary: '[Wallarm] Trigger: New IP address was denylisted',
      TimeGenerated: ctx.receivedAt,
      Severity: 'medium',
    });
    expect(row).not.toHaveProperty('EventTime');
  });

  it('modelled notifications: every one is accepted in both modes with its fields kept', () => {
    for (const record of body('modelled-notifications.json')) {
      rowOf(perType, record);
      rowOf(single, record);
    }
    expect(rowOf(perType, modelled('api_structure_changed')).row).toMatchObject({
      Application: 'Application 1802',
      Host: 'example.com',
      EndpointPath: '/users',
      HttpMethod: 'GET',
      ChangeType: 'added',
    });
    expect(rowOf(perType, modelled('create_user')).row).toMatchObject({
      UserName: 'John Smith',
      UserEmail: 'johnsmith@example.com',
      UserRole: 'analyst',
      TriggerName: 'Added user',
    });
  });
});

describe('the every-leaf check', () => {
  it('fails when a field is neither in its column nor in RawData, or a column holds another value', () => {
    const record = first('ip-blocked.json');
    const type = perType.resolve(wallarmOf(perType), record, undefined) as EventType;
    const result = toRow(type, type.table, record, ctx);
    if (!result.ok) throw new Error('expected a row');
    const { RawData: _, ...withoutRaw } = result.row;
    expect(() => expectEveryLeafKept(type.table, { ...record, extra: 1 }, withoutRaw)).toThrow(/extra/);
    expect(() => expectEveryLeafKept(type.table, record, { ...result.row, IpAddress: '2.2.2.2' })).toThrow(/IpAddress/);
  });
});

describe('column names of every table', () => {
  const reserved = new Set(RESERVED_COLUMN_NAMES.map((n) => n.toLowerCase()));
  const common = new Set([...COMMON_COLUMNS.map((c) => c.name), 'RawData']);
  const tables = [...buildCatalog().tables, ...buildCatalog({ wallarmTable: 'X_CL' }).tables];

  it.each(tables.map((t) => [t.table, t] as const))('%s: valid, not reserved, unique, never a common column name', (_, table) => {
    expect(table.table).toMatch(/^[A-Za-z][A-Za-z0-9_]*_CL$/);
    const names = columnsOf(table).map((c) => c.name);
    for (const n of names) {
      expect(n).toMatch(COLUMN_NAME);
      expect(n.length).toBeLessThanOrEqual(45);
      expect(reserved.has(n.toLowerCase()), n).toBe(false);
    }
    expect(new Set(names).size).toBe(names.length);
    expect(table.columns.filter((c) => common.has(c.name))).toEqual([]);
    for (const c of table.columns) expect(Boolean(c.from?.length) || Boolean(c.compute), c.name).toBe(true);
  });
});
