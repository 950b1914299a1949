// Writing back to Sentinel: ETag-conditional incident updates (read, change, PUT with the etag; on a stale etag
// read again and retry), the bridge's label, and one comment per destination (a deterministic comment id, so a
// retry replaces the comment instead of adding a second).
import type { SentinelWorkspace } from '../config.js';
import type { IncidentEvent } from './messages.js';
import { type ArmIncident, type ArmIncidentProperties, isConflict, type SentinelClient } from './sentinelClient.js';
import { stableGuid } from './workspaces.js';

export const MAX_UPDATE_ATTEMPTS = 6;

export class IncidentUpdateError extends Error {
  override name = 'IncidentUpdateError';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Applies `change` to the incident's current properties and writes it with the etag it was read with; on a stale
 * etag (409/412) reads again and re-applies. `change` returns undefined when nothing needs writing.
 * Returns the incident as written (or as read when unchanged), or undefined when the incident does not exist.
 */
export async function updateIncident(
  client: SentinelClient,
  ws: SentinelWorkspace,
  name: string,
  change: (p: ArmIncidentProperties) => ArmIncidentProperties | undefined,
  maxAttempts = MAX_UPDATE_ATTEMPTS,
): Promise<{ incident: ArmIncident; changed: boolean; attempts: number } | undefined> {
  for (let attempt = 1; ; attempt++) {
    const current = await client.getIncident(ws, name);
    if (!current) return undefined;
    const next = change(structuredClone(current.properties));
    if (!next) return { incident: current, changed: false, attempts: attempt };
    try {
      const written = await client.putIncident(ws, name, { ...(current.etag ? { etag: current.etag } : {}), properties: next });
      return { incident: written, changed: true, attempts: attempt };
    } catch (e) {
      if (!isConflict(e) || attempt >= maxAttempts) {
        if (isConflict(e)) throw new IncidentUpdateError(`incident ${name} kept changing: ${maxAttempts} conditional updates were refused`);
        throw e;
      }
      await sleep(Math.min(50 * 2 ** (attempt - 1), 1000) + Math.floor(Math.random() * 50));
    }
  }
}

/** The properties with the label added, or undefined when the incident already has it (labels compare case-insensitively). */
export function withLabel(p: ArmIncidentProperties, label: string): ArmIncidentProperties | undefined {
  const labels = p.labels ?? [];
  if (labels.some((l) => l.labelName.toLowerCase() === label.toLowerCase())) return undefined;
  return { ...p, labels: [...labels.map((l) => ({ labelName: l.labelName })), { labelName: label }] };
}

/** Adds the label once, keeping every other label and field. */
export async function addIncidentLabel(client: SentinelClient, ws: SentinelWorkspace, name: string, label: string) {
  return updateIncident(client, ws, name, (p) => withLabel(p, label));
}

/** The id of the comment for an incident event at a destination: the same for every retry. */
export function forwardCommentId(incident: string, event: IncidentEvent, destination: string): string {
  return stableGuid('sentinel-bridge', incident.toLowerCase(), event, destination);
}

export function forwardCommentText(destination: { name: string; type: string }, reference: string | undefined, at: Date): string {
  const ref = reference ? ` Reference: ${reference}.` : '';
  return `Sentinel Bridge forwarded this incident to destination "${destination.name}" (${destination.type}) at ${at.toISOString()}.${ref}`;
}
