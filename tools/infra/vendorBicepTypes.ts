// Vendors the Bicep type definitions of the resource types infra/ uses, stripped to what tools/infra/bicepTypes.ts
// checks: the type graph reachable from each resource body, without descriptions, one shared and de-duplicated type
// list. Two sources, each its own file: Azure's from a checkout of Azure/bicep-types-az
// (generated/<provider>/<namespace>/<apiVersion>/types.json), Microsoft Graph's (Microsoft.Graph/*, the Bicep extension)
// from microsoftgraph/msgraph-bicep-types (generated/microsoftgraph/microsoft.graph/<apiVersion>/<release>/types.json,
// the release infra/bicepconfig.json pins). Reproducible: the same checkout and the same infra/ give the same bytes.
//
//   npx tsx tools/infra/vendorBicepTypes.ts <git dir of bicep-types-az> [commit]
//   npx tsx tools/infra/vendorBicepTypes.ts --graph <git dir of msgraph-bicep-types> [commit]
//
// Reads the git objects directly (git ls-tree / git show), so a bare clone is enough; generated/index.json is not
// needed (it is over 4 MB). Writes test/infra/bicep-types/types.json or microsoftgraph.json.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { allResources } from './bicep.js';
import { BICEP_TYPES_FILE, GRAPH_TYPES_FILE, isGraphType, type VendoredType, type VendoredTypes } from './bicepTypes.js';
import { bicepExtensions, loadProject } from './check.js';
import { REPO_ROOT } from './generate.js';

type Ref = { $ref: string };
type Raw = Record<string, unknown> & { $type: string };

const index = (r: unknown) => Number((r as Ref).$ref.replace('#/', ''));

/** `Microsoft.Web/sites@2024-04-01` for every resource of infra/ (nested ones inherit the parent's apiVersion). */
export async function usedResourceTypes(): Promise<string[]> {
  const project = await loadProject();
  return [...new Set(allResources(project).map((r) => `${r.type}@${r.apiVersion}`))].sort();
}

/** Copies the reachable part of `raw` from `start` into `out`, returning its index there (identical types shared). */
function copier(raw: Raw[], out: VendoredType[]) {
  const byJson = new Map<string, number>();
  const done = new Map<number, number>();
  const copy = (i: number): number => {
    const known = done.get(i);
    if (known !== undefined) return known;
    const t = raw[i] as Raw;
    // Reserve the slot first: object graphs are cyclic.
    const slot = out.length;
    out.push({ $type: t.$type });
    done.set(i, slot);
    let entry: VendoredType;
    switch (t.$type) {
      case 'ObjectType': {
        const props = t.properties as Record<string, { type: Ref; flags?: number }>;
        entry = {
          $type: 'ObjectType',
          name: t.name as string,
          properties: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, { type: copy(index(v.type)), flags: v.flags ?? 0 }])),
          ...(t.additionalProperties ? { additionalProperties: copy(index(t.additionalProperties)) } : {}),
        };
        break;
      }
      case 'DiscriminatedObjectType': {
        const base = t.baseProperties as Record<string, { type: Ref; flags?: number }>;
        entry = {
          $type: 'DiscriminatedObjectType',
          name: t.name as string,
          discriminator: t.discriminator as string,
          baseProperties: Object.fromEntries(Object.entries(base).map(([k, v]) => [k, { type: copy(index(v.type)), flags: v.flags ?? 0 }])),
          variants: Object.fromEntries(Object.entries(t.elements as Record<string, Ref>).map(([k, v]) => [k, copy(index(v))])),
        };
        break;
      }
      case 'ArrayType':
        entry = { $type: 'ArrayType', itemType: copy(index(t.itemType)) };
        break;
      case 'UnionType':
        entry = { $type: 'UnionType', elements: (t.elements as Ref[]).map((e) => copy(index(e))) };
        break;
      case 'StringLiteralType':
        entry = { $type: 'StringLiteralType', value: t.value as string };
        break;
      default:
        entry = { $type: t.$type };
    }
    // Leaf types repeat a lot: share them (objects keep their own slot, their identity matters for cycles).
    const key = entry.$type === 'ObjectType' || entry.$type === 'DiscriminatedObjectType' ? undefined : JSON.stringify(entry);
    const same = key === undefined ? undefined : byJson.get(key);
    if (same !== undefined && slot === out.length - 1) {
      out.pop();
      done.set(i, same);
      return same;
    }
    if (key !== undefined) byJson.set(key, slot);
    out[slot] = entry;
    return slot;
  };
  return copy;
}

