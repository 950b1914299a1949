// The only module that reads process.env. Every setting is declared once here, with its default and meaning;
// the README's settings table and the Bicep consistency tests are checked against SETTINGS.
import { z } from 'zod';
import { AZURE_CLOUDS, type CloudEndpoints, cloudEndpoints } from './clouds.js';
import { kqlSyntaxProblem } from './kql.js';
import { checkDestinationUrl } from './net/urlPolicy.js';

/** Where JSON.parse stopped, as V8 reports it ("at position 12", "(line 1 column 13)"), without the text around it. */
function jsonErrorPlace(message: string): string {
  const line = /line (\d+) column (\d+)/.exec(message);
  if (line) return ` at line ${line[1]} column ${line[2]}`;
  const position = /position (\d+)/.exec(message);
  if (position) return ` at position ${position[1]}`;
  return /end of JSON input/.test(message) ? ' (it ends too early)' : '';
}

// The parser's own message is not used: V8 quotes the text around the error, which may be part of a secret.
const jsonOf = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: `not valid JSON${jsonErrorPlace((e as Error).message)}` });
        return z.NEVER;
      }
    })
    .pipe(schema);

const commaList = <T extends string>(allowed: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(allowed)).min(1, 'list at least one value'));

const bool = z.enum(['true', 'false', '1', '0', '']).transform((v) => v === 'true' || v === '1');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const name = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

export const INCIDENT_STATUSES = ['New', 'Active', 'Closed'] as const;
export const INCIDENT_SEVERITIES = ['High', 'Medium', 'Low', 'Informational'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];
export const CLASSIFICATIONS = ['Undetermined', 'TruePositive', 'BenignPositive', 'FalsePositive'] as const;
export const CLASSIFICATION_REASONS = ['SuspiciousActivity', 'SuspiciousButExpected', 'IncorrectAlertLogic', 'InaccurateData'] as const;
/** Which reasons Sentinel pairs with which classification (the portal's close dialog). */
export const REASONS_BY_CLASSIFICATION: Record<(typeof CLASSIFICATIONS)[number], readonly (typeof CLASSIFICATION_REASONS)[number][]> = {
  Undetermined: [],
  TruePositive: ['SuspiciousActivity'],
  BenignPositive: ['SuspiciousButExpected'],
  FalsePositive: ['IncorrectAlertLogic', 'InaccurateData'],
};
export type Classification = (typeof CLASSIFICATIONS)[number];
export type ClassificationReason = (typeof CLASSIFICATION_REASONS)[number];
export const DESTINATION_TYPES = ['signl4', 'teams', 'slack', 'pagerduty', 'webhook'] as const;

/** Azure Monitor service limit: at most 10 stream declarations (and 10 data flows) per data collection rule. */
export const DCR_MAX_STREAMS = 10;

const ruleSchema = z.object({
  endpoint: z.url({ protocol: /^https$/, error: 'endpoint must be an https URL (the DCR logs-ingestion endpoint)' }),
  ruleId: z.string().regex(/^dcr-[0-9a-f]{32}$/, 'ruleId must be a DCR immutable id like dcr-0123…(32 hex)'),
  streams: z
    .array(z.string().regex(/^Custom-[A-Za-z][A-Za-z0-9_]*$/, 'streams are named Custom-<table>'))
    .min(1)
    .max(DCR_MAX_STREAMS, `a DCR holds at most ${DCR_MAX_STREAMS} streams`),
});

export const INCIDENT_APIS = ['sentinel', 'graph'] as const;

/**
 * A Sentinel workspace and where its incidents are read: `sentinel` (SecurityInsights, the workspace's own incidents)
 * or `graph` (the tenant's unified Defender incidents, GET /v1.0/security/incidents). subscriptionId/resourceGroup/
 * workspaceName name the Sentinel workspace either way: claims, links and the webhook `source` use it. `workspaceId`
 * (the Log Analytics workspace GUID) is what KQL enrichment queries.
 */
