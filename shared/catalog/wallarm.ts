// Wallarm: the 22 event types of Wallarm's legacy Sentinel integration (23 tables: "integration disabled" has two),
// recognised in the envelope Wallarm's webhook integration sends, plus the single table of Wallarm's current
// Logs Ingestion integration (WallarmSentinel_CL).
//
// Payload shapes, from https://docs.wallarm.com/user-guides/settings/integrations/webhook/ and the history of that page
// in github.com/wallarm/product-documentation:
//  - Body: a JSON array (default) or NDJSON of envelopes `{summary, description?, details: {client_name, cloud,
//    notification_type, …}}`. Test notifications are always a JSON array.
//  - new_hits: ONE hit per envelope, at `details.hit`; several hits are several envelopes in the same array/NDJSON
//    body, each with its own summary and client fields. The ingest layer's array/NDJSON split therefore already gives
//    one record per hit, and this source needs no `unwrap`. `details.hit.host` since 2026, `details.hit.domain` before.
//  - Security issues: `security_issue` with `details.security_issue {host, id, method, parameter, path, title,
//    discovered_by, risk, type}` and `details.security_issue_link` (2026); before that `vuln` with `details.vuln
//    {domain, …, threat}` and `details.vuln_link`. Risk levels: Critical, High, Medium, Low, Info.
//  - ip_blocked: `details {trigger_name, application, reason, expire_at: "2021-06-10 02:27:15 +0300", ip}`.
//  - Until mid-2021 the webhook sent bare objects: a hit's own fields at the top level (`object_type: "hit"`,
//    `anomality`), a vulnerability as `{title, source, type, domain, threat, link, summary}`. Still accepted (the
//    columns also read the top-level names), which also covers legacy Data Collector senders posting flat hits.
//  - The other types are documented only as notification text (create_user, api_structure_changed, attacks_exceeded,
//    …): their columns read the names that text uses, as string/dynamic columns that accept any value, and every
//    other field stays in RawData.
import { getPath } from './rows.js';
import type { Column, ColumnType, EventType, JsonRecord, Source, TableDef } from './types.js';

export const WALLARM_DEFAULT_TABLE = 'WallarmSentinel_CL';

type Severity = 'high' | 'medium' | 'low' | 'info';

// Maps, not object literals: these are looked up by names a request sends ("constructor" is no severity).

/** Severity by type (the Severity column of Wallarm's own table: high/medium/low/info). Issues follow their risk. */
const SEVERITY: ReadonlyMap<string, Severity> = new Map([
  ['new_hits', 'high'],
  ['attacks_exceeded', 'high'],
  ['incidents_exceeded', 'high'],
  ['compromised_logins', 'high'],
  ['vuln_high', 'high'],
  ['vuln_medium', 'medium'],
  ['vuln_low', 'low'],
  ['ip_blocked', 'medium'],
  ['integration_broken', 'medium'],
  ['api_structure_changed', 'low'],
  ['api_comparison_result', 'low'],
  ['disable_integration', 'low'],
  ['delete_integration', 'low'],
  ['create_user', 'low'],
  ['delete_user', 'low'],
  ['update_user', 'low'],
]);

const RISK_SEVERITY: ReadonlyMap<string, Severity> = new Map([
  ['critical', 'high'],
  ['high', 'high'],
  ['medium', 'medium'],
  ['low', 'low'],
  ['info', 'info'],
]);

/** Security-issue risk → legacy table: the legacy integration had only high/medium/low. */
const VULN_BY_RISK: ReadonlyMap<string, string> = new Map([
  ['critical', 'vuln_high'],
  ['high', 'vuln_high'],
  ['medium', 'vuln_medium'],
  ['low', 'vuln_low'],
  ['info', 'vuln_low'],
]);

/** Notification types whose table depends on the risk. */
const ISSUE_NOTIFICATIONS: ReadonlySet<string> = new Set(['security_issue', 'vuln', 'vulnerability']);

const RISK_PATHS = [
  'details.security_issue.risk',
  'details.vuln.risk',
  'details.security_issue.threat',
  'details.vuln.threat',
  'threat',
  'risk',
];

/** Event times: unix seconds in hits; the others carry none in the documented shapes (→ receipt time). */
const TIME_PATHS = [
  'details.hit.request_time',
  'details.hit.create_time',
  'request_time',
  'create_time',
  'details.time',
  'details.timestamp',
  'details.created_at',
  'details.create_time',
] as const;

