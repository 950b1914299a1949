// One key per incident whichever API read it, so claims made through SecurityInsights still hold after a workspace
// switches to Graph (and back). Incidents Defender XDR syncs into Sentinel carry its id as `providerIncidentId`
// under the provider "Microsoft XDR" (called "Microsoft 365 Defender" before the rename): docs/graph-security-api.md.

const XDR_PROVIDERS = new Set(['microsoft xdr', 'microsoft 365 defender']);

interface SecurityInsightsIncidentRef {
  name: string;
  properties?: { providerName?: unknown; providerIncidentId?: unknown; [field: string]: unknown };
}

export type IncidentSource = { api: 'graph'; incident: { id: string } } | { api: 'sentinel'; incident: SecurityInsightsIncidentRef };

/** The Graph id as is; a SecurityInsights incident from XDR → its XDR id; any other Sentinel incident → its name. */
export function canonicalIncidentId(source: IncidentSource): string {
  if (source.api === 'graph') return source.incident.id;
  const { name, properties } = source.incident;
  const provider = typeof properties?.providerName === 'string' ? properties.providerName.trim().toLowerCase() : '';
  const xdrId = properties?.providerIncidentId;
  if (XDR_PROVIDERS.has(provider) && (typeof xdrId === 'string' || typeof xdrId === 'number') && String(xdrId).trim())
    return String(xdrId).trim();
  return name;
}
