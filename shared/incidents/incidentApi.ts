// One interface over the two APIs a workspace's incidents can be read through — Sentinel's SecurityInsights
// (incidentApiSentinel.ts) and the Microsoft Graph security API (incidentApiGraph.ts) — so the poller and the forwarder
// never know which one they talk to. Everything here is in the bridge's terms (New/Active/Closed, High…Informational);
// each implementation maps its API's values.
import type { IncidentApiName } from '../config.js';
import type { IncidentEnrichment, IncidentSummary } from '../destinations/incident.js';
import type { CreatedQuery } from './pollWindow.js';

/** An incident as a list returns it: what the poller needs to claim it and choose its destinations. */
export interface ListedIncident {
  /** The id this API reads, tags and comments it by (Sentinel: the incident name; Graph: the incident id). */
  id: string;
  /** The claims key, the same whichever API listed the incident (canonicalId.ts). */
  key: string;
  /**
   * The key claims had before canonical ids (the Sentinel incident name), when it differs from `key`: claims written by
   * an earlier version are found under it.
   */
  legacyKey?: string;
  title: string;
  /** In the bridge's terms: New, Active or Closed (a merged incident is Closed, with `mergedInto`). */
  status: string;
  severity: string;
  createdTimeUtc: string;
  lastModifiedTimeUtc?: string;
  /** Merged into another incident (Graph `status: redirected`): the id of the incident that now holds its alerts. */
  mergedInto?: string;
}

export interface EnrichParts {
  alerts: boolean;
  entities: boolean;
}

export interface IncidentApi {
  readonly api: IncidentApiName;
  /** Incidents created in the window with the configured statuses and severities, every page. The caller checks
   * again what comes back (matchesCreated): a lax service filter never forwards too much. */
  listNew(query: CreatedQuery): AsyncIterable<ListedIncident>;
  /** Incidents closed or merged since `since` (the watermark minus its overlap), every page. Judged by status, so the
   * bridge's own writes (tag, comment), which move the last-update time, never count as a change. */
  listEnded(since: Date): AsyncIterable<ListedIncident>;
  /** The incident as destinations get it, or undefined when it no longer exists. Throws on a malformed incident. */
  getSummary(id: string): Promise<IncidentSummary | undefined>;
  /** The incident's alerts and entities (for `enrich`), reduced and capped (enrichment.ts). */
  enrich(id: string, parts: EnrichParts): Promise<IncidentEnrichment>;
  /** Adds the bridge's tag once, keeping every other; false when the incident does not exist. */
  addTag(id: string, tag: string): Promise<boolean>;
  /** Adds the comment once: the same `commentId` on a retry never makes a second comment. */
  addComment(id: string, commentId: string, text: string): Promise<void>;
}
