// Optional enrichment for destinations with `enrich`: the incident's alerts and entities (SecurityInsights or Graph shapes), reduced to the
// fields a responder reads and capped in count, field length and total size, so no destination limit is reached
// because of it (each format still truncates to its own limits).

import type { Destination, EnrichQuery } from '../config.js';
import type { AlertSummary, EntitySummary, IncidentEnrichment } from '../destinations/incident.js';
import { truncateText } from '../destinations/incident.js';
import type { EnrichParts } from './incidentApi.js';

export const ENRICHMENT_LIMITS = {
  alerts: 20,
  entities: 50,
  /** Longest text field kept. */
  text: 1000,
  /** Identifying fields kept per entity besides kind and friendlyName. */
  entityFields: 8,
  /** JSON size of the whole enrichment. */
  bytes: 16_000,
} as const;

export type EnrichmentLimits = { [K in keyof typeof ENRICHMENT_LIMITS]: number };

type Raw = Record<string, unknown>;

/** What a destination's `enrich` asks the incident API for: `true` is alerts and entities; undefined when nothing. */
export function enrichParts(destination: Pick<Destination, 'enrich'>): EnrichParts | undefined {
  const e = destination.enrich;
  if (!e) return undefined;
  const parts = e === true ? { alerts: true, entities: true } : { alerts: e.alerts === true, entities: e.entities === true };
  return parts.alerts || parts.entities ? parts : undefined;
}

/** The destination's KQL enrichment queries (none unless `enrich.queries`). */
export function enrichQueriesOf(destination: Pick<Destination, 'enrich'>): EnrichQuery[] {
  const e = destination.enrich;
  return typeof e === 'object' ? (e.queries ?? []) : [];
}

/** What the incident API is asked for: the parts the destination shows, and every part when its queries need the
 * alert ids and entities as parameters. */
export function partsToRead(destination: Pick<Destination, 'enrich'>): EnrichParts | undefined {
  return enrichQueriesOf(destination).length ? { alerts: true, entities: true } : enrichParts(destination);
}

/** Only the parts the destination asked to see. */
export function shownParts(found: IncidentEnrichment, parts: EnrichParts | undefined): IncidentEnrichment {
  return {
    ...(parts?.alerts && found.alerts ? { alerts: found.alerts } : {}),
    ...(parts?.entities && found.entities ? { entities: found.entities } : {}),
  };
}

const str = (v: unknown, max: number): string | undefined => (typeof v === 'string' && v ? truncateText(v, max) : undefined);

function props(raw: Raw): Raw {
  const p = raw.properties;
  return p && typeof p === 'object' ? (p as Raw) : raw;
}

/** A SecurityAlert (ARM: {name, kind, properties:{alertDisplayName, severity, status, productName, timeGenerated, …}}). */
export function summarizeAlert(raw: Raw, limits: EnrichmentLimits = ENRICHMENT_LIMITS): AlertSummary {
  const p = props(raw);
  const out: AlertSummary = {
    name: String(raw.name ?? p.systemAlertId ?? ''),
    title: str(p.alertDisplayName, limits.text) ?? str(p.friendlyName, limits.text) ?? '(untitled alert)',
  };
  const fields: [keyof AlertSummary & string, unknown][] = [
    ['severity', p.severity],
    ['status', p.status],
    ['productName', p.productName],
    ['timeGenerated', p.timeGenerated],
    ['description', p.description],
  ];
  for (const [k, v] of fields) {
    const s = str(v, limits.text);
    if (s) out[k] = s;
  }
  if (Array.isArray(p.tactics) && p.tactics.length) out.tactics = p.tactics.filter((t) => typeof t === 'string').slice(0, 20);
  return out;
}

const ENTITY_SKIP = new Set(['friendlyName', 'additionalData', 'entityType', 'kind']);

