// Every .bicep file parses with the real Bicep grammar (tree-sitter-bicep, wasm), and a syntax error fails.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bicepParser,
  declarations,
  modules,
  objectEntries,
  type Project,
  parseProject,
  property,
  resources,
  stringValue,
} from '../../tools/infra/bicep.js';
import { checkSyntax, readInfraFiles } from '../../tools/infra/check.js';

let files: Record<string, string>;
let project: Project;
const parse = async (extra: Record<string, string>) => parseProject(await bicepParser(), extra);

beforeAll(async () => {
  files = readInfraFiles();
  project = parseProject(await bicepParser(), files);
});

describe('Bicep syntax', () => {
  it('finds main.bicep and the modules', () => {
    expect([...project.bicep.keys()].sort()).toEqual([
      'infra/main.bicep',
      'infra/modules/function-app.bicep',
      'infra/modules/graph-roles.bicep',
      'infra/modules/ingestion.bicep',
      'infra/modules/keyvault.bicep',
      'infra/modules/rbac.bicep',
      'infra/modules/sentinel-content.bicep',
      'infra/modules/storage.bicep',
    ]);
  });

  it('every .bicep file is valid Bicep', () => {
    expect(checkSyntax(project)).toEqual([]);
  });

  it('reports where a file stops being valid Bicep', async () => {
    const broken = files['infra/modules/storage.bicep']?.replace("  kind: 'StorageV2'\n", "  kind: 'StorageV2\n") as string;
    const problems = checkSyntax(await parse({ 'infra/modules/storage.bicep': broken }));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]?.message).toMatch(/^infra\/modules\/storage\.bicep:\d+:\d+: syntax error/);

    const unclosed = checkSyntax(await parse({ 'infra/x.bicep': "var a = {\n  b: 'c'\n" }));
    expect(unclosed.map((p) => p.message)).toEqual(['infra/x.bicep:2:9: syntax error: missing }']);
  });

  it('takes `extension <alias>` (newer than the grammar) at the top level only', async () => {
    const ok = await parse({ 'infra/x.bicep': "extension microsoftGraphV1\n\nparam a string = 'b'\n" });
    expect(checkSyntax(ok)).toEqual([]);
    const nested = await parse({ 'infra/x.bicep': 'var a = {\n  extension microsoftGraphV1\n}\n' });
    expect(checkSyntax(nested).length).toBeGreaterThan(0);
    const twoWords = await parse({ 'infra/x.bicep': 'extension microsoft graph\n' });
    expect(checkSyntax(twoWords).length).toBeGreaterThan(0);
  });
});

describe('parse-tree helpers', () => {
  it('read declarations, resources with nested types, modules and object keys', async () => {
    const p = await parse({
      'infra/a.bicep': [
        "@description('d')",
        "param name string = 'x\\'y'",
        "var settings = union({ A: 1 }, cond ? { B: 'b' } : {}, other)",
        'var other = { C: true }',
        "resource site 'Microsoft.Web/sites@2024-04-01' = {",
        '  name: name',
        "  resource cfg 'config' = {",
        "    name: 'appsettings'",
        '    properties: settings',
        '  }',
        '}',
        "module m 'modules/b.bicep' = if (true) {",
        "  name: 'm'",
        '}',
      ].join('\n'),
    });
    const file = p.bicep.get('infra/a.bicep');
    if (!file) throw new Error('not parsed');
    expect(declarations(file).map((d) => `${d.kind} ${d.name}`)).toEqual([
      'param name',
      'var settings',
      'var other',
      'resource site',
      'module m',
    ]);
    expect(declarations(file)[0]?.decorators.map((d) => d.text)).toEqual(["@description('d')"]);
    expect(resources(file).map((r) => r.type)).toEqual(['Microsoft.Web/sites', 'Microsoft.Web/sites/config']);
    expect(modules(file).map((m) => [m.target, m.body?.condition?.text])).toEqual([['infra/modules/b.bicep', 'true']]);
    const cfg = resources(file)[1];
    const entries = objectEntries(p, { file, node: property(cfg?.body?.object, 'properties') as never });
    expect([...entries.keys()]).toEqual(['A', 'B', 'C']);
    const param = declarations(file)[0]?.node.namedChildren.find((c) => c.type === 'string');
    expect(stringValue(param)).toBe("x'y");
  });
});
