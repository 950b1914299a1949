// `npm run deploy:package` (azd runs it as the api service's prepackage hook): writes .deploy/api, the folder azd zips
// and deploys as is (azure.yaml: remoteBuild false, dist .deploy/api): the compiled app, host.json, package.json and the
// lock file, and production dependencies only (`npm ci --omit=dev`). A remote build would install devDependencies too.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The folder azure.yaml's `dist` names. */
export const STAGE_DIR = '.deploy/api';
/** What the function app needs at run time, relative to the repo root; everything else stays behind. */
export const DEPLOYED = ['dist', 'host.json', 'package.json', 'package-lock.json'] as const;
/** The install in the stage: exactly the lock file's production dependencies. */
export const PRODUCTION_INSTALL = ['ci', '--omit=dev', '--no-audit', '--no-fund'] as const;

function npm(args: readonly string[], cwd: string): void {
  // npm is npm.cmd on Windows, which only a shell runs.
  const r = spawnSync('npm', args, { cwd, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed in ${cwd} (exit ${r.status ?? r.signal})`);
}

/** Builds and stages the deployment package under `root`; returns the stage folder. */
export function stagePackage(root: string = REPO_ROOT): string {
  const stage = path.join(root, STAGE_DIR);
  // A clean build: files of sources since removed must not ride along.
  rmSync(path.join(root, 'dist'), { recursive: true, force: true });
  npm(['run', 'build'], root);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  for (const entry of DEPLOYED) {
    const from = path.join(root, entry);
    if (!existsSync(from)) throw new Error(`${entry} is missing: the package needs it`);
    cpSync(from, path.join(stage, entry), { recursive: true });
  }
  npm(PRODUCTION_INSTALL, stage);
  return stage;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(`staged the deployment package in ${stagePackage()}`);
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 1;
  }
}
