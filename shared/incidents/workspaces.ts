// Naming of Sentinel workspaces and incidents: ARM ids, the Table Storage partition of a workspace, and how a
// caller's incident reference (a name or a full ARM id) resolves to a configured workspace.
import { createHash } from 'node:crypto';
import type { SentinelWorkspace } from '../config.js';

/** ARM id of the Log Analytics workspace that hosts Sentinel. */
export function workspaceArmId(ws: SentinelWorkspace): string {
  return `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${ws.workspaceName}`;
}

/** ARM id of an incident. */
export function incidentArmId(ws: SentinelWorkspace, name: string): string {
  return `${workspaceArmId(ws)}/providers/Microsoft.SecurityInsights/incidents/${name}`;
}

/**
 * The Table Storage PartitionKey holding one workspace's state. ARM names are case-insensitive, so the key is
 * lower-cased; ':' separates the parts because none of them may contain it (and table keys may not contain '/').
 */
export function workspaceKey(ws: SentinelWorkspace): string {
  return `ws:${ws.subscriptionId}:${ws.resourceGroup}:${ws.workspaceName}`.toLowerCase();
}

/** A short label for logs and comments: the workspace name. */
export function workspaceLabel(ws: SentinelWorkspace): string {
  return ws.workspaceName;
}

export function sameWorkspace(a: SentinelWorkspace, b: SentinelWorkspace): boolean {
  return workspaceKey(a) === workspaceKey(b);
}

const INCIDENT_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.OperationalInsights\/workspaces\/([^/]+)\/providers\/Microsoft\.SecurityInsights\/incidents\/([^/]+)\/?$/i;

export interface IncidentRef {
  /** The workspace named by an ARM id; undefined when the caller gave only the incident name. */
  workspace?: SentinelWorkspace;
  name: string;
}

/** Parses an incident reference: a full ARM id or the bare incident name. Undefined when it is neither. */
export function parseIncidentRef(ref: string): IncidentRef | undefined {
  const text = ref.trim();
  const m = INCIDENT_ID.exec(text);
  if (m) {
    const [, subscriptionId, resourceGroup, workspaceName, name] = m as unknown as [string, string, string, string, string];
    return { workspace: { subscriptionId, resourceGroup, workspaceName }, name };
  }
  if (/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(text)) return { name: text };
  return undefined;
}

/** The configured workspace matching `ws` (ARM names compare case-insensitively), if any. */
export function findWorkspace<W extends SentinelWorkspace>(workspaces: readonly W[], ws: SentinelWorkspace): W | undefined {
  return workspaces.find((w) => sameWorkspace(w, ws));
}

/** A GUID derived from the parts: the same parts always give the same id (deterministic comment ids). */
export function stableGuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  // RFC 4122 layout with version 5 and the variant bits set, so the value looks like any other GUID.
  const variant = ((Number.parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
