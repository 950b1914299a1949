// POST /api/incidents/{destination}/status: a destination (SIGNL4, PagerDuty, a webhook receiver) acknowledges or
// closes the Sentinel incident it was sent. Authorised by the function key (host) plus `x-bridge-secret` =
// STATUS_SYNC_SECRET (constant-time compare). acknowledge → owner (when given) + Active; close → Closed with the
// classification (default INCIDENT_CLOSE_CLASSIFICATION), reason and comment. Both write a comment naming the
// destination. The update is ETag-conditional and retried on a stale etag.
import { randomUUID } from 'node:crypto';
import { type StatusSyncBody, statusSyncBodySchema } from '../callbacks/webhook.js';
import { answer, type BridgeRequest, type BridgeResponse, HttpError, json, readBody } from '../http.js';
import { secretMatches } from '../net/secrets.js';
import { workspacesClaiming, writeDelivery } from './claims.js';
import type { IncidentDeps } from './deps.js';
import { type ArmIncidentProperties, type IncidentOwner, isConflict, SentinelApiError } from './sentinelClient.js';
import { IncidentUpdateError, updateIncident } from './tagging.js';
import { findWorkspace, incidentArmId, parseIncidentRef, workspaceLabel } from './workspaces.js';

const BODY_MAX_BYTES = 64 * 1024;

/** Parses and validates the body; the error names the field. */
export function parseStatusSyncBody(text: string): StatusSyncBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(
      400,
      'body must be a JSON object: {"incidentId", "action", "owner"?, "classification"?, "classificationReason"?, "comment"?}',
    );
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new HttpError(400, 'body must be a JSON object');
  const parsed = statusSyncBodySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') || 'body';
    throw new HttpError(400, `${field}: ${issue?.message ?? 'invalid'}`, { field });
  }
  return parsed.data;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Sentinel's owner object from what a destination knows: an Entra object id, a UPN / email, or a display name. */
export function ownerInfo(owner: string): IncidentOwner {
  if (GUID.test(owner)) return { objectId: owner };
  if (owner.includes('@')) return { userPrincipalName: owner, email: owner };
  return { assignedTo: owner };
}

export function acknowledged(p: ArmIncidentProperties, owner: string | undefined): ArmIncidentProperties | undefined {
  if (p.status === 'Closed') throw new HttpError(409, 'the incident is already closed; acknowledge does not reopen it');
  const next: ArmIncidentProperties = { ...p, status: 'Active' };
  if (owner) next.owner = ownerInfo(owner);
  const sameOwner = !owner || JSON.stringify(p.owner ?? {}) === JSON.stringify(next.owner);
  return p.status === 'Active' && sameOwner ? undefined : next;
}

export function closedWith(
  p: ArmIncidentProperties,
  body: StatusSyncBody,
  destination: string,
  defaultClassification: string,
): ArmIncidentProperties {
  const next: ArmIncidentProperties = {
    ...p,
    status: 'Closed',
    classification: body.classification ?? defaultClassification,
    classificationComment: body.comment ?? `Closed from ${destination} through Sentinel Bridge`,
  };
  if (body.classificationReason) next.classificationReason = body.classificationReason;
  else delete next.classificationReason;
  if (body.owner) next.owner = ownerInfo(body.owner);
  return next;
}

export function statusComment(destination: string, body: StatusSyncBody, classification: string): string {
  const who = body.owner ? ` by ${body.owner}` : '';
  const what =
    body.action === 'acknowledge'
      ? `acknowledged in ${destination}${who}; status set to Active`
      : `closed in ${destination}${who} as ${classification}${body.classificationReason ? ` (${body.classificationReason})` : ''}`;
  return `Sentinel Bridge: ${what}.${body.comment ? ` Comment: ${body.comment}` : ''}`;
}

export type StatusSyncDeps = Pick<IncidentDeps, 'config' | 'sentinel' | 'storage' | 'log' | 'now'>;

const readText = async (request: BridgeRequest) =>
  (await readBody(request, BODY_MAX_BYTES, `body is larger than ${BODY_MAX_BYTES} bytes`)).toString('utf8');

