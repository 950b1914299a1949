// PagerDuty REST API emulator: just what the callback mapping reads — GET /incidents/{id}/alerts — with the
// service's published rules (PagerDuty/api-schema reference/REST/openapiv3.json listIncidentAlerts; PagerDuty/
// developer-docs docs/REST-API/02-Authentication.md, 09-Pagination.md, 14-Errors.md):
//   HTTPS only; `Authorization: Token token=<key>` or 401 {error: {message: "Authentication failed", code: 2006}};
//   classic pagination: limit default 25, at most 100 (a bigger limit is cut to 100 and echoed), offset default 0,
//   offset + limit > 10,000 → 400; `more` says whether another page exists; `total` is null unless ?total=true;
//   an unknown incident → 404. Alerts have the documented shape (test/fixtures/callbacks/pagerduty/list-incident-alerts.json).
// Seed: POST /_emulator/incidents {id, alerts: [{alert_key, summary?, status?}]} (or an array); DELETE resets. In memory.
import { type EmulatorRequest, type Reply, type RunningEmulator, reply, startEmulator } from './server.js';
import type { EmulatorTls } from './tls.js';

/** The read-only REST key the local stack's emulator accepts (a PagerDuty destination's restApiKey locally). */
export const LOCAL_PAGERDUTY_REST_KEY = 'local-pagerduty-readonly-key';

export interface PagerDutyEmulatorOptions {
  port: number;
  tls: EmulatorTls;
  /** The REST API keys the account has. */
  apiKeys: readonly string[];
}

interface SeedAlert {
  alert_key: string;
  summary?: string;
  status?: 'triggered' | 'resolved';
}

const error = (status: number, message: string, code: number) => reply(status, { error: { message, code } });
const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 100;
const MAX_RECORDS = 10_000;

function alertJson(incidentId: string, alert: SeedAlert, index: number) {
  const id = `PA${incidentId}${index}`;
  return {
    id,
    type: 'alert',
    summary: alert.summary ?? `Alert ${alert.alert_key}`,
    self: `https://api.pagerduty.com/incidents/${incidentId}/alerts/${id}`,
    html_url: `https://subdomain.pagerduty.com/alerts/${id}`,
    created_at: '2015-10-06T21:30:42Z',
    status: alert.status ?? 'triggered',
    alert_key: alert.alert_key,
    service: { id: 'PIJ90N7', type: 'service_reference', summary: 'Sentinel Bridge', self: 'https://api.pagerduty.com/services/PIJ90N7' },
    body: { type: 'alert_body', contexts: [], details: {} },
    incident: { id: incidentId, type: 'incident_reference' },
    suppressed: false,
    severity: 'critical',
    integration: { id: 'PQ12345', type: 'events_api_v2_inbound_integration_reference', summary: 'Events API v2' },
  };
}

const intParam = (v: string | null): number | undefined | null => (v === null ? undefined : /^\d+$/.test(v) ? Number(v) : null);

export function startPagerDutyEmulator(options: PagerDutyEmulatorOptions): Promise<RunningEmulator> {
  const incidents = new Map<string, SeedAlert[]>();

  function listAlerts(req: EmulatorRequest, incidentId: string): Reply {
    const auth = /^Token token=(.+)$/.exec(String(req.headers.authorization ?? ''));
    if (!auth || !options.apiKeys.includes(auth[1] ?? '')) return error(401, 'Authentication failed', 2006);
    const alerts = incidents.get(incidentId);
    if (!alerts) return error(404, 'Not Found', 2100);
    const limitParam = intParam(req.url.searchParams.get('limit'));
    const offsetParam = intParam(req.url.searchParams.get('offset'));
    if (limitParam === null || offsetParam === null) return error(400, 'Invalid Input Provided', 2001);
    const limit = Math.min(Math.max(limitParam ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
    const offset = offsetParam ?? 0;
    if (offset + limit > MAX_RECORDS) return error(400, 'Invalid Input Provided', 2001);
    const total = req.url.searchParams.get('total') === 'true' ? alerts.length : null;
    return reply(200, {
      alerts: alerts.slice(offset, offset + limit).map((a, i) => alertJson(incidentId, a, offset + i)),
      limit,
      offset,
      more: offset + limit < alerts.length,
      total,
    });
  }

  return startEmulator({
    name: 'pagerduty',
    port: options.port,
    tls: options.tls,
    keepReceived: true,
    handle(req) {
      const m = /^\/incidents\/([^/]+)\/alerts$/.exec(req.url.pathname);
      return m && req.method === 'GET' ? listAlerts(req, decodeURIComponent(m[1] ?? '')) : undefined;
    },
    inspect(req, path) {
      if (path !== 'incidents') return undefined;
      if (req.method === 'DELETE') incidents.clear();
      else if (req.method === 'POST') {
        let seed: unknown;
        try {
          seed = JSON.parse(req.body.toString('utf8'));
        } catch {
          return reply(400, { error: 'body must be JSON: {id, alerts: [{alert_key}]} or an array of them' });
        }
        const list = (Array.isArray(seed) ? seed : [seed]) as { id?: unknown; alerts?: unknown }[];
        const valid = list.every(
          (s) =>
            s &&
            typeof s.id === 'string' &&
            Array.isArray(s.alerts) &&
            s.alerts.every((a) => a && typeof (a as SeedAlert).alert_key === 'string'),
        );
        if (!valid) return reply(400, { error: 'each incident needs an id and alerts: [{alert_key}]' });
        for (const s of list) incidents.set(s.id as string, s.alerts as SeedAlert[]);
      }
      return reply(
        200,
        [...incidents.entries()].map(([id, alerts]) => ({ id, alerts })),
      );
    },
  });
}