const workspaceSchema = z.object({
  subscriptionId: z.guid({ error: 'subscriptionId must be a GUID' }),
  resourceGroup: z.string().min(1),
  workspaceName: z.string().min(1),
  api: z.enum(INCIDENT_APIS, { error: 'api must be "sentinel" or "graph"' }).default('sentinel'),
  workspaceId: z.guid({ error: 'workspaceId must be the Log Analytics workspace id (a GUID)' }).optional(),
});

const enrichQuerySchema = z.object({
  name: z.string().trim().min(1, 'name the query').max(64),
  query: z.string().trim().min(1, 'the KQL text is empty').max(10_000),
  /** ISO 8601 duration the query looks back (default P1D). */
  timespan: z
    .string()
    .regex(/^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/, 'an ISO 8601 duration such as PT1H or P1D')
    .optional(),
});

/** `true` (alerts and entities) or which parts to add; KQL queries run against the incident's workspace. */
const enrichSchema = z.union([
  z.boolean(),
  z.object({
    alerts: z.boolean().optional(),
    entities: z.boolean().optional(),
    queries: z
      .array(enrichQuerySchema)
      .max(5, 'at most 5 queries per destination')
      .refine((q) => new Set(q.map((x) => x.name)).size === q.length, 'query names must be unique')
      .optional(),
  }),
]);

/** Long enough not to be guessed; never echoed in an error (the messages name the field only). */
const callbackSecret = z.string().min(16, 'a callback secret has at least 16 characters');

const destinationSchema = z
  .object({
    name: z.string().regex(name, 'name: letters, digits, - and _, starting with a letter'),
    type: z.enum(DESTINATION_TYPES),
    url: z.string(),
    secret: z.string().optional(),
    routingKey: z.string().optional(),
    enrich: enrichSchema.optional(),
    statuses: z.array(z.enum(INCIDENT_STATUSES)).optional(),
    // Two-way sync (README "Two-way sync"): the vendor's signing secret (PagerDuty subscription secret, Slack signing
    // secret, a webhook receiver's whsec_ secret) or, for SIGNL4, the secret its callback URL carries. A list of up
    // to three while a secret is rotated: any one of them is accepted.
    callbackSecret: z
      .union([callbackSecret, z.array(callbackSecret).min(1).max(3, 'at most 3 callback secrets (old and new while rotating)')])
      .optional(),
    /** PagerDuty: a read-only REST API key, to map a Webhooks v3 incident id to our dedup_key. */
    restApiKey: z.string().min(1).optional(),
    /** PagerDuty: the REST API's base URL (default https://api.pagerduty.com; an emulator's locally). */
    restApiEndpoint: z.url({ protocol: /^https$/, error: 'restApiEndpoint must be an https URL' }).optional(),
    /** What a close from this destination sets (default INCIDENT_CLOSE_CLASSIFICATION, no reason). */
    closeClassification: z.enum(CLASSIFICATIONS).optional(),
    closeClassificationReason: z.enum(CLASSIFICATION_REASONS).optional(),
  })
  .superRefine((d, ctx) => {
    if (d.closeClassificationReason) {
      const classification = d.closeClassification ?? 'Undetermined';
      if (!REASONS_BY_CLASSIFICATION[classification].includes(d.closeClassificationReason))
        ctx.addIssue({
          code: 'custom',
          path: ['closeClassificationReason'],
          message: `${d.closeClassificationReason} does not go with closeClassification ${classification}`,
        });
    }
    if (d.type === 'teams' && d.callbackSecret !== undefined)
      ctx.addIssue({ code: 'custom', path: ['callbackSecret'], message: 'Teams (Workflows) cannot call back; remove callbackSecret' });
    if (d.type === 'webhook' && d.secret !== undefined && !/^whsec_[A-Za-z0-9+/=]+$/.test(d.secret)) {
      ctx.addIssue({ code: 'custom', path: ['secret'], message: 'a webhook secret is a Standard Webhooks secret: whsec_<base64>' });
    }
    if (d.type === 'pagerduty' && !d.routingKey) {
      ctx.addIssue({ code: 'custom', path: ['routingKey'], message: 'PagerDuty needs routingKey (the integration key)' });
    }
  });

