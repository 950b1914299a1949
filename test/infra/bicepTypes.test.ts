// Every resource in infra/ against Microsoft's published Bicep types (the pinned subsets in test/infra/bicep-types, Azure's
// and the Microsoft Graph extension's):
// the type@apiVersion exists, every property set exists, none is read-only, literal values fit. Each kind of mistake
// is also shown failing on a mutated copy of the Bicep.
import { beforeAll, describe, expect, it } from 'vitest';
import { checkTypes, isGraphType, readVendoredTypes, registryModules, type VendoredTypes } from '../../tools/infra/bicepTypes.js';
import { bicepExtensions, loadProject, readInfraFiles } from '../../tools/infra/check.js';
import { REPO_ROOT } from '../../tools/infra/generate.js';
import { graphRelease, usedResourceTypes } from '../../tools/infra/vendorBicepTypes.js';

let files: Record<string, string>;
let vendored: VendoredTypes[];
let azure: VendoredTypes;
let graph: VendoredTypes;

beforeAll(() => {
  files = readInfraFiles();
  vendored = readVendoredTypes(REPO_ROOT);
  [azure, graph] = vendored as [VendoredTypes, VendoredTypes];
});

/** Problems after replacing `from` (which must be there) by `to` in `file`. */
async function typeProblems(file: string, from: string, to: string): Promise<string[]> {
  expect(files[file]).toContain(from);
  const project = await loadProject({ ...files, [file]: (files[file] as string).replace(from, to) });
  return checkTypes(project, vendored).map((p) => `${p.at}: ${p.message}`);
}

