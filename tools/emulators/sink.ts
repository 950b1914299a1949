// Destination sink: stands in for SIGNL4, Teams, Slack, PagerDuty and generic webhooks. HTTP and, with `tls`, HTTPS
// on the same loopback port (Slack's response_url is https only); any path and method answers 200 {"ok":true}
// unless a fault is queued (POST /_emulator/faults). Every request is kept at GET /_emulator/received as
// {method, path, headers, body, json?} with the body exactly as received (signatures are verified on it);
// DELETE /_emulator/received resets. The log lives in memory only.
import { type RunningEmulator, reply, startEmulator } from './server.js';
import type { EmulatorTls } from './tls.js';

export interface SinkOptions {
  port: number;
  host?: string;
  /** Serve HTTPS too, on the same port (the emulators' certificate). */
  tls?: EmulatorTls;
}

export function startSink(options: SinkOptions): Promise<RunningEmulator> {
  return startEmulator({
    name: 'sink',
    port: options.port,
    ...(options.host ? { host: options.host } : {}),
    ...(options.tls ? { tls: options.tls, plainToo: true } : {}),
    keepReceived: true,
    handle: () => reply(200, { ok: true }),
  });
}