/** Every setting: env name → schema. Descriptions feed the README and `npm run settings`. */
export const SETTINGS = {
  AzureWebJobsStorage: {
    schema: z.string().optional(),
    secret: true,
    doc: 'Storage connection string (local/emulator). In Azure use the identity-based __*ServiceUri settings instead.',
  },
  AzureWebJobsStorage__queueServiceUri: { schema: z.url().optional(), doc: 'Queue service URI for identity-based storage.' },
  AzureWebJobsStorage__tableServiceUri: { schema: z.url().optional(), doc: 'Table service URI for identity-based storage.' },
  AzureWebJobsStorage__blobServiceUri: { schema: z.url().optional(), doc: 'Blob service URI for identity-based storage (claim checks).' },
  AzureWebJobsStorage__clientId: { schema: z.string().optional(), doc: 'Client id of the user-assigned identity used for storage.' },
  AzureWebJobsStorage__credential: { schema: z.string().optional(), doc: '"managedidentity" in Azure (read by the Functions host).' },
  AZURE_CLIENT_ID: {
    schema: z.string().optional(),
    doc: 'Client id of the user-assigned managed identity the app uses for storage, Logs Ingestion, Sentinel and Graph.',
  },
  BRIDGE_CREDENTIAL: {
    schema: z.enum(['default', 'managedidentity', 'emulator']).default('default'),
    doc: '"managedidentity" (set by the Bicep): ManagedIdentityCredential with AZURE_CLIENT_ID, the one credential in Azure. "default": DefaultAzureCredential (local and CI: Azure CLI, environment, …). "emulator": a fixed token for the local emulators (loopback endpoints only).',
  },
  AZURE_CLOUD: {
    schema: z.enum(AZURE_CLOUDS).default('public'),
    doc: 'The Azure cloud: public | usgovernment | china. Chooses every endpoint and token audience (sign-in authority, Resource Manager, Logs Ingestion audience, Log Analytics query, Graph, portal links); ARM_ENDPOINT, GRAPH_ENDPOINT and LOG_ANALYTICS_QUERY_ENDPOINT override one each.',
  },
  EMULATOR_CA_FILE: { schema: z.string().optional(), doc: "PEM file of the local emulators' CA, trusted by the SDK clients (local only)." },
  LOG_LEVEL: { schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'), doc: 'Log level.' },

  INGEST_HMAC_SECRET: {
    schema: z
      .string()
      .refine((v) => (v.startsWith('whsec_') ? /^whsec_[A-Za-z0-9+/=]{16,}$/.test(v) : v.length >= 16), {
        message: 'a Standard Webhooks secret (whsec_<base64>) or a shared secret of at least 16 characters',
      })
      .optional(),
    secret: true,
    doc: 'When set, POST /api/events requires a Standard Webhooks signature (webhook-id, webhook-timestamp, webhook-signature). A whsec_<base64> secret is used as the spec says; any other value (≥ 16 characters) as the raw HMAC key (its UTF-8 bytes), for senders configured with a plain shared secret. Timestamps more than 5 minutes off are refused (replay window).',
  },
  INGEST_MAX_BODY_BYTES: {
    schema: int(1024, 100 * 1024 * 1024).default(30 * 1024 * 1024),
    doc: 'Largest accepted request body (after gzip decoding); larger → 413. Default 30 MB as the Data Collector API allowed.',
  },
  INGEST_INFLIGHT_MB: {
    schema: int(1, 16 * 1024).default(256),
    doc: "Request body bytes one instance processes at once (MB; a gzip body counts its bytes on the wire and decoded). A request that would pass it while others are in flight is answered 503 with Retry-After (a lone request always goes ahead), so concurrent large POSTs cannot run the instance out of memory. Default 256, for a 2,048 MB Flex instance (about 1/8 of its memory): four 30 MB POSTs at once peak at ~2.2× the bytes posted over the ~0.2 GB of an idle instance (docs/BENCHMARKS.md), so 256 MB of bodies is ~0.6 GB, with room left for V8's garbage-collection lag and the other functions of the instance.",
  },
  INGEST_GROUP_COMMIT_MS: {
    schema: int(0, 1000).default(0),
    doc: 'Extra time a request on an idle stream waits for others to share its queue message (milliseconds). Requests that arrive while a write is under way always share the next one.',
  },
  INGEST_DAILY_CAP_MB: {
    schema: z.coerce.number().min(0).max(10_000_000).default(0),
    doc: 'Daily cap per table on the bytes delivered (JSON size of the rows, MB = 10^6 bytes, per UTC day); past it new events are parked, not dropped, and the operators are notified once a day (README "Cost guard"). 0: no cap. The health table SentinelBridgeHealth_CL is capped only when INGEST_TABLE_CAPS_MB names it.',
  },
  INGEST_TABLE_CAPS_MB: {
    // Table names are checked against the catalog (which WALLARM_TABLE shapes) when the app is built.
    schema: jsonOf(z.record(z.string(), z.number().min(0).max(10_000_000))).default({}),
    doc: 'JSON object of per-table daily caps in MB over INGEST_DAILY_CAP_MB, e.g. {"WebhookEvents_CL": 500}; 0 lifts the cap for that table. Table names are checked against the catalog at start.',
  },
  INGEST_CAP_RESUME: {
    schema: z.enum(['auto', 'manual']).default('manual'),
    doc: '"manual": events parked over a daily cap wait for POST /api/replay. "auto": the hourly timer replays them, in order, once the UTC day has rolled over (they count toward the new day).',
  },
  WALLARM_TABLE: {
    schema: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]*_CL$/, 'a custom table name ending in _CL')
      .optional(),
    doc: "Set to put every Wallarm event into this one table (e.g. WallarmSentinel_CL, the columns of Wallarm's own integration). Unset: one table per event type.",
  },
  DATA_COLLECTOR_WORKSPACE_ID: {
    schema: z.string().optional(),
    doc: 'Workspace id that legacy Data Collector senders sign with (POST /api/logs).',
  },
  DATA_COLLECTOR_SHARED_KEY: {
    schema: z.base64({ error: 'must be base64 (the key legacy senders were given)' }).optional(),
    secret: true,
    doc: 'Shared key (base64) that legacy Data Collector senders sign with.',
  },

  LOGS_INGESTION_RULES: {
    schema: jsonOf(z.array(ruleSchema)).default([]),
    doc: 'JSON list of {endpoint, ruleId, streams[]}: which DCR (and its endpoint) takes which stream.',
  },
  DELIVERY_MAX_CONCURRENCY: { schema: int(1, 32).default(4), doc: 'Logs Ingestion chunks in flight per upload.' },
  CIRCUIT_FAILURE_RATIO: {
    schema: z.coerce.number().gt(0).lte(1).default(0.6),
    doc: 'Failure ratio over the window that disables a target.',
  },
  CIRCUIT_MIN_SAMPLES: { schema: int(1, 1_000_000).default(20), doc: 'Attempts needed in the window before the circuit may open.' },
  CIRCUIT_WINDOW_HOURS: { schema: int(1, 72).default(12), doc: 'Rolling window of the circuit, in hours.' },
  STATS_FLUSH_SECONDS: {
    schema: int(0, 3600).default(300),
    doc: 'How long an instance keeps its delivery counts in memory before writing them to the stats table (successes cost no table operation meanwhile). The circuit opens a target only when the failure ratio is still over the limit this long after it was first seen, so the successes of other instances are counted; 0 writes counts at once and opens at once.',
  },
  NOTIFY_WEBHOOK_URL: {
    schema: z.url().optional(),
    secret: true,
    doc: 'Optional URL that receives a JSON notification when a target is disabled or re-enabled.',
  },

  SENTINEL_WORKSPACES: {
    schema: jsonOf(z.array(workspaceSchema)).default([]),
    doc: 'JSON list of {subscriptionId, resourceGroup, workspaceName, api?, workspaceId?} to poll for incidents. api "sentinel" (default) reads the workspace\'s incidents through SecurityInsights, "graph" the tenant\'s unified incidents through Microsoft Graph; workspaceId (GUID) is needed for KQL enrichment. Empty: polling off.',
  },
  ARM_ENDPOINT: {
    schema: z
      .url()
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
    doc: "Azure Resource Manager endpoint; default the AZURE_CLOUD's (https://management.azure.com in the public cloud). Locally the Sentinel emulator.",
  },
  LOG_ANALYTICS_QUERY_ENDPOINT: {
    schema: z
      .url({ protocol: /^https$/, error: 'must be an https URL' })
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
    doc: "Log Analytics query API for KQL enrichment queries (without /v1); default the AZURE_CLOUD's (https://api.loganalytics.io, api.loganalytics.us, api.loganalytics.azure.cn). Locally the Log Analytics query emulator.",
  },
  GRAPH_ENDPOINT: {
    schema: z
      .url({ protocol: /^https$/, error: 'must be an https URL' })
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
    doc: "Microsoft Graph endpoint for workspaces read through Graph; default the AZURE_CLOUD's (https://graph.microsoft.com, graph.microsoft.us, microsoftgraph.chinacloudapi.cn). DoD tenants: https://dod-graph.microsoft.us. Locally the Graph emulator.",
  },
  INCIDENT_POLL_SCHEDULE: { schema: z.string().default('0 */5 * * * *'), doc: 'NCRONTAB schedule of the incident poll.' },
  INCIDENT_LOOKBACK_HOURS: { schema: int(1, 24 * 14).default(24), doc: 'Incidents created within this many hours are considered.' },
  INCIDENT_STATUSES: { schema: commaList(INCIDENT_STATUSES).default(['New']), doc: 'Comma list of incident statuses to forward.' },
  INCIDENT_SEVERITIES: {
    schema: commaList(INCIDENT_SEVERITIES).default([...INCIDENT_SEVERITIES]),
    doc: 'Comma list of incident severities to forward.',
  },
  INCIDENT_TAG: { schema: z.string().min(1).max(256).default('SentinelBridge'), doc: 'Label added to each forwarded incident.' },
  INCIDENT_CLOSE_CLASSIFICATION: {
    schema: z.enum(CLASSIFICATIONS).default('Undetermined'),
    doc: 'Classification used when a destination closes an incident without naming one.',
  },
  DESTINATIONS: {
    schema: jsonOf(z.array(destinationSchema)).default([]),
    secret: true,
    doc: 'JSON list of {name, type, url, secret?, routingKey?, enrich?, callbackSecret?, restApiKey?, closeClassification?, …}; type is signl4|teams|slack|pagerduty|webhook.',
  },
  ALLOW_PRIVATE_DESTINATIONS: {
    schema: bool.default(false),
    doc: 'Allow destination URLs on private or link-local addresses (loopback is always allowed).',
  },
  APPLICATIONINSIGHTS_CONNECTION_STRING: {
    schema: z
      .string()
      .regex(/(^|;)\s*InstrumentationKey=[^;]+/i, 'an Application Insights connection string (InstrumentationKey=…;IngestionEndpoint=…)')
      .optional(),
    doc: 'Application Insights connection string (read by the Functions host too). When set, the app sends its logs, correlated with each invocation, and its custom metrics there through OpenTelemetry instead of stdout.',
  },
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: {
    schema: z
      .string()
      .regex(/(^|;)\s*Authorization=AAD\s*(;|$)/i, 'Authorization=AAD, optionally with ;ClientId=<client id of the identity>')
      .optional(),
    doc: 'Authorization=AAD;ClientId=<identity>: Entra authentication of the telemetry (App Insights with local auth disabled). The app sends with its managed identity (AZURE_CLIENT_ID); the host reads this setting.',
  },
} as const satisfies Record<string, { schema: z.ZodType; doc: string; secret?: boolean }>;

