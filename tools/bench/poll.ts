// 7. Incident poll: 10,000 incidents created in the 24 h window, for each incident API (the Sentinel ARM emulator and
// the Graph security emulator, seeded through /_emulator/incidents), one destination (a signed webhook to the sink).
// One poll through the real poller (list, claim, one message per incident), the real forwarder (read, tag, comment,
// send) on a sample of the messages for its cost per incident, then a second poll: what it re-sends must be 0. Against the naive design "list
// everything, send everything", run as a loop against the same emulators: every page of every incident, one send
// each, on every poll. API calls are counted from the emulators' request logs; peak memory is the process RSS sampled
// every 20 ms (the emulators, Azurite's client side and the seeded stores share the process: an upper bound).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { forwardIncident } from '../../shared/incidents/forwarder.js';
import { pollIncidents } from '../../shared/incidents/poller.js';
import { appOf } from '../dev/apps.js';
import { emulatorCall } from '../emulators/client.js';
import { startEmulators } from '../emulators/main.js';
import type { ReceivedRequest } from '../emulators/server.js';
import type { BenchEnv } from './env.js';
import { check, figure, fmtBytes, fmtInt, fmtMs, printTable, summary } from './report.js';

type Api = 'sentinel' | 'graph';

const WS = { subscriptionId: '00000000-0000-4000-8000-0000000be9c1', resourceGroup: 'rg-bench', workspaceName: 'sentinel-bench' };
const WS_ID = `/subscriptions/${WS.subscriptionId}/resourceGroups/${WS.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${WS.workspaceName}`;
const SEVERITIES = { sentinel: ['High', 'Medium', 'Low', 'Informational'], graph: ['high', 'medium', 'low', 'informational'] };

/** `n` incidents created within the last 23 h, in the API's own shape. */
function incidents(api: Api, n: number, offset: number): unknown[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, k) => {
    const i = offset + k;
    const created = new Date(now - ((i * 7919) % (23 * 3600_000))).toISOString();
    const severity = SEVERITIES[api][i % 4];
    return api === 'sentinel'
      ? {
          id: `${WS_ID}/providers/Microsoft.SecurityInsights/Incidents/bench-${i}`,
          properties: { title: `Bench incident ${i}`, description: 'bench', severity, status: 'New', createdTimeUtc: created },
        }
      : { id: String(100_000 + i), displayName: `Bench incident ${i}`, status: 'active', severity, createdDateTime: created };
  });
}

/** Peak RSS while `run` runs, sampled every 20 ms. */
async function withPeakRss<T>(run: () => Promise<T>): Promise<{ result: T; peak: number; ms: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const started = performance.now();
  try {
    const result = await run();
    return { result, peak: Math.max(peak, process.memoryUsage().rss), ms: performance.now() - started };
  } finally {
    clearInterval(timer);
  }
}

interface Calls {
  total: number;
  kinds: Record<string, number>;
}

interface ApiRun {
  api: Api;
  /** The first poll (list, claim, enqueue) over the whole window. */
  ms: number;
  peakRss: number;
  pollCalls: Calls;
  /** The forwarder on FORWARD_SAMPLE of the messages. */
  forwardCalls: Calls;
  forwarded: number;
  resent: number;
  naiveCalls: number;
  naiveSent: number;
  naiveMs: number;
  naivePeakRss: number;
}

const FORWARD_SAMPLE = 256;

