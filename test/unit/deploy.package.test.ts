// What keeps deploys lean and deterministic: azd deploys the staged package (production dependencies only) as is, the
// ignore file agrees with it, npm's install-script decision is committed, @types/node follows the Azure runtime, and the
// preprovision hook passes the workspace settings main.parameters.json defines.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEPLOYED, PRODUCTION_INSTALL, REPO_ROOT, STAGE_DIR } from '../../tools/deploy/stage.js';

const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8');
// biome-ignore lint/suspicious/noExplicitAny: azure.yaml is asserted key by key
const azureYaml: any = parse(read('azure.yaml'));
const pkg = JSON.parse(read('package.json')) as {
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};
const lock = JSON.parse(read('package-lock.json')) as {
  packages: Record<string, { dev?: boolean; hasInstallScript?: boolean; os?: string[]; cpu?: string[] }>;
};

/** The simple patterns our ignore files use: a name, `name/`, `prefix*`, `*suffix`, `pre*fix`. */
function patterns(file: string): RegExp[] {
  return read(file)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map(
      (l) =>
        new RegExp(
          `^${l
            .replace(/\/$/, '')
            .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '.*')}$`,
        ),
    );
}
const matches = (list: RegExp[], name: string) => list.some((re) => re.test(name));

describe('the deployment package', () => {
  it('is built here and deployed as is: remoteBuild false, dist the stage folder, staged before azd packages', () => {
    const api = azureYaml.services.api;
    expect(api).toMatchObject({ language: 'ts', host: 'function', remoteBuild: false, dist: STAGE_DIR });
    for (const os of ['posix', 'windows']) expect(api.hooks.prepackage[os].run).toBe('npm run deploy:package');
    expect(pkg.scripts['deploy:package']).toBe('tsx tools/deploy/stage.ts');
  });

  it('holds production dependencies only, installed exactly from the lock file', () => {
    expect(PRODUCTION_INSTALL.slice(0, 2)).toEqual(['ci', '--omit=dev']);
    expect(DEPLOYED).toContain('package-lock.json');
  });

  it('runs wherever it was built: no production dependency has native code or an install script', () => {
    const platformBound = Object.entries(lock.packages)
      .filter(([where, p]) => where !== '' && !p.dev && (p.hasInstallScript || p.os || p.cpu))
      .map(([where]) => where);
    expect(platformBound).toEqual([]);
  });

  it('agrees with .funcignore: node_modules and what the stage copies are kept, every other top-level entry is left out', () => {
    const ignored = patterns('.funcignore');
    // azd refuses remoteBuild false while .funcignore excludes node_modules (resolveFunctionAppRemoteBuild in azure-dev).
    expect(matches(ignored, 'node_modules')).toBe(false);
    for (const entry of DEPLOYED) expect(matches(ignored, entry), entry).toBe(false);
    const untracked = patterns('.gitignore');
    // azd never zips the ignore file itself (createDeployableZip in azure-dev).
    const topLevel = readdirSync(REPO_ROOT).filter((name) => !['.git', '.funcignore'].includes(name) && !matches(untracked, name));
    const undecided = topLevel.filter((name) => !(DEPLOYED as readonly string[]).includes(name) && !matches(ignored, name));
    expect(undecided).toEqual([]);
  });
});

describe('npm', () => {
  it('allowScripts decides exactly the packages that have install scripts', () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([where]) => where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(Object.keys(pkg.allowScripts ?? {}).sort()).toEqual([...new Set(withScripts)].sort());
  });

  it('types Node as the Azure runtime the Bicep deploys', () => {
    const nodeVersion = /param nodeVersion string = '(\d+)'/.exec(read('infra/main.bicep'))?.[1];
    expect(nodeVersion).toBeDefined();
    expect(pkg.devDependencies['@types/node']).toMatch(new RegExp(`^\\^${nodeVersion}\\.`));
  });
});

describe('the preprovision hook', () => {
  const parameters = JSON.parse(read('infra/main.parameters.json')).parameters as Record<string, { value: string }>;
  const envOf = (param: string) => /^\$\{(\w+)/.exec(parameters[param]?.value ?? '')?.[1];

  it('passes the existing-workspace and Wallarm table settings main.parameters.json reads', () => {
    const names = ['existingWorkspaceResourceId', 'wallarmTableMode', 'wallarmTable'].map(envOf);
    expect(names).toEqual(['SENTINEL_BRIDGE_WORKSPACE_ID', 'SENTINEL_BRIDGE_WALLARM_TABLE_MODE', 'SENTINEL_BRIDGE_WALLARM_TABLE']);
    for (const os of ['posix', 'windows']) {
      const hook = azureYaml.hooks.preprovision[os];
      expect(hook.run).toContain('npm run infra:generate -- --check');
      expect(hook.run).toContain('npm run tables:migrate --');
      for (const name of [...names, 'SENTINEL_BRIDGE_MIGRATE_CLASSIC_TABLES']) expect(hook.run).toContain(name as string);
      // Bound to the terminal, so the migration can ask.
      expect(hook.interactive).toBe(true);
    }
    expect(pkg.scripts['tables:migrate']).toBe('tsx tools/migrate/classicTables.ts');
  });
});
