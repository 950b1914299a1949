// POST /api/incidents/{destination}/status: a destination (or a script acting for it) acknowledges or closes an
// incident with our own JSON body. Scoped to that destination (issue 10 §5): authorised by the function key plus
// `x-bridge-secret` = one of the destination's own `callbackSecret`s (constant-time compare; there is no global
// secret), and only for incidents the bridge delivered to that destination — any other → 404, nothing written.
// acknowledge → owner (when given) + Active; close → Closed with the classification (else the destination's
// closeClassification, else INCIDENT_CLOSE_CLASSIFICATION), reason and comment. Each change writes one comment naming
// the destination. Vendors' own formats and Standard-Webhooks-signed JSON go to /callback instead (callbacks.ts).
import { randomUUID } from 'node:crypto';
import type { CallbackEvent } from '../callbacks/index.js';
import { secretMatches } from '../callbacks/secrets.js';
import { parseStatusSyncBody, type StatusSyncBody } from '../callbacks/statusBody.js';
import { callbackSecretsOf, type Destination } from '../config.js';
import { answer, type BridgeRequest, type BridgeResponse, HttpError, json, readBody } from '../http.js';
import { applyEvent, deliveredTargets } from './callbackActions.js';
import type { IncidentDeps } from './deps.js';
import { routedIncidentWriter } from './incidentApis.js';
import { type IncidentTarget, IncidentWriteError } from './incidentWriter.js';
import { incidentArmId, workspaceLabel } from './workspaces.js';

export { parseStatusSyncBody, type StatusSyncBody, statusSyncBodySchema } from '../callbacks/statusBody.js';
export { CLASSIFICATION_REASONS, CLASSIFICATIONS, REASONS_BY_CLASSIFICATION } from '../config.js';

const BODY_MAX_BYTES = 64 * 1024;
export const SECRET_HEADER = 'x-bridge-secret';

export type StatusSyncDeps = Pick<IncidentDeps, 'config' | 'sentinel' | 'graph' | 'storage' | 'log' | 'now'>;

/** The destination named in the route; 404 when none is configured under that name. */
export function destinationNamed(config: StatusSyncDeps['config'], name: string): Destination {
  const destination = config.DESTINATIONS.find((d) => d.name === name);
  if (!destination) throw new HttpError(404, `unknown destination "${name}"`);
  return destination;
}

/** 401 unless x-bridge-secret is one of this destination's callback secrets (never another destination's). */
export function authorizeDestination(request: BridgeRequest, destination: Destination): void {
  const secrets = callbackSecretsOf(destination);
  if (secrets.length === 0) throw new HttpError(401, `destination "${destination.name}" has no callbackSecret: status sync is off for it`);
  const given = request.headers.get(SECRET_HEADER);
  if (!secrets.some((s) => secretMatches(given, s)))
    throw new HttpError(401, `missing or wrong ${SECRET_HEADER} header (the callbackSecret of destination "${destination.name}")`);
}

/** The one incident the body names, among those delivered to this destination; 400 for a bad reference, else 404. */
export async function deliveredIncident(deps: StatusSyncDeps, destination: Destination, incidentId: string): Promise<IncidentTarget> {
  const targets = await deliveredTargets(deps.storage.table('claims'), deps.config, destination, incidentId);
  if (!targets) throw new HttpError(400, 'incidentId: not an incident name (GUID) or an incident ARM id', { field: 'incidentId' });
  const [target] = targets;
  if (!target) throw new HttpError(404, `incident ${incidentId} was not delivered to destination "${destination.name}"`);
  return target;
}

/** The body as a callback event (no vendor event id: each request is its own change). */
export function statusEvent(body: StatusSyncBody): CallbackEvent {
  return {
    eventId: `status:${randomUUID()}`,
    action: body.action,
    incidentRef: { kind: 'bridgeRef', value: body.incidentId },
    // Our JSON's owner is set as given (ownerInfo reads an object id, a UPN or a name).
    ...(body.owner ? { user: { name: body.owner }, owner: body.owner } : {}),
    ...(body.comment ? { note: body.comment } : {}),
    ...(body.classification ? { classification: body.classification } : {}),
    ...(body.classificationReason ? { classificationReason: body.classificationReason } : {}),
  };
}

/** Applies the change; maps the outcome to the route's answer. */
async function applyStatus(deps: StatusSyncDeps, destination: Destination, target: IncidentTarget, body: StatusSyncBody) {
  const event = statusEvent(body);
  let outcome: Awaited<ReturnType<typeof applyEvent>>;
  try {
    outcome = await applyEvent(
      {
        writer: routedIncidentWriter(deps),
        claims: deps.storage.table('claims'),
        config: deps.config,
        destination,
        now: deps.now,
        commentId: randomUUID(),
      },
      target,
      event,
    );
  } catch (e) {
    if (!(e instanceof IncidentWriteError)) throw e;
    deps.log.error(
      { component: 'incidentStatus', incident: target.name, status: e.status, kind: e.kind },
      `status sync failed in ${target.ws.api === 'graph' ? 'Graph' : 'Sentinel'}`,
    );
    if (e.kind === 'conflict') throw new HttpError(409, `the incident kept changing while being updated; try again (${e.message})`);
    throw new HttpError(502, e.message);
  }
  if (outcome.result === 'missing' || outcome.result === 'commented')
    throw new HttpError(404, `incident ${target.name} was not found in ${workspaceLabel(target.ws)}`);
  if (outcome.result === 'already-closed' && body.action === 'acknowledge')
    throw new HttpError(409, 'the incident is already closed; acknowledge does not reopen it');
  return outcome;
}

export function handleIncidentStatus(request: BridgeRequest, deps: StatusSyncDeps): Promise<BridgeResponse> {
  return answer(async () => {
    const destination = destinationNamed(deps.config, request.params.destination ?? '');
    authorizeDestination(request, destination);
    const body = parseStatusSyncBody(
      (await readBody(request, BODY_MAX_BYTES, `body is larger than ${BODY_MAX_BYTES} bytes`)).toString('utf8'),
    );
    const target = await deliveredIncident(deps, destination, body.incidentId);
    const outcome = await applyStatus(deps, destination, target, body);
    const p = outcome.incident;
    deps.log.info(
      {
        component: 'incidentStatus',
        incident: target.name,
        workspace: workspaceLabel(target.ws),
        destination: destination.name,
        action: body.action,
        result: outcome.result,
      },
      'incident status synced',
    );
    return json(200, {
      incidentId: p.id || incidentArmId(target.ws, target.name),
      name: target.name,
      workspace: workspaceLabel(target.ws),
      action: body.action,
      result: outcome.result,
      status: p.status,
      ...(p.owner ? { owner: p.owner } : {}),
      ...(p.classification ? { classification: p.classification } : {}),
      ...(p.classificationReason ? { classificationReason: p.classificationReason } : {}),
      ...('attempts' in outcome ? { attempts: outcome.attempts } : {}),
    });
  });
}
