// `npm run demo`: a guided tour of Sentinel Bridge on the local stack. Uses a stack already answering on the host
// port, else starts one (and stops it at the end). Posts each kind of input the bridge takes, shows each answer,
// waits for the rows in the Logs Ingestion emulator, shows /api/status, and — when the incident functions are wired —
// seeds two incidents in the Sentinel emulator, runs the poll, and shows what the destination sink got and how the
// incidents were labelled and commented; then a SIGNL4 round trip: "acknowledge" and "close" as SIGNL4 sends them
// to the bridge's callback route, and the owner, status, classification and comments they leave in the Sentinel emulator.
// Exits non-zero when an expected step fails.
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TargetStatus } from '../../shared/operations/status.js';
import { localSettingsValues } from '../dev/settings.js';
import type { CallbackSpec, VendorRequest } from '../emulators/vendorCallbacks.js';
import { type Answer, call, callEmulator, waitFor } from './client.js';
import { type DemoStack, demoStack } from './stack.js';

type Row = Record<string, unknown>;

const failures: string[] = [];
let stepNo = 0;
const step = (title: string) => console.log(`\n━━ ${++stepNo}. ${title}`);
const say = (line: string) => console.log(`   ${line}`);
const good = (line: string) => say(`✔ ${line}`);
function bad(line: string): void {
  failures.push(`step ${stepNo}: ${line}`);
  say(`✘ ${line}`);
}

