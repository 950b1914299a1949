// Starts Azurite (the npm package) as a child process on loopback. Used by `npm start` and by the tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import { dirname, join } from 'node:path';

export interface AzuritePorts {
  blob: number;
  queue: number;
  table: number;
}

export interface RunningAzurite {
  ports: AzuritePorts;
  connectionString: string;
  /** The Azurite process id (tests freeze storage with SIGSTOP / SIGCONT). */
  pid: number;
  /** SIGTERM, so Azurite saves its last writes; resolves when it has exited. */
  stop(): Promise<void>;
}

const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function connectionStringFor(ports: AzuritePorts, host = '127.0.0.1'): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${ACCOUNT}`,
    `AccountKey=${KEY}`,
    `BlobEndpoint=http://${host}:${ports.blob}/${ACCOUNT}`,
    `QueueEndpoint=http://${host}:${ports.queue}/${ACCOUNT}`,
    `TableEndpoint=http://${host}:${ports.table}/${ACCOUNT}`,
  ].join(';');
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`Azurite exited with code ${child.exitCode}`));
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`Azurite did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export interface AzuriteOptions {
  location: string;
  ports?: Partial<AzuritePorts>;
  silent?: boolean;
}

/**
 * Starts Azurite. Ports not given are picked free; should one be taken in the moment between picking and binding
 * (parallel test files), Azurite exits and is started again on fresh ports.
 */
export async function startAzurite(options: AzuriteOptions): Promise<RunningAzurite> {
  const fixed = options.ports?.blob !== undefined && options.ports.queue !== undefined && options.ports.table !== undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (e) {
      if (fixed || attempt >= 3) throw e;
    }
  }
}

async function startOnce(options: AzuriteOptions): Promise<RunningAzurite> {
  const ports: AzuritePorts = {
    blob: options.ports?.blob ?? (await freePort()),
    queue: options.ports?.queue ?? (await freePort()),
    table: options.ports?.table ?? (await freePort()),
  };
  await mkdir(options.location, { recursive: true });
  const bin = join(dirname(createRequire(import.meta.url).resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
  // biome-ignore format: one flag per line reads better
  const args = [
    bin,
    '--blobHost', '127.0.0.1', '--blobPort', String(ports.blob),
    '--queueHost', '127.0.0.1', '--queuePort', String(ports.queue),
    '--tableHost', '127.0.0.1', '--tablePort', String(ports.table),
    '--location', options.location,
    '--disableTelemetry', '--skipApiVersionCheck', '--silent',
  ];
  const child = spawn(process.execPath, args, { stdio: options.silent === false ? 'inherit' : ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await Promise.all([
      waitForPort(ports.blob, child, 15_000),
      waitForPort(ports.queue, child, 15_000),
      waitForPort(ports.table, child, 15_000),
    ]);
  } catch (e) {
    child.kill('SIGTERM');
    await exited;
    throw new Error(`${(e as Error).message}${stderr ? `: ${stderr.trim().slice(0, 500)}` : ''}`);
  }
  return {
    ports,
    connectionString: connectionStringFor(ports),
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
