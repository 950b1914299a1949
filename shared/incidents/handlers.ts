// What the incident functions call (functions/pollIncidents.ts, forwardIncident.ts, incidentStatus.ts), plus the
// last-poll view for /api/status.
import { type Config, config as currentConfig } from '../config.js';
import { storage } from '../storage/clients.js';
import { type PollStateRow, readPollState } from './claims.js';
import { type ForwardDeps, type ForwardOutcome, forwardIncident } from './forwarder.js';
import { decodeMessage } from './messages.js';
import { heldStream, holdIncident, incidentDeliveryDeps, replayIncidents } from './outcomes.js';
import { type PollDeps, type PollResult, pollIncidents } from './poller.js';

export { type IncidentReplayResult, replayIncidents } from './outcomes.js';
export { handleIncidentStatus } from './statusSync.js';

/** Timer: one poll of every workspace. Throws after all workspaces ran when any failed, so the host records the failure. */
export async function runIncidentPoll(deps: PollDeps & { config?: Config } = {}): Promise<PollResult> {
  const result = await pollIncidents(deps.config ?? currentConfig(), deps);
  const failed = result.workspaces.filter((w) => w.error);
  if (failed.length) throw new Error(`incident poll failed for ${failed.map((w) => `${w.workspace}: ${w.error}`).join('; ')}`);
  return result;
}

/** Queue `incidents`: forward one incident event to one destination. */
export function handleIncidentMessage(message: unknown, deps: ForwardDeps & { config?: Config } = {}): Promise<ForwardOutcome> {
  return forwardIncident(deps.config ?? currentConfig(), message, deps);
}

/**
 * Queue `incidents-poison` (the host moved a message there after maxDequeueCount failures — the function threw, e.g.
 * storage was unreachable): keep it as a dead letter of its destination, replayable like any other.
 */
export async function handleIncidentPoison(message: unknown, deps: { config?: Config } = {}): Promise<void> {
  const config = deps.config ?? currentConfig();
  const decoded = decodeMessage(message);
  const destination = 'error' in decoded ? 'unknown' : decoded.destination;
  await holdIncident(
    incidentDeliveryDeps(config),
    'deadletters',
    destination,
    'error' in decoded ? { raw: String(message).slice(0, 30_000) } : decoded,
    {
      reason:
        'the forwardIncident function failed on this message on every attempt (moved to incidents-poison by the host); see the function logs',
      ...('error' in decoded ? {} : { attempts: decoded.attempt + 1 }),
    },
  );
}

/**
 * Hourly probe of a disabled destination: forwards its oldest parked incident past the open circuit. When it goes
 * through, the destination is re-enabled and the rest of its parked incidents replayed; when not, the message is parked
 * again and the destination stays disabled. Returns whether it was re-enabled.
 */
export async function probeIncidentDestination(destination: string, deps: ForwardDeps & { config?: Config } = {}): Promise<boolean> {
  const config = deps.config ?? currentConfig();
  const delivery = deps.delivery ?? incidentDeliveryDeps(config);
  const [oldest] = (await delivery.parked.list(heldStream(destination))).sort((a, b) => a.key.localeCompare(b.key));
  if (oldest) {
    const [message] = await delivery.parked.rows(oldest);
    await delivery.parked.remove(oldest);
    const probe = { isOpen: () => false, recordOutcome: (_target: string, ok: boolean) => ({ disabled: !ok }) };
    const outcome = await forwardIncident(config, message, { ...deps, delivery, circuit: probe });
    if (outcome.result === 'parked') return false;
  }
  await replayIncidents(config, { destination, include: 'parked' }, delivery);
  return true;
}

/** The last poll of each configured workspace (for GET /api/status `lastPoll`). */
export async function lastPolls(config: Config = currentConfig()): Promise<(PollStateRow & { workspace: string })[]> {
  const claims = storage(config).table('claims');
  const rows = await Promise.all(
    config.SENTINEL_WORKSPACES.map(async (ws) => ({ ...(await readPollState(claims, ws)), workspace: ws.workspaceName })),
  );
  return rows.map(
    ({ workspace, lastPollStartedAt, lastPollFinishedAt, lastSuccessfulPollStartedAt, lastError, listed, claimed, closed }) => ({
      workspace,
      ...(lastPollStartedAt ? { lastPollStartedAt } : {}),
      ...(lastPollFinishedAt ? { lastPollFinishedAt } : {}),
      ...(lastSuccessfulPollStartedAt ? { lastSuccessfulPollStartedAt } : {}),
      ...(lastError ? { lastError } : {}),
      ...(listed !== undefined ? { listed } : {}),
      ...(claimed !== undefined ? { claimed } : {}),
      ...(closed !== undefined ? { closed } : {}),
    }),
  );
}