/** Where a type's definitions are in a checkout: its candidate types.json files, in order. */
type FileFinder = (name: string, typeFiles: readonly string[]) => string[];

/** Azure/bicep-types-az: generated/<provider>/<namespace>/<apiVersion>/types.json. */
const azureFiles: FileFinder = (name, typeFiles) => {
  const [type = '', apiVersion = ''] = name.split('@');
  const namespace = type.split('/')[0]?.toLowerCase();
  return typeFiles.filter((f) => f.toLowerCase().endsWith(`/${namespace}/${apiVersion}/types.json`));
};

/** msgraph-bicep-types: generated/microsoftgraph/microsoft.graph/<apiVersion>/<release>/types.json. */
const graphFiles =
  (release: string): FileFinder =>
  (name) => [`generated/microsoftgraph/microsoft.graph/${name.split('@')[1]}/${release}/types.json`];

/** The Graph extension's release bicepconfig.json pins (…/microsoftgraph/v1.0:1.0.0 → 1.0.0). */
export function graphRelease(extensions: ReadonlyMap<string, string>): string | undefined {
  for (const ref of extensions.values()) {
    const m = /\/extensions\/microsoftgraph\/[^:]+:(.+)$/.exec(ref);
    if (m) return m[1];
  }
  return undefined;
}

export function vendorTypes(
  gitDir: string,
  commit: string,
  wanted: readonly string[],
  repository = 'Azure/bicep-types-az',
  filesOf: FileFinder = azureFiles,
): VendoredTypes {
  const git = (...args: string[]) => execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const sha = git('rev-parse', commit).trim();
  const typeFiles = git('ls-tree', '-r', '--name-only', sha, 'generated')
    .split('\n')
    .filter((f) => f.endsWith('/types.json'));
  const types: VendoredType[] = [];
  const resources: Record<string, number[]> = {};
  const files: Record<string, string> = {};
  for (const name of wanted) {
    for (const file of filesOf(name, typeFiles)) {
      if (!typeFiles.includes(file)) continue;
      const raw = JSON.parse(git('show', `${sha}:${file}`)) as Raw[];
      const bodies = raw.filter((t) => t.$type === 'ResourceType' && (t.name as string).toLowerCase() === name.toLowerCase());
      if (!bodies.length) continue;
      const copy = copier(raw, types);
      resources[name] = bodies.map((b) => copy(index(b.body)));
      files[name] = file;
      break;
    }
  }
  return { source: { repository, commit: sha, files }, resources, types };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const graph = args[0] === '--graph';
  const [gitDir, commit = 'HEAD'] = graph ? args.slice(1) : args;
  if (!gitDir) throw new Error('usage: tsx tools/infra/vendorBicepTypes.ts [--graph] <git dir of the types repository> [commit]');
  const used = (await usedResourceTypes()).filter((t) => isGraphType(t) === graph);
  let vendored: VendoredTypes;
  if (graph) {
    const release = graphRelease(bicepExtensions(await loadProject()));
    if (!release) throw new Error('infra/bicepconfig.json names no microsoftgraph extension');
    vendored = vendorTypes(gitDir, commit, used, 'microsoftgraph/msgraph-bicep-types', graphFiles(release));
  } else vendored = vendorTypes(gitDir, commit, used);
  const target = path.join(REPO_ROOT, graph ? GRAPH_TYPES_FILE : BICEP_TYPES_FILE);
  // One type a line: small diffs when the pin moves.
  const { types, ...head } = vendored;
  writeFileSync(
    target,
    `${JSON.stringify(head, null, 2).slice(0, -2)},\n  "types": [\n${types.map((t) => `    ${JSON.stringify(t)}`).join(',\n')}\n  ]\n}\n`,
  );
  console.log(`${target}: ${Object.keys(vendored.resources).length} resource types, ${vendored.types.length} types`);
}