/** An entity (ARM: {name, kind:'Account'|'Host'|'Ip'|…, properties:{friendlyName, …}}): its scalar identifying fields. */
export function summarizeEntity(raw: Raw, limits: EnrichmentLimits = ENRICHMENT_LIMITS): EntitySummary {
  const p = props(raw);
  const out: EntitySummary = {
    kind: String(raw.kind ?? p.kind ?? 'Unknown'),
    friendlyName: str(p.friendlyName, limits.text) ?? String(raw.name ?? ''),
  };
  let kept = 0;
  for (const [k, v] of Object.entries(p)) {
    if (kept >= limits.entityFields || ENTITY_SKIP.has(k)) continue;
    if (typeof v === 'string' && v) out[k] = truncateText(v, limits.text);
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else continue;
    kept++;
  }
  return out;
}

/** Caps counts, then drops entities and alerts from the end until the JSON fits the byte limit. */
export function capEnrichment(e: IncidentEnrichment, limits: EnrichmentLimits = ENRICHMENT_LIMITS): IncidentEnrichment {
  const alerts = (e.alerts ?? []).slice(0, limits.alerts);
  const entities = (e.entities ?? []).slice(0, limits.entities);
  const size = () => Buffer.byteLength(JSON.stringify({ alerts, entities }));
  while (size() > limits.bytes && (entities.length || alerts.length)) {
    if (entities.length >= alerts.length) entities.pop();
    else alerts.pop();
  }
  return { alerts, entities };
}

// ---- Graph (alerts from `$expand=alerts`; entities from each alert's `evidence`, security-alertevidence.md) ----

/** A Graph security alert: {id, title, severity, status, serviceSource, createdDateTime, description, mitreTechniques, …}. */
export function summarizeGraphAlert(raw: Raw, limits: EnrichmentLimits = ENRICHMENT_LIMITS): AlertSummary {
  const out: AlertSummary = { name: String(raw.id ?? ''), title: str(raw.title, limits.text) ?? '(untitled alert)' };
  const fields: [keyof AlertSummary & string, unknown][] = [
    ['severity', raw.severity],
    ['status', raw.status],
    ['productName', raw.serviceSource ?? raw.detectionSource],
    ['timeGenerated', raw.createdDateTime],
    ['description', raw.description],
  ];
  for (const [k, v] of fields) {
    const s = str(v, limits.text);
    if (s) out[k] = s;
  }
  if (typeof raw.category === 'string' && raw.category) out.tactics = [raw.category];
  return out;
}

const EVIDENCE_KINDS = new Map<string, (e: Raw, max: number) => EntitySummary | undefined>([
  [
    '#microsoft.graph.security.ipEvidence',
    (e, max) => {
      const address = str(e.ipAddress, max);
      return address ? { kind: 'Ip', friendlyName: address, address } : undefined;
    },
  ],
  [
    '#microsoft.graph.security.userEvidence',
    (e, max) => {
      const a = (e.userAccount ?? {}) as Raw;
      const accountName = str(a.accountName, max);
      const upn = str(a.userPrincipalName, max);
      const name = upn ?? accountName ?? str(a.displayName, max);
      if (!name) return undefined;
      return { kind: 'Account', friendlyName: name, ...(accountName ? { accountName } : {}), ...(upn ? { userPrincipalName: upn } : {}) };
    },
  ],
  [
    '#microsoft.graph.security.deviceEvidence',
    (e, max) => {
      const hostName = str(e.hostName, max);
      const dns = str(e.deviceDnsName, max);
      const name = dns ?? hostName;
      if (!name) return undefined;
      return { kind: 'Host', friendlyName: name, ...(hostName ? { hostName } : {}), ...(dns ? { deviceDnsName: dns } : {}) };
    },
  ],
]);

/** The IPs, accounts and devices among the alerts' evidence, each once. */
export function graphEvidenceEntities(alerts: readonly Raw[], limits: EnrichmentLimits = ENRICHMENT_LIMITS): EntitySummary[] {
  const seen = new Set<string>();
  const out: EntitySummary[] = [];
  for (const alert of alerts) {
    for (const e of Array.isArray(alert.evidence) ? (alert.evidence as Raw[]) : []) {
      const entity = EVIDENCE_KINDS.get(String(e?.['@odata.type'] ?? ''))?.(e, limits.text);
      if (!entity || seen.has(`${entity.kind}|${entity.friendlyName}`)) continue;
      seen.add(`${entity.kind}|${entity.friendlyName}`);
      out.push(entity);
    }
  }
  return out;
}
