// The `incidents` queue message: one per incident event and destination. It names the incident rather than carrying
// it — the forwarder re-reads the incident (fresh status, classification and the etag it needs for tagging) — so it
// stays far below the 64 KiB limit. The text is the JSON itself: host.json sets messageEncoding "none".
import { createHash } from 'node:crypto';
import type { QueueClient } from '@azure/storage-queue';
import { z } from 'zod';
import { INCIDENT_APIS, type SentinelWorkspace } from '../config.js';
import { INCIDENT_EVENTS, type IncidentEvent } from '../destinations/incident.js';
import { NEVER_EXPIRE } from '../reliability/envelopeWriter.js';
import { workspaceArmId } from './workspaces.js';

export type { IncidentEvent };

export const incidentMessageSchema = z.object({
  v: z.literal(1),
  workspace: z.object({ subscriptionId: z.string().min(1), resourceGroup: z.string().min(1), workspaceName: z.string().min(1) }),
  /** The incident's id in the API that listed it (`api`): what the forwarder reads, tags and comments. */
  incident: z.string().min(1),
  /** The API that listed it (absent in messages of earlier versions: sentinel). */
  api: z.enum(INCIDENT_APIS).optional(),
  /** The claims key (canonicalId.ts); absent: the incident id. */
  key: z.string().min(1).optional(),
  /** The id the destinations were sent at creation, when it differs (created through the other API): a closure resolves it. */
  sentAs: z.string().min(1).optional(),
  event: z.enum(INCIDENT_EVENTS),
  destination: z.string().min(1),
  /** Stable for one delivery, across retries and duplicate enqueues: the webhook-id / idempotency key. */
  deliveryId: z.string().min(1),
  /** Retries so far (0 on the first attempt). */
  attempt: z.number().int().min(0),
  enqueuedAt: z.string(),
});

export type IncidentMessage = z.infer<typeof incidentMessageSchema>;

/** The delivery id of an incident event at a destination (by its claims key): the same inputs always give the same id. */
export function deliveryIdOf(ws: SentinelWorkspace, incident: string, event: IncidentEvent, destination: string): string {
  const h = createHash('sha256')
    .update(`${workspaceArmId(ws).toLowerCase()}|${incident.toLowerCase()}|${event}|${destination}`)
    .digest('hex');
  return `inc_${h.slice(0, 32)}`;
}

/** Where the incident is read and what it is keyed by, when not just a Sentinel incident name. */
export type MessageIdentity = Pick<IncidentMessage, 'api' | 'key' | 'sentAs'>;

export function newMessage(
  ws: SentinelWorkspace,
  incident: string,
  event: IncidentEvent,
  destination: string,
  now: Date,
  identity: MessageIdentity = {},
): IncidentMessage {
  return {
    v: 1,
    workspace: { subscriptionId: ws.subscriptionId, resourceGroup: ws.resourceGroup, workspaceName: ws.workspaceName },
    incident,
    ...identity,
    event,
    destination,
    deliveryId: deliveryIdOf(ws, identity.key ?? incident, event, destination),
    attempt: 0,
    enqueuedAt: now.toISOString(),
  };
}

export function encodeMessage(m: IncidentMessage): string {
  return JSON.stringify(m);
}

/** JSON text's value, or `undefined` when it is not JSON (JSON's own `null` is a value, and refused by the schema). */
function jsonValue(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/**
 * The message as a queue trigger hands it over: the parsed JSON value (the Functions host and the local host parse
 * JSON text), or the text itself — JSON, or base64 JSON should the encoding ever be base64. Anything that is not an
 * incident message (`null`, a number, an object of another shape, text that is neither) is an error naming why;
 * this never throws.
 */
export function decodeMessage(raw: unknown): IncidentMessage | { error: string } {
  let value = Buffer.isBuffer(raw) ? raw.toString('utf8') : raw;
  if (typeof value === 'string') {
    const text = value.trim();
    const json = jsonValue(text) ?? jsonValue(Buffer.from(text, 'base64').toString('utf8'));
    if (!json) return { error: 'message is neither JSON nor base64 JSON' };
    value = json.value;
  }
  const parsed = incidentMessageSchema.safeParse(value);
  if (!parsed.success)
    return {
      error: `invalid incident message: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    };
  return parsed.data;
}

/** Puts a message on the queue, visible after `delayMs` (rounded up to whole seconds); it never expires. */
export async function enqueueMessage(queue: QueueClient, m: IncidentMessage, delayMs = 0): Promise<void> {
  await queue.sendMessage(encodeMessage(m), {
    messageTimeToLive: NEVER_EXPIRE,
    ...(delayMs > 0 ? { visibilityTimeout: Math.ceil(delayMs / 1000) } : {}),
  });
}
