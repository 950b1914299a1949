// The import-direction rule of shared/ (README "Architecture"), as data and a check the tests run.
import { dirname, join, relative } from 'node:path';

/** Layer of each area, lowest first. Areas in one layer do not import each other. */
export const LAYERS: readonly (readonly string[])[] = [
  ['net', 'http', 'clouds', 'kql'],
  ['config'],
  ['observability', 'azure', 'storage', 'catalog'],
  ['reliability'],
  ['ingest', 'delivery', 'destinations'],
  ['callbacks'],
  ['incidents'],
  ['operations'],
  ['app'],
];

const layerOf = new Map(LAYERS.flatMap((areas, i) => areas.map((a) => [a, i] as const)));

/** The area of a file under shared/: its folder, or the file's own name for top-level modules (config.ts → config). */
export function areaOf(sharedRelative: string): string {
  const [first, ...rest] = sharedRelative.split('/');
  return rest.length ? (first as string) : (first as string).replace(/\.(ts|js)$/, '');
}

/** Relative imports of a TypeScript source (static, dynamic and type-only). */
export function importsOf(source: string): string[] {
  return [...source.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1] as string);
}

/** Every import that points up, sideways to another area of the same layer, or to an area no layer names. */
export function violations(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [file, source] of files) {
    const from = areaOf(file);
    const fromLayer = layerOf.get(from);
    if (fromLayer === undefined) {
      out.push(`${file}: area "${from}" is in no layer`);
      continue;
    }
    for (const spec of importsOf(source)) {
      const target = relative('shared', join('shared', dirname(file), spec))
        .split('\\')
        .join('/');
      if (target.startsWith('..')) {
        out.push(`${file} imports ${spec}, outside shared/`);
        continue;
      }
      const to = areaOf(target);
      if (to === from) continue;
      const toLayer = layerOf.get(to);
      if (toLayer === undefined || toLayer >= fromLayer)
        out.push(`${file} (${from}, layer ${fromLayer}) imports ${spec} (${to}, layer ${toLayer ?? '?'})`);
    }
  }
  return out;
}