const firstString = (record: JsonRecord, paths: readonly string[]): string | undefined => {
  for (const path of paths) {
    const v = getPath(record, path);
    if ((typeof v === 'string' && v !== '') || typeof v === 'number') return String(v);
  }
  return undefined;
};

const riskOf = (record: JsonRecord) => firstString(record, RISK_PATHS)?.toLowerCase();

/** A notification type (or a request's type hint) → our type name. */
function canonicalType(name: string, record: JsonRecord): string {
  const n = name.trim().replace(/_CL$/i, '').toLowerCase();
  if (ISSUE_NOTIFICATIONS.has(n)) {
    const risk = riskOf(record);
    return (risk && VULN_BY_RISK.get(risk)) || n;
  }
  if (n.startsWith('new_scope_object')) return 'scope_object';
  return n;
}

/** The type a record names itself: the envelope's notification_type, else the bare pre-2021 hit / vulnerability. */
function typeOfRecord(record: JsonRecord): string | undefined {
  const nt = getPath(record, 'details.notification_type');
  if (typeof nt === 'string' && nt.trim()) return canonicalType(nt, record);
  if (record.object_type === 'hit') return 'new_hits';
  if (typeof record.threat === 'string' && typeof record.title === 'string') return canonicalType('vuln', record);
  return undefined;
}

function severityOf(type: string | undefined, record: JsonRecord): Severity {
  if (type?.startsWith('vuln')) {
    const bySeverity = RISK_SEVERITY.get(riskOf(record) ?? '');
    if (bySeverity) return bySeverity;
  }
  return (type && SEVERITY.get(type)) || 'info';
}

const col = (name: string, type: ColumnType, description: string, from: readonly string[]): Column => ({ name, type, description, from });

/** Paths of a hit field (first name wins): in the envelope, then in the bare pre-2021 form. */
const hit = (...keys: string[]) => [...keys.map((k) => `details.hit.${k}`), ...keys];
/** Paths of a security-issue field: 2026 `security_issue`, then the older `vuln`. */
const issue = (key: string) => [`details.security_issue.${key}`, `details.vuln.${key}`];

// ---- columns -------------------------------------------------------------------------------------------------

const ENVELOPE: readonly Column[] = [
  col('Summary', 'string', 'Notification summary, e.g. "[Wallarm] New hit detected".', ['summary']),
  col('Description', 'string', 'Notification text.', ['description']),
  col('ClientName', 'string', 'Wallarm company account.', ['details.client_name']),
  col('Cloud', 'string', 'Wallarm Cloud of the account (EU, US).', ['details.cloud']),
  col('NotificationType', 'string', 'notification_type as Wallarm sent it (security_issue, new_scope_object_ips, …).', [
    'details.notification_type',
  ]),
  col('TriggerName', 'string', 'Trigger that sent the notification.', ['details.trigger_name', 'details.trigger.name']),
  col('Link', 'string', 'Wallarm Console link.', ['details.link', 'details.security_issue_link', 'details.vuln_link', 'link']),
];

const severityColumn = (type: string): Column => ({
  name: 'Severity',
  type: 'string',
  description: "high, medium, low or info (as in Wallarm's own table); security issues follow their risk.",
  compute: (record) => severityOf(type, record),
});