describe('Bicep against the published types', () => {
  it('the vendored subset is pinned and holds exactly the resource types infra/ uses', async () => {
    expect(azure.source.repository).toBe('Azure/bicep-types-az');
    expect(azure.source.commit).toMatch(/^[0-9a-f]{40}$/);
    const used = await usedResourceTypes();
    expect(Object.keys(azure.resources).sort()).toEqual(used.filter((t) => !isGraphType(t)));
    for (const file of Object.values(azure.source.files))
      expect(file).toMatch(/^generated\/[^/]+\/microsoft\.[a-z]+\/[\w-]+\/types\.json$/);
    expect(graph.source.repository).toBe('microsoftgraph/msgraph-bicep-types');
    expect(graph.source.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(Object.keys(graph.resources).sort()).toEqual(used.filter(isGraphType));
  });

  it('the Graph types are those of the extension release bicepconfig.json pins', async () => {
    const release = graphRelease(bicepExtensions(await loadProject(files)));
    expect(release).toMatch(/^\d+\.\d+\.\d+$/);
    for (const [name, file] of Object.entries(graph.source.files))
      expect(file).toBe(`generated/microsoftgraph/microsoft.graph/${name.split('@')[1]}/${release}/types.json`);
  });

  it('every resource, property and literal of infra/ fits its type', async () => {
    expect(checkTypes(await loadProject(files), vendored)).toEqual([]);
  });

  it('fails on an apiVersion the types do not have', async () => {
    const found = await typeProblems(
      'infra/modules/keyvault.bicep',
      "'Microsoft.KeyVault/vaults@2023-07-01' = {",
      "'Microsoft.KeyVault/vaults@2099-01-01' = {",
    );
    expect(
      found.some((p) =>
        /^infra\/modules\/keyvault\.bicep:\d+:\d+: Microsoft\.KeyVault\/vaults@2099-01-01 is not in test\/infra\/bicep-types\/types\.json/.test(
          p,
        ),
      ),
    ).toBe(true);
  });

  it('fails on a misspelled property, deep in arrays and dictionaries too', async () => {
    expect(await typeProblems('infra/modules/function-app.bicep', 'httpsOnly: true', 'httpOnly: true')).toEqual([
      expect.stringMatching(
        /^infra\/modules\/function-app\.bicep:\d+:\d+: Microsoft\.Web\/sites@2024-04-01: properties\.httpOnly is not a property of SiteProperties \(it has .*httpsOnly/,
      ),
    ]);
    expect(
      await typeProblems('infra/modules/ingestion.bicep', "          category: 'LogErrors'\n", "          categry: 'LogErrors'\n"),
    ).toEqual([
      expect.stringContaining(
        'Microsoft.Insights/diagnosticSettings@2021-05-01-preview: properties.logs[].categry is not a property of LogSettings',
      ),
    ]);
    const flow = await typeProblems('infra/modules/ingestion.bicep', 'transformKql: s.transformKql', 'transform: s.transformKql');
    expect(flow).toEqual([expect.stringContaining('properties.dataFlows[].transform is not a property of DataFlow')]);
  });

  it('fails when a read-only property is set, a required one is missing, or a literal has the wrong type', async () => {
    const readOnly = await typeProblems(
      'infra/modules/ingestion.bicep',
      '              workspaceResourceId: workspace.id\n',
      "              workspaceResourceId: workspace.id\n              workspaceId: 'x'\n",
    );
    expect(readOnly).toEqual([
      expect.stringContaining('properties.destinations.logAnalytics[].workspaceId is read-only in LogAnalyticsDestination'),
    ]);
    const required = await typeProblems(
      'infra/modules/ingestion.bicep',
      "          category: 'LogErrors'\n          enabled: true\n",
      "          category: 'LogErrors'\n",
    );
    expect(required).toEqual([expect.stringContaining('properties.logs[].enabled is required by LogSettings')]);
    const wrongType = await typeProblems('infra/modules/ingestion.bicep', '    severity: 2\n', "    severity: '2'\n");
    expect(wrongType).toEqual([
      expect.stringContaining('Microsoft.Insights/scheduledQueryRules@2023-12-01: properties.severity is "2"; the type is number'),
    ]);
  });

  it('picks the variant of a discriminated type and refuses an unknown one', async () => {
    expect(await typeProblems('infra/modules/function-app.bicep', "name: 'appsettings'", "name: 'appsetting'")).toEqual([
      expect.stringContaining("Microsoft.Web/sites/config@2024-04-01: name 'appsetting' is not one of appsettings, authsettings"),
    ]);
  });

  it('checks the Microsoft Graph extension resources against their types', async () => {
    const misspelled = await typeProblems('infra/modules/graph-roles.bicep', '    appRoleId: ', '    appRole: ');
    expect(misspelled).toEqual([
      expect.stringMatching(
        /^infra\/modules\/graph-roles\.bicep:\d+:\d+: Microsoft\.Graph\/appRoleAssignedTo@v1\.0: appRole is not a property of Microsoft\.Graph\/appRoleAssignedTo \(it has .*appRoleId/,
      ),
      expect.stringContaining('Microsoft.Graph/appRoleAssignedTo@v1.0: appRoleId is required by Microsoft.Graph/appRoleAssignedTo'),
    ]);
    const readOnly = await typeProblems(
      'infra/modules/graph-roles.bicep',
      '    principalId: principalId\n',
      "    principalId: principalId\n    principalType: 'ServicePrincipal'\n",
    );
    expect(readOnly).toEqual([expect.stringContaining('principalType is read-only in Microsoft.Graph/appRoleAssignedTo')]);
    const version = await typeProblems('infra/modules/graph-roles.bicep', "appRoleAssignedTo@v1.0' = [", "appRoleAssignedTo@beta' = [");
    expect(version).toContainEqual(
      expect.stringMatching(/Microsoft\.Graph\/appRoleAssignedTo@beta is not in test\/infra\/bicep-types\/microsoftgraph\.json/),
    );
  });

  it('lists the registry modules it cannot check offline', async () => {
    expect(registryModules(await loadProject(files))).toEqual([
      'br/public:avm/res/insights/component:0.6.0',
      'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1',
      'br/public:avm/res/operational-insights/workspace:0.11.1',
      'br/public:avm/res/web/serverfarm:0.1.1',
    ]);
  });
});
