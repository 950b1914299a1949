// Operator notifications (a target disabled or re-enabled): always logged; also POSTed to NOTIFY_WEBHOOK_URL when set,
// through the same SSRF-guarded sender as the destinations.
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { sendToDestination } from './send.js';

export function createNotifier(
  config: Pick<Config, 'NOTIFY_WEBHOOK_URL' | 'ALLOW_PRIVATE_DESTINATIONS'>,
  log: Logger,
  send: typeof sendToDestination,
): (event: Record<string, unknown>) => Promise<void> {
  return async (event) => {
    log.error({ notification: event }, String(event.message ?? event.type));
    if (!config.NOTIFY_WEBHOOK_URL) return;
    const result = await send(
      { name: 'notify', type: 'webhook', url: config.NOTIFY_WEBHOOK_URL },
      { body: JSON.stringify(event), headers: { 'content-type': 'application/json' } },
      { allowPrivate: config.ALLOW_PRIVATE_DESTINATIONS, timeoutMs: 10_000 },
    );
    if (!result.ok) log.warn({ error: result.error }, 'notification webhook failed');
  };
}