const HIT: readonly Column[] = [
  col('HitId', 'dynamic', 'Hit id (Wallarm sends [index, id]); `id` is reserved.', hit('id')),
  col('AttackType', 'string', 'Attack type: sqli, xss, ptrav, …', hit('type')),
  col('Host', 'string', 'Attacked host (host; domain in older notifications).', hit('host', 'domain')),
  col('Method', 'string', 'HTTP method.', hit('method')),
  col('Path', 'string', 'Request path.', hit('path')),
  col('Parameter', 'string', 'Attacked parameter.', hit('parameter')),
  col('Payloads', 'dynamic', 'Malicious payloads.', hit('payloads')),
  col('Point', 'dynamic', 'Request point of the payload, e.g. ["get", "id"].', hit('point')),
  col('BlockStatus', 'string', 'blocked, monitored, …', hit('block_status')),
  col('RemoteAddr', 'string', 'Client IP (IPv4, else IPv6).', hit('remote_addr4', 'remote_addr6')),
  col('RemoteAddr6', 'string', 'Client IPv6 address.', hit('remote_addr6')),
  col('RemotePort', 'int', 'Client port.', hit('remote_port')),
  col('RemoteCountry', 'string', 'Client country code.', hit('remote_country')),
  col('Datacenter', 'string', 'Client data center.', hit('datacenter')),
  col('Tor', 'string', 'Tor exit node status.', hit('tor')),
  col('RequestId', 'string', 'Request id.', hit('request_id')),
  col('RequestTime', 'datetime', 'When the request was made.', hit('request_time')),
  col('CreateTime', 'datetime', 'When Wallarm recorded the hit.', hit('create_time')),
  col('ResponseStatus', 'int', 'HTTP status of the response.', hit('response_status')),
  col('ResponseLen', 'long', 'Response length in bytes.', hit('response_len')),
  col('ResponseTime', 'real', 'Response time in ms.', hit('response_time')),
  col('Probability', 'real', 'Attack probability.', hit('probability')),
  col('HeurDistance', 'real', 'Heuristic distance.', hit('heur_distance')),
  col('Anomaly', 'real', 'Anomaly score (anomality in older notifications).', hit('anomaly', 'anomality')),
  col('Stamps', 'dynamic', 'Detection stamps.', hit('stamps')),
  col('Protocol', 'string', 'API protocol: rest, graphql, none, …', hit('protocol')),
  col('WallarmMode', 'string', 'Filtration mode set for the request.', hit('wallarm_mode')),
  col('FinalWallarmMode', 'string', 'Filtration mode applied.', hit('final_wallarm_mode')),
  col('Applications', 'dynamic', 'Wallarm applications.', hit('applications')),
  col('Headers', 'dynamic', 'Request headers (when the integration includes them).', hit('headers')),
];

const ISSUE: readonly Column[] = [
  col('IssueId', 'string', 'Security issue id; `id` is reserved.', issue('id')),
  col('IssueTitle', 'string', 'Security issue title; `title` is reserved.', [...issue('title'), 'title']),
  col('IssueType', 'string', 'Issue type: Info, Vulnerable component, …', [...issue('type'), 'type']),
  col('Risk', 'string', 'Risk as Wallarm sent it: Critical, High, Medium, Low, Info (`threat` before 2026).', [
    ...issue('risk'),
    ...issue('threat'),
    'threat',
  ]),
  col('Host', 'string', 'Affected host (`domain` before 2026).', [...issue('host'), ...issue('domain'), 'domain']),
  col('Path', 'string', 'Affected path.', issue('path')),
  col('Method', 'string', 'HTTP method.', issue('method')),
  col('Parameter', 'string', 'Affected parameter.', issue('parameter')),
  col('Port', 'string', 'Affected port.', issue('port')),
  col('Url', 'string', 'Affected URL.', issue('url')),
  col('DiscoveredBy', 'string', 'Detection method (AASM, …).', issue('discovered_by')),
  col('IssueSource', 'string', 'Where the finding was made (pre-2021 `source`).', [...issue('source'), 'source']),
];

const IP_BLOCKED: readonly Column[] = [
  col('IpAddress', 'string', 'Denylisted IP address.', ['details.ip']),
  col('Application', 'string', 'Application the IP is blocked for.', ['details.application']),
  col('Reason', 'string', 'Reason given for the denylisting.', ['details.reason']),
  { name: 'ExpireAt', type: 'datetime', description: 'Denylisted until.', from: ['details.expire_at'] },
];

const USER: readonly Column[] = [
  col('UserName', 'string', 'User the change is about.', ['details.user.name', 'details.user_name']),
  col('UserEmail', 'string', 'Email of that user.', ['details.user.email', 'details.user_email', 'details.email']),
  col('UserRole', 'string', 'Role of that user.', ['details.user.role', 'details.user_role', 'details.role']),
];

const INTEGRATION: readonly Column[] = [
  col('IntegrationName', 'string', 'Integration name.', ['details.integration.name', 'details.integration_name']),
  col('IntegrationType', 'string', 'Integration type.', ['details.integration.type', 'details.integration_type']),
  col('Reason', 'string', 'Why it was disabled.', ['details.reason', 'details.error']),
];

