// What the incident functions call (functions/pollIncidents.ts, forwardIncident.ts, incidentStatus.ts), plus the
// last-poll view for /api/status.
import { type PollStateRow, readPollState } from './claims.js';
import type { IncidentDeps } from './deps.js';
import { type ForwardOutcome, forwardIncident } from './forwarder.js';
import { decodeMessage } from './messages.js';
import { destinationKey, holdIncident, replayIncidents } from './outcomes.js';
import { type PollResult, pollIncidents } from './poller.js';

export { type IncidentReplayResult, replayIncidents } from './outcomes.js';
export { handleIncidentStatus } from './statusSync.js';

/** Timer: one poll of every workspace. Throws after all workspaces ran when any failed, so the host records the failure. */
export async function runIncidentPoll(deps: IncidentDeps): Promise<PollResult> {
  const result = await pollIncidents(deps);
  const failed = result.workspaces.filter((w) => w.error);
  if (failed.length) throw new Error(`incident poll failed for ${failed.map((w) => `${w.workspace}: ${w.error}`).join('; ')}`);
  return result;
}

/** Queue `incidents`: forward one incident event to one destination. */
export function handleIncidentMessage(message: unknown, deps: IncidentDeps): Promise<ForwardOutcome> {
  return forwardIncident(message, deps);
}

/**
 * Queue `incidents-poison` (the host moved a message there after maxDequeueCount failures — the function threw, e.g.
 * storage was unreachable): keep it as a dead letter of its destination, replayable like any other.
 */
export async function handleIncidentPoison(message: unknown, deps: IncidentDeps): Promise<void> {
  const reason =
    'the forwardIncident function failed on this message on every attempt (moved to incidents-poison by the host); see the function logs';
  const decoded = decodeMessage(message);
  // Unreadable: it names no destination, so it is kept as it arrived, with why, where no replay puts it back.
  if ('error' in decoded) return deps.reliability.deadLetters.putUnreadable(message, `${reason}; ${decoded.error}`);
  await holdIncident(deps.reliability, 'deadletters', decoded.destination, decoded, { reason, attempts: decoded.attempt + 1 });
}

/**
 * Hourly probe of a disabled destination: forwards its oldest parked incident past the open circuit. When it goes
 * through, the destination is re-enabled and the rest of its parked incidents replayed; when not, the message is parked
 * again (the forwarder parks a copy before the old one is removed) and the destination stays disabled. Returns whether
 * it was re-enabled.
 */
export async function probeIncidentDestination(destination: string, deps: IncidentDeps): Promise<boolean> {
  const { parked } = deps.reliability;
  const [oldest] = (await parked.list(destinationKey(destination))).sort((a, b) => a.key.localeCompare(b.key));
  if (oldest) {
    const [message] = await parked.rows(oldest);
    const probe = { isOpen: () => false, recordOutcome: (_destination: string, ok: boolean) => ({ disabled: !ok }) };
    // Removed only once the forwarder has taken it over (sent, re-enqueued or parked anew): a throw keeps it parked.
    const outcome = await forwardIncident(message, { ...deps, circuit: probe });
    await parked.remove(oldest);
    if (outcome.result === 'parked') return false;
  }
  await replayIncidents(deps.reliability, deps.storage.queue('incidents'), { destination, include: 'parked' });
  return true;
}

/** The last poll of each configured workspace (for GET /api/status `lastPoll`). */
export async function lastPolls(deps: Pick<IncidentDeps, 'config' | 'storage'>): Promise<(PollStateRow & { workspace: string })[]> {
  const claims = deps.storage.table('claims');
  const rows = await Promise.all(
    deps.config.SENTINEL_WORKSPACES.map(async (ws) => ({ ...(await readPollState(claims, ws)), workspace: ws.workspaceName })),
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