export async function benchPoll(env: BenchEnv, total: number): Promise<void> {
  const started = await startEmulators({
    dataDir: env.dir,
    ports: { SENTINEL_EMULATOR_PORT: 0, GRAPH_EMULATOR_PORT: 0, SINK_PORT: 0 },
    only: ['sentinel', 'graph', 'sink'],
    workspaces: [WS],
  });
  const { sentinel, graph, sink } = started.emulators as Required<typeof started.emulators>;
  // Own keep-alive agents: the global one times sockets out after 5 s, less than seeding 2,000 incidents can take.
  const agents = {
    https: new https.Agent({ keepAlive: true, ca: started.ca, maxSockets: 16 }),
    http: new http.Agent({ keepAlive: true, maxSockets: 16 }),
  };
  const call = <T = unknown>(base: string, method: string, path: string, body?: unknown) =>
    emulatorCall<T>(base, started.ca, method, path, body, {
      agent: (base.startsWith('https:') ? agents.https : agents.http) as https.Agent,
      timeoutMs: 120_000,
    }).then((r) => r.json);
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const runs: ApiRun[] = [];
  try {
    for (const api of ['sentinel', 'graph'] as const) {
      const service = api === 'sentinel' ? sentinel : graph;
      for (let off = 0; off < total; off += 2000)
        await call(service.url, 'POST', '/_emulator/incidents', incidents(api, Math.min(2000, total - off), off));
      await Promise.all([call(service.url, 'DELETE', '/_emulator/received'), call(sink.url, 'DELETE', '/_emulator/received')]);
      console.log(`   ${api}: ${fmtInt(total)} incidents seeded`);
      const config = env.config({
        SENTINEL_WORKSPACES: JSON.stringify([{ ...WS, api }]),
        ARM_ENDPOINT: sentinel.url,
        GRAPH_ENDPOINT: graph.url,
        EMULATOR_CA_FILE: started.caFile,
        DESTINATIONS: JSON.stringify([{ name: 'bench-webhook', type: 'webhook', url: `${sink.url}/webhook`, secret }]),
        INCIDENT_STATUSES: 'New',
        INCIDENT_SEVERITIES: 'High,Medium,Low,Informational',
        INCIDENT_LOOKBACK_HOURS: '24',
      });
      const app = appOf(config);
      const queue = app.storage.queue('incidents');
      await queue.clearMessages();
      const sinkCount = async () => (await call<ReceivedRequest[]>(sink.url, 'GET', '/_emulator/received')).length;
      const apiCalls = async () => {
        const log = await call<ReceivedRequest[]>(service.url, 'GET', '/_emulator/received');
        await call(service.url, 'DELETE', '/_emulator/received');
        const kinds: Record<string, number> = {};
        for (const r of log) {
          const kind = `${r.method} ${/\/comments/.test(r.path) ? 'comment' : /incidents(\?|\/?$)/i.test(r.path) ? 'list' : 'incident'}`;
          kinds[kind] = (kinds[kind] ?? 0) + 1;
        }
        return { total: log.length, kinds };
      };

      // The bridge: one poll through the real poller (list, claim, one message per incident and destination).
      const bridge = await withPeakRss(() => pollIncidents(app.incidents));
      const pollCalls = await apiCalls();
      const ws = bridge.result.workspaces[0];
      check(!ws?.error, `poll ${api}: ${ws?.error}`);
      check(ws?.enqueued === total, `poll ${api}: ${total} incidents seeded, ${ws?.enqueued} messages enqueued`);
      console.log(`   ${api}: poll ${fmtMs(bridge.ms)}, ${fmtInt(ws?.enqueued ?? 0)} enqueued`);

      // The forwarder's cost per incident (read, tag, comment, send) on a sample of the messages: forwarding is per new
      // incident and does not depend on the window, and all 10,000 take minutes on the emulators.
      let forwarded = 0;
      while (forwarded < FORWARD_SAMPLE) {
        const { receivedMessageItems: items } = await queue.receiveMessages({ numberOfMessages: 8, visibilityTimeout: 300 });
        if (!items.length) break;
        await Promise.all(
          items.map(async (m) => {
            await forwardIncident(JSON.parse(m.messageText), app.incidents);
            await queue.deleteMessage(m.messageId, m.popReceipt);
          }),
        );
        forwarded += items.length;
      }
      await queue.clearMessages();
      const forwardCalls = await apiCalls();
      const sent = await sinkCount();
      check(sent === forwarded, `poll ${api}: ${forwarded} messages forwarded, ${sent} sends at the destination`);

      // The next poll: every incident is claimed, so nothing is enqueued and nothing re-sent.
      await call(sink.url, 'DELETE', '/_emulator/received');
      const again = await pollIncidents(app.incidents);
      await apiCalls();
      const resent = (again.workspaces[0]?.enqueued ?? 0) + (await sinkCount());
      check(resent === 0, `poll ${api}: the next poll re-sent ${resent}`);

      // Naive: list every incident (every page, no filter), send each one, on every poll.
      await Promise.all([call(service.url, 'DELETE', '/_emulator/received'), call(sink.url, 'DELETE', '/_emulator/received')]);
      const naive = await withPeakRss(async () => {
        let listed = 0;
        const send = (body: unknown) => call(sink.url, 'POST', '/webhook', body);
        if (api === 'sentinel')
          for await (const page of app.incidents.sentinel.listIncidentPages(WS, {})) {
            await Promise.all(page.value.map(send));
            listed += page.value.length;
          }
        else
          for await (const page of app.incidents.graph.listIncidents({})) {
            await Promise.all(page.map(send));
            listed += page.length;
          }
        return listed;
      });
      const naiveCalls = (await apiCalls()).total;
      runs.push({
        api,
        ms: bridge.ms,
        peakRss: bridge.peak,
        pollCalls,
        forwardCalls,
        forwarded,
        resent,
        naiveCalls,
        naiveSent: naive.result,
        naiveMs: naive.ms,
        naivePeakRss: naive.peak,
      });
      await Promise.all([call(service.url, 'DELETE', '/_emulator/incidents'), call(sink.url, 'DELETE', '/_emulator/received')]);
    }
  } finally {
    agents.https.destroy();
    agents.http.destroy();
    await started.stop();
  }

  const per100 = (calls: number, of: number) => (calls * 100) / of;
  printTable(
    `7. Incident poll: ${fmtInt(total)} incidents in the 24 h window, one webhook destination (naive: list everything, send everything, every poll)`,
    [
      'api',
      'first poll',
      'list calls / 100',
      'forward calls / 100',
      'next poll re-sends',
      'peak RSS',
      'naive poll',
      'naive calls / 100',
      'naive re-sends',
    ],
    runs.map((r) => [
      r.api,
      fmtMs(r.ms),
      per100(r.pollCalls.total, total).toFixed(2),
      per100(r.forwardCalls.total, r.forwarded).toFixed(0),
      fmtInt(r.resent),
      fmtBytes(r.peakRss),
      fmtMs(r.naiveMs),
      per100(r.naiveCalls, total).toFixed(2),
      fmtInt(r.naiveSent),
    ]),
  );
  const kinds = (c: Calls) =>
    Object.entries(c.kinds)
      .map(([k, v]) => `${k} ${fmtInt(v)}`)
      .join(', ');
  for (const r of runs) {
    console.log(`   ${r.api}: poll calls ${kinds(r.pollCalls)}; forwarding ${r.forwarded} incidents: ${kinds(r.forwardCalls)}`);
    figure(
      `poll ${r.api}: list calls per 100 incidents (first poll)`,
      'calls',
      per100(r.pollCalls.total, total),
      per100(r.naiveCalls, total),
    );
    figure(`poll ${r.api}: forwarder API calls per 100 incidents (read, tag, comment)`, 'calls', per100(r.forwardCalls.total, r.forwarded));
    figure(`poll ${r.api}: first poll of ${fmtInt(total)} incidents (list, claim, enqueue)`, 'ms', r.ms, r.naiveMs);
    figure(`poll ${r.api}: peak RSS of the process during the poll`, 'bytes', r.peakRss, r.naivePeakRss);
    figure(`poll ${r.api}: incidents re-sent by the next poll`, 'incidents', r.resent, r.naiveSent);
    summary.push(
      `Poll (${r.api}): ${fmtInt(total)} incidents claimed and enqueued once in ${fmtMs(r.ms)} with ${per100(r.pollCalls.total, total).toFixed(2)} list calls per 100 (naive: ${per100(r.naiveCalls, total).toFixed(2)}), plus ${per100(r.forwardCalls.total, r.forwarded).toFixed(0)} forwarder calls per 100 (read, tag, comment); the next poll re-sends ${r.resent} (naive: ${fmtInt(r.naiveSent)}).`,
    );
  }
}