const APPLICATION: readonly Column[] = [
  col('ApplicationId', 'string', 'Application id.', ['details.application.id', 'details.application_id']),
  col('ApplicationName', 'string', 'Application name.', ['details.application.name', 'details.application_name', 'details.application']),
  col('PreviousName', 'string', 'Name before the update.', ['details.application.old_name', 'details.old_name', 'details.previous_name']),
];

const RULE: readonly Column[] = [
  col('RuleId', 'string', 'Rule id.', ['details.rule.id', 'details.rule_id']),
  col('RuleType', 'string', 'Rule type.', ['details.rule.type', 'details.rule_type']),
  col('Application', 'string', 'Application the rule applies to.', ['details.rule.application', 'details.application']),
];

const TRIGGER: readonly Column[] = [
  col('TriggerId', 'string', 'Trigger id.', ['details.trigger.id', 'details.trigger_id']),
  col('TriggerTemplate', 'string', 'Trigger template (attacks_exceeded, ip_blocked, …).', [
    'details.trigger.template_id',
    'details.template_id',
  ]),
];

const SCOPE: readonly Column[] = [
  col('ScopeObjects', 'dynamic', 'New objects of the network perimeter (IPs, hosts, domains, services).', [
    'details.ips',
    'details.hosts',
    'details.domains',
    'details.services',
    'details.objects',
  ]),
  {
    name: 'ScopeObjectKind',
    type: 'string',
    description: 'Kind of the new objects, from notification_type (new_scope_object_ips → ips).',
    compute: (record) => /^new_scope_object_(\w+)$/.exec(String(getPath(record, 'details.notification_type') ?? ''))?.[1],
  },
];

const API_CHANGE: readonly Column[] = [
  col('Application', 'string', 'Application of the endpoint.', ['details.application']),
  col('Host', 'string', 'Host (domain) of the endpoint.', ['details.domain', 'details.host']),
  col('EndpointPath', 'string', 'Endpoint path.', ['details.endpoint_path']),
  col('HttpMethod', 'string', 'Endpoint method.', ['details.http_method']),
  col('ChangeType', 'string', 'added, changed, unused, …', ['details.change_type']),
];

const ATTACKS_EXCEEDED: readonly Column[] = [col('Application', 'string', 'Application the trigger watches.', ['details.application'])];

// ---- the 22 events / 23 tables of the legacy integration -------------------------------------------------------

const TYPES: readonly { type: string; description: string; columns: readonly Column[] }[] = [
  { type: 'new_hits', description: 'New hit (one malicious request).', columns: HIT },
  { type: 'create_user', description: 'New user in the company account.', columns: USER },
  { type: 'delete_user', description: 'User deleted from the company account.', columns: USER },
  { type: 'update_user', description: 'User role updated.', columns: USER },
  { type: 'delete_integration', description: 'Integration deleted.', columns: INTEGRATION },
  { type: 'disable_integration', description: 'Integration disabled.', columns: INTEGRATION },
  { type: 'integration_broken', description: 'Integration disabled because of incorrect settings.', columns: INTEGRATION },
  { type: 'create_application', description: 'New application.', columns: APPLICATION },
  { type: 'delete_application', description: 'Application deleted.', columns: APPLICATION },
  { type: 'update_application', description: 'Application name updated.', columns: APPLICATION },
  { type: 'vuln_high', description: 'New security issue of high (or critical) risk.', columns: ISSUE },
  { type: 'vuln_medium', description: 'New security issue of medium risk.', columns: ISSUE },
  { type: 'vuln_low', description: 'New security issue of low (or info) risk.', columns: ISSUE },
  { type: 'rule_create', description: 'New rule.', columns: RULE },
  { type: 'rule_delete', description: 'Rule deleted.', columns: RULE },
  { type: 'rule_update', description: 'Rule changed.', columns: RULE },
  { type: 'trigger_create', description: 'New trigger.', columns: TRIGGER },
  { type: 'trigger_delete', description: 'Trigger deleted.', columns: TRIGGER },
  { type: 'trigger_update', description: 'Trigger changed.', columns: TRIGGER },
  { type: 'scope_object', description: 'Hosts, services or domains of the exposed assets changed (new_scope_object_*).', columns: SCOPE },
  { type: 'api_structure_changed', description: 'API inventory changed.', columns: API_CHANGE },
  { type: 'attacks_exceeded', description: 'Number of attacks exceeded the trigger threshold.', columns: ATTACKS_EXCEEDED },
  { type: 'ip_blocked', description: 'New denylisted IP.', columns: IP_BLOCKED },
];