export function handleIncidentStatus(request: BridgeRequest, deps: StatusSyncDeps): Promise<BridgeResponse> {
  return answer(async () => {
    const { config, sentinel, storage: st, now } = deps;
    const log = deps.log.child({ component: 'incidentStatus' });
    if (!config.STATUS_SYNC_SECRET) {
      throw new HttpError(
        503,
        'status sync is off: set STATUS_SYNC_SECRET (at least 16 characters) and send it as the x-bridge-secret header',
      );
    }
    if (!secretMatches(request.headers.get('x-bridge-secret'), config.STATUS_SYNC_SECRET)) {
      throw new HttpError(401, 'missing or wrong x-bridge-secret header');
    }
    const destinationName = request.params.destination ?? '';
    const destination = config.DESTINATIONS.find((d) => d.name === destinationName);
    if (!destination)
      throw new HttpError(404, `unknown destination "${destinationName}"`, { knownDestinations: config.DESTINATIONS.map((d) => d.name) });
    const body = parseStatusSyncBody(await readText(request));

    const ref = parseIncidentRef(body.incidentId);
    if (!ref) throw new HttpError(400, 'incidentId: not an incident name (GUID) or an incident ARM id', { field: 'incidentId' });
    let candidates = config.SENTINEL_WORKSPACES;
    if (ref.workspace) {
      const ws = findWorkspace(config.SENTINEL_WORKSPACES, ref.workspace);
      if (!ws) throw new HttpError(404, `workspace ${ref.workspace.workspaceName} is not one of SENTINEL_WORKSPACES`);
      candidates = [ws];
    } else if (candidates.length > 1) {
      const claimed = await workspacesClaiming(st.table('claims'), candidates, ref.name);
      if (claimed.length) candidates = claimed;
    }
    if (candidates.length === 0) throw new HttpError(404, 'no Sentinel workspace is configured (SENTINEL_WORKSPACES)');

    const classification = body.classification ?? config.INCIDENT_CLOSE_CLASSIFICATION;
    try {
      for (const ws of candidates) {
        const updated = await updateIncident(sentinel, ws, ref.name, (p) =>
          body.action === 'acknowledge' ? acknowledged(p, body.owner) : closedWith(p, body, destination.name, classification),
        );
        if (!updated) continue;
        if (body.action === 'close') {
          // The destination that closed the incident is not sent the resolve back by the poll's closure event. (Written
          // after the update: should a poll slip in between, the echo is a resolve of an already resolved alert.)
          await writeDelivery(st.table('claims'), ws, ref.name, 'closed', destination.name, {
            state: 'delivered',
            deliveredAt: now().toISOString(),
            origin: 'status-sync',
          });
        }
        await sentinel.putComment(ws, ref.name, randomUUID(), statusComment(destination.name, body, classification));
        const p = updated.incident.properties;
        log.info(
          {
            incident: ref.name,
            workspace: workspaceLabel(ws),
            destination: destination.name,
            action: body.action,
            attempts: updated.attempts,
          },
          'incident status synced',
        );
        return json(200, {
          incidentId: updated.incident.id ?? incidentArmId(ws, ref.name),
          name: ref.name,
          workspace: workspaceLabel(ws),
          action: body.action,
          status: p.status,
          ...(p.owner ? { owner: p.owner } : {}),
          ...(p.classification ? { classification: p.classification } : {}),
          ...(p.classificationReason ? { classificationReason: p.classificationReason } : {}),
          attempts: updated.attempts,
        });
      }
    } catch (e) {
      if (e instanceof HttpError) throw e;
      if (e instanceof IncidentUpdateError || isConflict(e))
        throw new HttpError(409, `the incident kept changing while being updated; try again (${(e as Error).message})`);
      if (e instanceof SentinelApiError) {
        const advice =
          e.status === 403
            ? " — the app's identity needs the Microsoft Sentinel Responder role on the workspace"
            : e.status === 401
              ? ' — the token was refused; check the managed identity (AZURE_CLIENT_ID)'
              : '';
        log.error({ incident: ref.name, status: e.status }, 'status sync failed in Sentinel');
        throw new HttpError(502, `Sentinel refused the update: ${e.status} ${e.code ?? ''}${advice}`.replace(/\s+/g, ' ').trim());
      }
      throw e;
    }
    throw new HttpError(404, `incident ${ref.name} was not found in ${candidates.map(workspaceLabel).join(', ')}`);
  });
}
