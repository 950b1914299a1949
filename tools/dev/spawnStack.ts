// `npm start`'s entry point as a child process: used by the e2e tests and the demo. Resolves once the stack printed
// that it is ready; stop() sends SIGINT like Ctrl-C and resolves with the exit code.
import { spawn } from 'node:child_process';

export interface SpawnedStack {
  output(): string;
  stop(): Promise<number | null>;
}

export async function spawnLocalStack(env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<SpawnedStack> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tools/dev/start.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the local stack did not start within ${timeoutMs / 1000} s:\n${out}`)), timeoutMs);
    child.stdout.on('data', () => {
      if (out.includes('Ctrl-C stops everything')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the local stack exited with code ${code} while starting:\n${out}`));
    });
  });
  return {
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}