type Settings = typeof SETTINGS;
type Parsed = { [K in keyof Settings]: z.output<Settings[K]['schema']> };
/** The endpoints default by AZURE_CLOUD: always set once loaded. */
type ByCloud = 'ARM_ENDPOINT' | 'GRAPH_ENDPOINT' | 'LOG_ANALYTICS_QUERY_ENDPOINT';
export type Config = Omit<Parsed, ByCloud> & { [K in ByCloud]: string } & {
  storage: { connectionString: string } | { queueServiceUri: string; tableServiceUri: string; blobServiceUri: string; clientId?: string };
  /** AZURE_CLOUD's endpoints and audiences (shared/clouds.ts), with ARM_ENDPOINT, GRAPH_ENDPOINT and LOG_ANALYTICS_QUERY_ENDPOINT applied. */
  cloud: CloudEndpoints;
};
export type Destination = Config['DESTINATIONS'][number];

/** A destination's callback secrets as a list (empty: it cannot call back). */
export const callbackSecretsOf = (d: Destination): string[] =>
  d.callbackSecret === undefined ? [] : Array.isArray(d.callbackSecret) ? d.callbackSecret : [d.callbackSecret];
export type LogsIngestionRule = Config['LOGS_INGESTION_RULES'][number];
export type WorkspaceEntry = Config['SENTINEL_WORKSPACES'][number];
/** What names a Sentinel workspace; a configured entry (WorkspaceEntry) adds which API reads it and its workspace id. */
export type SentinelWorkspace = Pick<WorkspaceEntry, 'subscriptionId' | 'resourceGroup' | 'workspaceName'> &
  Partial<Pick<WorkspaceEntry, 'api' | 'workspaceId'>>;