/** Type names of the legacy per-type tables (`<type>_CL`). */
export const WALLARM_TYPE_NAMES: readonly string[] = TYPES.map((t) => t.type);

const PER_TYPE_TABLES: ReadonlyMap<string, TableDef> = new Map(
  TYPES.map((t) => [
    t.type,
    {
      table: `${t.type}_CL`,
      description: `Wallarm ${t.type}: ${t.description}`,
      rawData: 'extras',
      columns: [...ENVELOPE, severityColumn(t.type), ...t.columns],
    } satisfies TableDef,
  ]),
);

/** Url of the single table: the issue's own URL, else host + path of the hit / issue / endpoint. */
function urlOf(record: JsonRecord): string | undefined {
  const explicit = firstString(record, ['details.security_issue.url', 'details.vuln.url', 'details.url']);
  if (explicit) return explicit;
  const host = firstString(record, [
    'details.hit.host',
    'details.hit.domain',
    'details.security_issue.host',
    'details.vuln.domain',
    'details.domain',
    'host',
    'domain',
  ]);
  const path = firstString(record, [
    'details.hit.path',
    'details.security_issue.path',
    'details.vuln.path',
    'details.endpoint_path',
    'path',
  ]);
  return host ? `${host}${path ?? ''}` : undefined;
}

/**
 * The single table of Wallarm's own Logs Ingestion integration: exactly its columns (TimeGenerated, Vendor, EventType,
 * Severity, ClientName, Summary, Description, RequestId, RemoteAddr, Url, RawData as a JSON string of the whole event)
 * plus our normalization columns, so KQL written for Wallarm's integration works unchanged.
 */
export function wallarmSingleTable(table: string): TableDef {
  return {
    table,
    description: "All Wallarm events in one table, with the columns of Wallarm's own Logs Ingestion integration.",
    rawData: 'json',
    columns: [
      { name: 'Vendor', type: 'string', description: 'Always Wallarm.', compute: () => 'Wallarm' },
      {
        name: 'Severity',
        type: 'string',
        // From the record's own type (one table for all types); a record whose type only the request named gets info.
        description: 'high, medium, low or info.',
        compute: (record) => severityOf(typeOfRecord(record), record),
      },
      col('ClientName', 'string', 'Wallarm company account.', ['details.client_name']),
      col('Summary', 'string', 'Notification summary.', ['summary']),
      col('Description', 'string', 'Notification text.', ['description']),
      col('RequestId', 'string', 'Request id of a hit.', hit('request_id')),
      col('RemoteAddr', 'string', 'Client IP of a hit, or the denylisted IP.', [
        'details.hit.remote_addr4',
        'details.hit.remote_addr6',
        'details.ip',
        'remote_addr4',
        'remote_addr6',
      ]),
      { name: 'Url', type: 'string', description: 'Affected host and path.', compute: urlOf },
    ],
  };
}

export function wallarmSource(options: { wallarmTable?: string | undefined }): Source {
  const singleMode = Boolean(options.wallarmTable);
  const single = wallarmSingleTable(options.wallarmTable || WALLARM_DEFAULT_TABLE);
  const eventType = (type: string, description: string, table: TableDef): EventType => ({
    source: 'wallarm',
    type,
    description,
    table,
    time: TIME_PATHS,
  });
  return {
    name: 'wallarm',
    description: `Wallarm webhook notifications → ${singleMode ? single.table : 'the legacy per-type tables (new_hits_CL, …)'}`,
    types: TYPES.map((t) => eventType(t.type, t.description, singleMode ? single : (PER_TYPE_TABLES.get(t.type) as TableDef))),
    // The request's type (?type=, Log-Type) wins over the record's notification_type; both go through the same
    // aliases (security_issue/vuln → vuln_<risk>, new_scope_object_* → scope_object).
    classify: (record, hint) => (hint?.trim() ? canonicalType(hint, record) : typeOfRecord(record)),
    // Types without a legacy table (compromised_logins, api_comparison_result, incidents_exceeded, future ones) are
    // never rejected: they go to the single table in either mode.
    fallback: (type) => eventType(type ?? 'unknown', 'Wallarm notification without a legacy table.', single),
  };
}
