// The stack the tour runs against: one already answering on the host port (a user's `npm start`), else `npm start`'s
// entry point (tools/dev/start.ts) as a child process on the default ports, stopped with SIGINT like Ctrl-C.
import { join } from 'node:path';
import { devSettings } from '../dev/settings.js';
import { spawnLocalStack } from '../dev/spawnStack.js';

export interface DemoStack {
  hostUrl: string;
  logsUrl: string;
  sentinelUrl: string;
  sinkUrl: string;
  caFile: string;
  /** True when this run started the stack (and so stops it). */
  started: boolean;
  /** What the started stack printed (empty when it was already running). */
  output(): string;
  /** SIGINT to a stack this run started; resolves with its exit code (null when it was already running). */
  stop(): Promise<number | null>;
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

export async function demoStack(onStart: (message: string) => void): Promise<DemoStack> {
  const dev = devSettings();
  const urls = {
    hostUrl: `http://127.0.0.1:${dev.HOST_PORT}`,
    logsUrl: `https://127.0.0.1:${dev.LOGS_INGESTION_EMULATOR_PORT}`,
    sentinelUrl: `https://127.0.0.1:${dev.SENTINEL_EMULATOR_PORT}`,
    sinkUrl: `http://127.0.0.1:${dev.SINK_PORT}`,
    caFile: join(dev.LOCAL_DATA_DIR, 'emulator-ca.pem'),
  };
  if (await answers(`${urls.hostUrl}/api/health`)) {
    onStart(`a local stack already answers on ${urls.hostUrl}: using it (it keeps running afterwards)`);
    return { ...urls, started: false, output: () => '', stop: async () => null };
  }

  onStart(`no stack on ${urls.hostUrl}: starting one (tsx tools/dev/start.ts, default ports, data in ${dev.LOCAL_DATA_DIR}/)`);
  const stack = await spawnLocalStack({ LOG_LEVEL: 'warn', ...process.env });
  return {
    ...urls,
    started: true,
    output: stack.output,
    stop: stack.stop,
  };
}
