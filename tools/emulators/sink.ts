// Destination sink: stands in for SIGNL4, Teams, Slack, PagerDuty and generic webhooks. HTTP and, with `tls`, HTTPS
// on the same loopback port (Slack's response_url is https only); any path and method answers 200 {"ok":true}
// unless a fault is queued (POST /_emulator/faults). Every request is kept at GET /_emulator/received as
// {method, path, headers, body, json?} with the body exactly as received (signatures are verified on it);
// DELETE /_emulator/received resets. The log lives in memory only.
// As the vendor: POST /_emulator/play {vendor: signl4|pagerduty|slack, url, <secret>, action, …} (vendorCallbacks.ts'
// builder options) sends that vendor's callback, built and signed as the vendor does, and answers
// {sent, answer: {status, json | text}}; {vendor: "replay", request: <sent>} delivers the same request again. 400
// names a bad field, 502 when the URL does not answer. `sent` holds the secret it was given (a local tool).
import { type EmulatorRequest, type Reply, type RunningEmulator, reply, startEmulator } from './server.js';
import type { EmulatorTls } from './tls.js';
import { callbackSpecSchema, playCallback, vendorCallback } from './vendorCallbacks.js';

export interface SinkOptions {
  port: number;
  host?: string;
  /** Serve HTTPS too, on the same port (the emulators' certificate). */
  tls?: EmulatorTls;
}

async function play(req: EmulatorRequest): Promise<Reply> {
  if (req.method !== 'POST') return reply(405, { error: 'POST a callback spec' });
  let raw: unknown;
  try {
    raw = JSON.parse(req.body.toString('utf8'));
  } catch {
    return reply(400, { error: 'body must be JSON: {vendor, url, secret…, action, …}' });
  }
  const spec = callbackSpecSchema.safeParse(raw);
  if (!spec.success) {
    const issue = spec.error.issues[0];
    return reply(400, { error: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` });
  }
  const request = vendorCallback(spec.data);
  try {
    const { status, json, text } = await playCallback(request);
    return reply(200, { sent: request, answer: { status, ...(json === undefined ? { text } : { json }) } });
  } catch (e) {
    return reply(502, { sent: request, error: `no answer from ${new URL(request.url).origin}: ${(e as Error).message}` });
  }
}

export function startSink(options: SinkOptions): Promise<RunningEmulator> {
  return startEmulator({
    name: 'sink',
    port: options.port,
    ...(options.host ? { host: options.host } : {}),
    ...(options.tls ? { tls: options.tls, plainToo: true } : {}),
    keepReceived: true,
    handle: () => reply(200, { ok: true }),
    inspect: (req, path) => (path === 'play' ? play(req) : undefined),
  });
}