export type IncidentApiName = (typeof INCIDENT_APIS)[number];
export type EnrichQuery = { name: string; query: string; timespan?: string };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const configSchema = z
  .object(Object.fromEntries(Object.entries(SETTINGS).map(([k, v]) => [k, v.schema])) as { [K in keyof Settings]: Settings[K]['schema'] })
  .superRefine((c, ctx) => {
    const policy = { allowPrivate: c.ALLOW_PRIVATE_DESTINATIONS };
    c.DESTINATIONS.forEach((d, i) => {
      const problem = checkDestinationUrl(d.url, policy);
      if (problem) ctx.addIssue({ code: 'custom', path: ['DESTINATIONS', i, 'url'], message: problem });
    });
    const notify = c.NOTIFY_WEBHOOK_URL && checkDestinationUrl(c.NOTIFY_WEBHOOK_URL, policy);
    if (notify) ctx.addIssue({ code: 'custom', path: ['NOTIFY_WEBHOOK_URL'], message: notify });
    const names = c.DESTINATIONS.map((d) => d.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) ctx.addIssue({ code: 'custom', path: ['DESTINATIONS'], message: `destination name "${dup}" is used twice` });
    const queried = c.DESTINATIONS.find((d) => typeof d.enrich === 'object' && d.enrich.queries?.length);
    // Each query must parse as Microsoft's parser reads it, with the bridge's parameters declared (shared/kql.ts).
    c.DESTINATIONS.forEach((d, i) => {
      const queries = typeof d.enrich === 'object' ? (d.enrich.queries ?? []) : [];
      queries.forEach((q, j) => {
        const problem = kqlSyntaxProblem(q.query);
        if (problem)
          ctx.addIssue({
            code: 'custom',
            path: ['DESTINATIONS', i, 'enrich', 'queries', j, 'query'],
            message: `not valid KQL: ${problem}`,
          });
      });
    });
    c.SENTINEL_WORKSPACES.forEach((w, i) => {
      if (queried && !w.workspaceId)
        ctx.addIssue({
          code: 'custom',
          path: ['SENTINEL_WORKSPACES', i, 'workspaceId'],
          message: `required: destination "${queried.name}" runs KQL queries against each workspace (its Log Analytics workspace id)`,
        });
    });
    const streams = c.LOGS_INGESTION_RULES.flatMap((r) => r.streams);
    const dupStream = streams.find((s, i) => streams.indexOf(s) !== i);
    if (dupStream)
      ctx.addIssue({ code: 'custom', path: ['LOGS_INGESTION_RULES'], message: `stream ${dupStream} is mapped to more than one rule` });
    const hasUris =
      c.AzureWebJobsStorage__queueServiceUri && c.AzureWebJobsStorage__tableServiceUri && c.AzureWebJobsStorage__blobServiceUri;
    if (!c.AzureWebJobsStorage && !hasUris) {
      ctx.addIssue({
        code: 'custom',
        path: ['AzureWebJobsStorage'],
        message:
          'set AzureWebJobsStorage (connection string) or AzureWebJobsStorage__queueServiceUri, __tableServiceUri and __blobServiceUri',
      });
    }
  });