const short = (v: unknown, max = 100): string => {
  const s = (typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v))).replace(/\r?\n/g, '⏎ ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
};
const fixture = (path: string) => readFileSync(`test/fixtures/${path}`, 'utf8');
const kib = (n: number) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`);

const { file: settingsFile, values: fileValues } = localSettingsValues();
const setting = (name: string): string | undefined => process.env[name] || fileValues[name] || undefined;

function showAnswer(res: Answer): void {
  say(`← ${res.status} ${res.text ? short(res.text, 400) : '(no body)'}`);
}

/** POSTs to the host, prints the request and the answer, checks the status. */
async function post(
  stack: DemoStack,
  path: string,
  body: string,
  expected: number,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<Answer> {
  say(`→ POST ${path}  (${headers['content-type'] ?? 'no content type'}, ${kib(Buffer.byteLength(body))})`);
  const res = await call('POST', `${stack.hostUrl}${path}`, body, headers);
  showAnswer(res);
  if (res.status === expected) good(`answered ${expected} as expected`);
  else bad(`POST ${path} answered ${res.status}, expected ${expected}`);
  return res;
}

/** The Data Collector API's SharedKey signature, computed as a legacy sender does. */
function sharedKeyHeaders(workspaceId: string, sharedKey: string, body: string, logType: string): Record<string, string> {
  const date = new Date().toUTCString();
  const stringToSign = `POST\n${Buffer.byteLength(body, 'utf8')}\napplication/json\nx-ms-date:${date}\n/api/logs`;
  const signature = createHmac('sha256', Buffer.from(sharedKey, 'base64')).update(stringToSign, 'utf8').digest('base64');
  return {
    'content-type': 'application/json',
    'log-type': logType,
    'x-ms-date': date,
    'time-generated-field': 'request_time',
    authorization: `SharedKey ${workspaceId}:${signature}`,
  };
}

/** The columns worth showing of a row: time and type first, then the typed ones; no bookkeeping; RawData last. */
function describeRow(row: Row): string[] {
  const first = ['TimeGenerated', 'EventTime', 'Source', 'EventType'];
  const skip = new Set([...first, 'RawData', 'EventId', 'ReceivedAt']);
  const present = (k: string) => row[k] !== undefined && row[k] !== null && row[k] !== '';
  const keys = [
    ...first.filter(present),
    ...Object.keys(row)
      .filter((k) => !skip.has(k) && present(k))
      .slice(0, 10),
  ];
  const lines = keys.map((k) => `${k.padEnd(18)} ${short(row[k], 90)}`);
  if (row.RawData !== undefined) lines.push(`${'RawData'.padEnd(18)} ${short(row.RawData, 90)}`);
  return lines;
}

async function ingestTour(stack: DemoStack, ca: string): Promise<string[]> {
  const since = new Date().toISOString();
  const expected = new Map<string, number>();
  const expect = (stream: string, n = 1) => expected.set(stream, (expected.get(stream) ?? 0) + n);

  step("A Wallarm hit, as Wallarm's webhook integration posts it (a JSON array) → POST /api/events/wallarm");
  const hits = JSON.parse(fixture('wallarm/hits-2026-host.json')) as unknown[];
  if ((await post(stack, '/api/events/wallarm', JSON.stringify([hits[0]]), 202)).status === 202) expect('Custom-new_hits_CL');

  step('A Wallarm batch as NDJSON (one notification per line)');
  const ndjson = fixture('wallarm/hits-2026-host.ndjson');
  const lines = ndjson.split('\n').filter((l) => l.trim()).length;
  const nd = await post(stack, '/api/events/wallarm', ndjson, 202, { 'content-type': 'application/x-ndjson' });
  if (nd.status === 202) expect('Custom-new_hits_CL', (nd.json as { accepted?: number }).accepted ?? lines);

  step('A Wallarm "IP denylisted" notification (ip_blocked) → table ip_blocked_CL');
  if ((await post(stack, '/api/events/wallarm', fixture('wallarm/ip-blocked.json'), 202)).status === 202) expect('Custom-ip_blocked_CL');

  step('A Wallarm security issue (risk Medium → the legacy table vuln_medium_CL)');
  if ((await post(stack, '/api/events/wallarm', fixture('wallarm/security-issue-2026.json'), 202)).status === 202)
    expect('Custom-vuln_medium_CL');

  step('A Defender for Cloud Apps discovery row (Shadow IT reporting) → POST /api/events/mcas');
  const mcas = JSON.parse(fixture('mcas/log-analytics-export.json')) as Row[];
  if ((await post(stack, '/api/events/mcas', JSON.stringify([mcas[0]]), 202)).status === 202) expect('Custom-McasShadowItReporting_CL');

  step('Any other JSON: a generic event → POST /api/events/generic?type=deploy → WebhookEvents_CL');
  const generic = { service: 'checkout', version: '2.14.0', environment: 'production', deployedBy: 'ci', demoRun: since };
  if ((await post(stack, '/api/events/generic?type=deploy', JSON.stringify(generic), 202)).status === 202)
    expect('Custom-WebhookEvents_CL');

  step('A legacy HTTP Data Collector API request: same headers and SharedKey signature, only the host changed');
  const workspaceId = setting('DATA_COLLECTOR_WORKSPACE_ID');
  const sharedKey = setting('DATA_COLLECTOR_SHARED_KEY');
  if (!workspaceId || !sharedKey) bad(`DATA_COLLECTOR_WORKSPACE_ID / DATA_COLLECTOR_SHARED_KEY are not set (settings: ${settingsFile})`);
  else {
    const legacyBody = fixture('wallarm/hit-2020-bare.json');
    const headers = sharedKeyHeaders(workspaceId, sharedKey, legacyBody, 'new_hits');
    say(
      `   signed: HMAC-SHA256(base64-decoded DATA_COLLECTOR_SHARED_KEY, "POST\\n<bytes>\\napplication/json\\nx-ms-date:<date>\\n/api/logs")`,
    );
    say(`   Log-Type: new_hits, Authorization: SharedKey ${workspaceId}:${headers.authorization?.split(':')[1]?.slice(0, 12)}…`);
    if ((await post(stack, '/api/logs?api-version=2016-04-01', legacyBody, 200, headers)).status === 200) expect('Custom-new_hits_CL');
    say('   the same request with a wrong key is refused, as the old API did:');
    const wrong = sharedKeyHeaders(workspaceId, Buffer.from('not the key').toString('base64'), legacyBody, 'new_hits');
    await post(stack, '/api/logs?api-version=2016-04-01', legacyBody, 403, wrong);
  }

  step('A record that is not valid: it is refused with the field and the reason (valid ones in the same request would still be accepted)');
  const invalid = { ...mcas[0], AppScore: 42, TotalEvents: 'many' };
  const refused = await post(stack, '/api/events/mcas', JSON.stringify([invalid]), 400);
  const rejected = (refused.json as { rejected?: { index: number; error: string }[] } | undefined)?.rejected ?? [];
  for (const r of rejected) say(`   rejected[${r.index}]: ${r.error}`);
  if (!rejected.length) bad('the 400 did not list the rejected record');

  step('Delivery: the queue function sends the rows to the Logs Ingestion API (here its emulator)');
  say(`waiting for ${[...expected].map(([s, n]) => `${n} × ${s}`).join(', ')}`);
  const started = Date.parse(since);
  const fresh = async (stream: string) => {
    const res = await callEmulator<Row[]>(ca, 'GET', `${stack.logsUrl}/_emulator/records?stream=${encodeURIComponent(stream)}`);
    return (Array.isArray(res.json) ? res.json : []).filter((r) => String(r.ReceivedAt ?? '') >= since);
  };
  const streams = [...expected.keys()];
  const { value, ok } = await waitFor(
    () => Promise.all(streams.map(fresh)),
    (all) => all.every((rows, i) => rows.length >= (expected.get(streams[i] as string) ?? 0)),
    45_000,
  );
  if (ok) good(`all ${[...expected.values()].reduce((a, b) => a + b, 0)} rows are in, ${Date.now() - started} ms after the first POST`);
  streams.forEach((stream, i) => {
    const rows = value[i] ?? [];
    const want = expected.get(stream) ?? 0;
    console.log(`\n   ${stream.replace(/^Custom-/, '')}: ${rows.length} new row(s)${rows.length < want ? ` — expected ${want}` : ''}`);
    if (rows.length < want) bad(`${stream}: ${rows.length} of ${want} rows arrived within 45 s`);
    const row = rows[rows.length - 1];
    if (row) for (const line of describeRow(row)) say(`  ${line}`);
  });
  const dropped = await callEmulator<unknown[]>(ca, 'GET', `${stack.logsUrl}/_emulator/dropped`);
  const droppedHere = (Array.isArray(dropped.json) ? dropped.json : []).filter((d) =>
    streams.includes(String((d as { stream?: string }).stream)),
  );
  if (droppedHere.length === 0) good('the emulator dropped no column and adjusted no value');
  else say(`note: the emulator reports values it dropped or adjusted (this run or earlier ones): ${short(droppedHere, 300)}`);
  return streams;
}

async function statusTour(stack: DemoStack, streams: string[]): Promise<void> {
  step('GET /api/status — per target: enabled, failure ratio, queue depth, parked, dead letters');
  const res = await call<{
    targets?: TargetStatus[];
    deadLetters?: unknown;
    lastPoll?: unknown;
  }>('GET', `${stack.hostUrl}/api/status`);
  if (res.status !== 200 || !Array.isArray(res.json?.targets)) {
    bad(`GET /api/status answered ${res.status}: ${short(res.text, 300)}`);
    return;
  }
  const targets = res.json.targets;
  const shown = targets.filter((t) => streams.includes(t.name) || t.lastSuccess || t.parked || t.deadLetters || !t.enabled);
  say(`${targets.length} targets (one per stream); the ones this tour used or with something to report:`);
  for (const t of shown) {
    say(
      `  ${t.name.padEnd(32)} enabled=${t.enabled} failures12h=${(t.failureRatio12h * 100).toFixed(0)}% queue=${t.queueDepth} parked=${t.parked} dead=${t.deadLetters} lastSuccess=${t.lastSuccess ?? '—'}`,
    );
  }
  if (shown.some((t) => streams.includes(t.name) && !t.lastSuccess))
    say('  (lastSuccess "—" right after a delivery: this instance has not flushed its counters to the stats table yet)');
  say(`deadLetters: ${short(res.json.deadLetters, 200)}`);
  say(`lastPoll: ${short(res.json.lastPoll ?? null, 300)}`);
  good('status answered');
}

async function incidentTour(stack: DemoStack, ca: string): Promise<void> {
  step('Incidents out: is the incident side wired (functions/all.ts)?');
  let names: string[];
  try {
    const { functions } = await import('../../functions/all.js');
    names = functions.map((f) => f.name);
  } catch (e) {
    bad(`functions/all.ts could not be loaded: ${(e as Error).message}`);
    return;
  }
  if (!names.includes('pollIncidents')) {
    say(`not yet: functions/all.ts lists ${names.join(', ')} — no pollIncidents, so the incident part of the tour is skipped`);
    return;
  }
  good(`yes: ${names.filter((n) => /incident/i.test(n)).join(', ')}`);

  const workspaces = JSON.parse(setting('SENTINEL_WORKSPACES') ?? '[]') as {
    subscriptionId: string;
    resourceGroup: string;
    workspaceName: string;
  }[];
  const ws = workspaces[0];
  if (!ws) {
    bad('SENTINEL_WORKSPACES is empty: nothing to poll');
    return;
  }
  const tag = setting('INCIDENT_TAG') ?? 'SentinelBridge';
  const workspaceId = `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${ws.workspaceName}`;

  step(`Seed two incidents in the Sentinel emulator (workspace ${ws.workspaceName})`);
  const now = new Date().toISOString();
  const seeds = [
    {
      severity: 'High',
      title: 'Demo: SQL injection campaign against shop.example.com',
      description: '52 blocked SQLi hits from 3 addresses in 10 minutes.',
    },
    {
      severity: 'Medium',
      title: 'Demo: unsanctioned cloud storage upload',
      description: '5 GB uploaded to WeTransfer from LAPTOP-RAEGAN.',
    },
  ].map((s) => {
    const name = randomUUID();
    return {
      id: `${workspaceId}/providers/Microsoft.SecurityInsights/incidents/${name}`,
      name,
      properties: { title: s.title, description: s.description, severity: s.severity, status: 'New', createdTimeUtc: now },
    };
  });
  let seeded: Answer;
  try {
    seeded = await callEmulator(ca, 'POST', `${stack.sentinelUrl}/_emulator/incidents`, seeds);
  } catch (e) {
    bad(`the Sentinel emulator at ${stack.sentinelUrl} did not answer: ${(e as Error).message}`);
    return;
  }
  if (seeded.status !== 201 && seeded.status !== 200) {
    bad(`seeding answered ${seeded.status}: ${short(seeded.text, 300)}`);
    return;
  }
  for (const s of seeds) say(`  ${s.name}  ${s.properties.severity.padEnd(6)} ${s.properties.title}`);

  step('Run the poll now, as the Functions host admin API does: POST /admin/functions/pollIncidents');
  const sinkBefore = Date.now();
  const run = await post(stack, '/admin/functions/pollIncidents', '{"input":""}', 202);
  if (run.status !== 202) return;

  step('What the destination got (the sink stands in for SIGNL4 / Teams / Slack / PagerDuty / webhooks)');
  const received = await waitFor(
    async () => {
      const res = await call<{ method: string; path: string; headers: Record<string, string>; body: string; json?: Row }[]>(
        'GET',
        `${stack.sinkUrl}/_emulator/received`,
      );
      return (Array.isArray(res.json) ? res.json : []).filter((r) => seeds.some((s) => r.body.includes(s.name)));
    },
    (list) => seeds.every((s) => list.some((r) => r.body.includes(s.name))),
    45_000,
  );
  if (!received.ok) bad(`the sink got ${received.value.length} request(s) for the two incidents within 45 s`);
  else good(`${received.value.length} request(s) for the two incidents, ${Date.now() - sinkBefore} ms after the poll started`);
  for (const r of received.value) {
    const j = r.json ?? {};
    say(
      `  ${r.method} ${r.path}  content-type: ${r.headers['content-type'] ?? '—'}  signed: ${r.headers['webhook-signature'] ? 'yes (Standard Webhooks)' : 'no'}`,
    );
    const data = (j.data ?? {}) as Row;
    if (j.specversion)
      say(`    CloudEvent ${j.type}  subject ${j.subject}  time ${j.time}  → ${short(data.title ?? data, 80)} (${data.severity ?? '?'})`);
    else say(`    ${short(r.body, 200)}`);
  }

  const destinationCount = (JSON.parse(setting('DESTINATIONS') ?? '[]') as unknown[]).length;
  step(`Back in Sentinel: the label "${tag}" and one comment per destination (${destinationCount})`);
  for (const s of seeds) {
    const { value, ok } = await waitFor(
      () =>
        callEmulator<{ properties?: { labels?: { labelName: string }[] }; comments?: { properties: { message: string } }[] }>(
          ca,
          'GET',
          `${stack.sentinelUrl}/_emulator/incidents/${s.name}`,
        ),
      (res) =>
        Boolean(res.json?.properties?.labels?.some((l) => l.labelName === tag) && (res.json.comments?.length ?? 0) >= destinationCount),
      30_000,
    );
    const labels = value.json?.properties?.labels?.map((l) => l.labelName) ?? [];
    const comments = value.json?.comments?.map((c) => c.properties.message) ?? [];
    say(`  ${s.properties.title}`);
    say(`    labels:   ${labels.join(', ') || '—'}`);
    for (const c of comments) say(`    comment:  ${short(c, 110)}`);
    if (!ok) bad(`incident ${s.name}: label ${tag} and ${destinationCount} comment(s) did not appear within 30 s`);
  }
  const status = await call<{ lastPoll?: unknown }>('GET', `${stack.hostUrl}/api/status`);
  say(`GET /api/status → lastPoll: ${short(status.json?.lastPoll ?? null, 300)}`);
  const [first] = seeds;
  if (first) await signl4RoundTrip(stack, ca, first.name);
}

interface SentinelIncident {
  properties?: {
    status?: string;
    owner?: { assignedTo?: string; email?: string; userPrincipalName?: string };
    classification?: string;
    classificationReason?: string;
    classificationComment?: string;
  };
  comments?: { properties: { message: string } }[];
}

/** The incident as the Sentinel emulator has it, with the comments a destination's callbacks wrote. */
async function showIncident(stack: DemoStack, ca: string, name: string, destination: string): Promise<SentinelIncident> {
  const res = await callEmulator<SentinelIncident>(ca, 'GET', `${stack.sentinelUrl}/_emulator/incidents/${name}`);
  const p = res.json?.properties ?? {};
  const owner = p.owner?.userPrincipalName ?? p.owner?.email ?? p.owner?.assignedTo;
  say(`  Sentinel: status ${p.status ?? '?'} · owner ${owner ?? '—'}`);
  if (p.classification)
    say(
      `            classification ${p.classification}${p.classificationReason ? ` / ${p.classificationReason}` : ''} · closing comment "${p.classificationComment ?? ''}"`,
    );
  for (const c of res.json?.comments ?? [])
    if (c.properties.message.includes(` in ${destination}`)) say(`            comment: ${short(c.properties.message, 110)}`);
  return res.json ?? {};
}

/** The sink, as SIGNL4, sends its outbound webhook to the bridge's callback route; prints and checks the answer. */
async function playSignl4(stack: DemoStack, spec: CallbackSpec, expected: number, result: string): Promise<VendorRequest | undefined> {
  const res = await call<{ sent?: VendorRequest; answer?: { status: number; json?: { result?: string }; text?: string }; error?: string }>(
    'POST',
    `${stack.sinkUrl}/_emulator/play`,
    JSON.stringify(spec),
    { 'content-type': 'application/json' },
  );
  const { sent, answer } = res.json ?? {};
  if (res.status !== 200 || !sent || !answer) {
    bad(`the sink could not play the callback: ${res.status} ${short(res.text, 300)}`);
    return undefined;
  }
  const shown = new URL(sent.url);
  shown.searchParams.delete('secret');
  const where = `${shown.pathname}${shown.search ? `${shown.search}&` : '?'}secret=<callbackSecret>`;
  const body = JSON.parse(sent.body) as { eventType: number; alert: { statusCode: number } };
  say(`→ POST ${where}  eventType ${body.eventType}, alert.statusCode ${body.alert.statusCode}`);
  const shownAnswer = answer.json ?? answer.text ?? '(no body)';
  say(`← ${answer.status} ${short(shownAnswer, 400)}`);
  const got = answer.json?.result;
  if (answer.status === expected && got === result) good(`answered ${expected} {"result":"${result}"}`);
  else bad(`the callback answered ${answer.status} ${short(shownAnswer, 200)}, expected ${expected} {"result":"${result}"}`);
  return sent;
}

async function signl4RoundTrip(stack: DemoStack, ca: string, name: string): Promise<void> {
  const destinations = JSON.parse(setting('DESTINATIONS') ?? '[]') as {
    name: string;
    type: string;
    url: string;
    callbackSecret?: string;
  }[];
  const signl4 = destinations.find((d) => d.type === 'signl4' && typeof d.callbackSecret === 'string');
  step('Two-way sync with SIGNL4: what SIGNL4 got (its inbound webhook format; the sink stands in for connect.signl4.com)');
  if (!signl4?.callbackSecret) {
    bad(`no SIGNL4 destination with a callbackSecret in DESTINATIONS (settings: ${settingsFile})`);
    return;
  }
  const sink = await call<{ path: string; body: string; json?: Row }[]>('GET', `${stack.sinkUrl}/_emulator/received`);
  const alert = (Array.isArray(sink.json) ? sink.json : []).find((r) => r.path === new URL(signl4.url).pathname && r.body.includes(name));
  if (!alert?.json) {
    bad(`the sink has no SIGNL4 alert for ${name} at ${new URL(signl4.url).pathname}`);
    return;
  }
  for (const k of ['Title', 'Message', 'X-S4-ExternalID', 'X-S4-Status']) say(`  ${k.padEnd(16)} ${short(alert.json[k], 90)}`);
  good(`destination "${signl4.name}": X-S4-ExternalID is the incident name, which SIGNL4 hands back in its callbacks`);

  const url = `${stack.hostUrl}/api/incidents/${signl4.name}/callback`;
  const user = { name: 'Rene', email: 'rene@contoso.com', id: randomUUID() };
  const callback = (action: 'acknowledge' | 'close'): CallbackSpec => ({
    vendor: 'signl4',
    url,
    secret: signl4.callbackSecret as string,
    externalId: name,
    action,
    user,
  });

  step("Rene acknowledges the alert in the SIGNL4 app: SIGNL4's outbound webhook (the sink plays it) calls the bridge, secret in the URL");
  await playSignl4(stack, callback('acknowledge'), 200, 'applied');
  const active = await showIncident(stack, ca, name, signl4.name);
  if (active.properties?.status === 'Active' && active.properties.owner?.email === user.email) good('owner + Active in Sentinel');
  else bad(`expected Active with owner ${user.email}, Sentinel has ${short(active.properties, 200)}`);

  step('Rene closes the alert in SIGNL4');
  const close = await playSignl4(stack, callback('close'), 200, 'applied');
  const closed = await showIncident(stack, ca, name, signl4.name);
  const comments = (closed.comments ?? []).filter((c) => c.properties.message.includes(` in ${signl4.name}`));
  if (closed.properties?.status === 'Closed' && closed.properties.classification && comments.length === 2)
    good(`Closed as ${closed.properties.classification}, one comment per change naming "${signl4.name}"`);
  else bad(`expected Closed with a classification and 2 comments from ${signl4.name}, Sentinel has ${short(closed, 300)}`);

  step('SIGNL4 delivers the same close again (vendors retry): nothing changes twice');
  if (!close) return;
  await playSignl4(stack, { vendor: 'replay', request: close }, 202, 'duplicate');
  const again = await callEmulator<SentinelIncident>(ca, 'GET', `${stack.sentinelUrl}/_emulator/incidents/${name}`);
  if (JSON.stringify(again.json) === JSON.stringify(closed)) good('the incident is unchanged');
  else bad('the repeated close changed the incident');
}

async function main(): Promise<void> {
  console.log('Sentinel Bridge — a guided tour on the local stack');
  step('The local stack');
  let stack: DemoStack;
  try {
    stack = await demoStack(say);
  } catch (e) {
    say(`✘ ${(e as Error).message}`);
    say('(is another program using one of the default ports? each can be moved with its own variable, see the README)');
    process.exit(1);
  }
  let stopping = false;
  const interrupt = () => {
    if (stopping) return;
    stopping = true;
    void stack.stop().then(() => process.exit(130));
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  try {
    say(`host ${stack.hostUrl} · logs ingestion ${stack.logsUrl} · sentinel ${stack.sentinelUrl} · sink ${stack.sinkUrl}`);
    let ca: string;
    try {
      ca = readFileSync(stack.caFile, 'utf8');
    } catch {
      throw new Error(`the emulators' CA is not at ${stack.caFile}; is LOCAL_DATA_DIR the stack's?`);
    }
    const health = await call('GET', `${stack.hostUrl}/api/health`);
    say(`GET /api/health → ${health.status} ${short(health.text, 300)}`);
    if (health.status !== 200) bad(`health answered ${health.status}`);
    else good('healthy');

    const streams = await ingestTour(stack, ca);
    await statusTour(stack, streams);
    await incidentTour(stack, ca);
  } catch (e) {
    bad((e as Error).message);
  } finally {
    if (stack.started) {
      step('Stop the stack this tour started (SIGINT, like Ctrl-C)');
      const code = await stack.stop();
      if (code === 0) good('stopped cleanly (exit code 0)');
      else {
        bad(`the stack exited with code ${code}`);
        say(stack.output().split('\n').slice(-30).join('\n   '));
      }
    }
  }
  if (failures.length) {
    console.log(`\nThe tour found ${failures.length} problem(s):`);
    for (const f of failures) console.log(`- ${f}`);
    if (stack.started) console.log(`\nLast lines of the stack's output:\n${stack.output().split('\n').slice(-40).join('\n')}`);
    process.exit(1);
  }
  console.log(
    '\nTour complete: events in → packed on the queue → delivered to Log Analytics (emulated); incidents out to the destinations and, from SIGNL4, back into Sentinel.',
  );
  process.exit(0);
}

await main();