/** One line per issue, naming the setting and the place in it. Only the path and message are used: never an issue's
 * input, so a value (a secret among them) is not echoed. */
function describe(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const [setting, ...rest] = i.path;
    const where = rest.length ? `${String(setting)} at ${rest.map(String).join('.')}` : String(setting);
    return `${where}: ${i.message}`;
  });
}

/** App Service / Functions Key Vault references, `@Microsoft.KeyVault(SecretUri=…)` or
 * `@Microsoft.KeyVault(VaultName=…;SecretName=…[;SecretVersion=…])`: when the platform cannot resolve one (the identity's
 * role not yet effective, the secret missing), the app gets the reference text itself
 * (https://learn.microsoft.com/azure/app-service/app-service-key-vault-references#source-app-settings-from-key-vault). */
const KEY_VAULT_REFERENCE = /^\s*@Microsoft\.KeyVault\(/i;
const UNRESOLVED =
  "Key Vault reference not resolved yet (role assignment propagation can take minutes): check that the app's identity has Key Vault Secrets User on the vault and that the secret exists (the portal shows the reference's status under Environment variables), then restart the app";

/** Parses settings from an environment (process.env by default); throws ConfigError naming each bad setting. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, string | undefined> = Object.fromEntries(
    Object.keys(SETTINGS).map((k) => [k, env[k] === '' && k !== 'ALLOW_PRIVATE_DESTINATIONS' ? undefined : env[k]]),
  );
  // An unresolved reference is reported as such, and its setting is left out of the other checks.
  const unresolved = Object.keys(raw).filter((k) => KEY_VAULT_REFERENCE.test(raw[k] ?? ''));
  for (const k of unresolved) raw[k] = undefined;
  const parsed = configSchema.safeParse(raw);
  const issues = parsed.success ? [] : parsed.error.issues.filter((i) => !unresolved.includes(String(i.path[0])));
  const problems = [...unresolved.map((k) => `${k}: ${UNRESOLVED}`), ...describe(issues)];
  if (problems.length || !parsed.success) throw new ConfigError(`Invalid settings: ${problems.join('; ')}`);
  const c = parsed.data;
  const storage = c.AzureWebJobsStorage
    ? { connectionString: c.AzureWebJobsStorage }
    : {
        queueServiceUri: c.AzureWebJobsStorage__queueServiceUri as string,
        tableServiceUri: c.AzureWebJobsStorage__tableServiceUri as string,
        blobServiceUri: c.AzureWebJobsStorage__blobServiceUri as string,
        ...(c.AzureWebJobsStorage__clientId ? { clientId: c.AzureWebJobsStorage__clientId } : {}),
      };
  const defaults = cloudEndpoints(c.AZURE_CLOUD);
  const cloud: CloudEndpoints = {
    ...defaults,
    resourceManager: c.ARM_ENDPOINT ?? defaults.resourceManager,
    graph: c.GRAPH_ENDPOINT ?? defaults.graph,
    logAnalytics: c.LOG_ANALYTICS_QUERY_ENDPOINT ?? defaults.logAnalytics,
  };
  return {
    ...c,
    ARM_ENDPOINT: cloud.resourceManager,
    GRAPH_ENDPOINT: cloud.graph,
    LOG_ANALYTICS_QUERY_ENDPOINT: cloud.logAnalytics,
    storage,
    cloud,
  } as Config;
}
