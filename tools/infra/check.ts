// Consistency checks of the deployment, on the Bicep parse tree (not regexes): syntax, referenced files, the generated
// JSON against the catalog, tables and DCRs, role assignments, identity-only storage, the function app, app settings
// against shared/config.ts, Key Vault, outputs, the Sentinel content and Microsoft's Bicep types (bicepTypes.ts). Each check returns problems as
// sentences a person can act on; an empty list means the deployment is consistent.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Node } from 'web-tree-sitter';
import type { z } from 'zod';
import { SETTINGS } from '../../shared/config.js';
import { type ArmOperation, SENTINEL_OPERATIONS, WORKSPACE_QUERY_OPERATIONS } from '../../shared/incidents/sentinelOperations.js';
import {
  allModules,
  allResources,
  bicepParser,
  callArguments,
  callName,
  declaration,
  declarations,
  declaredValue,
  decorator,
  descendants,
  literalValue,
  loadedPath,
  objectEntries,
  type Project,
  parseProject,
  properties,
  property,
  propertyKey,
  propertyPath,
  type Ref,
  type Resource,
  resolve,
  rootIdentifiers,
  stringValue,
  syntaxErrors,
  unwrap,
  where,
} from './bicep.js';
import { checkTypes, readVendoredTypes, type VendoredTypes } from './bicepTypes.js';
import type { CatalogView } from './catalogView.js';
import { MAX_STREAMS_PER_RULE } from './dcrGroups.js';
import { REPO_ROOT, type StorageNames } from './generate.js';
import {
  armActions,
  BROAD_ROLES,
  BUILT_IN_ROLES,
  CUSTOM_INCIDENT_ROLE,
  type Principal,
  REQUIRED_ASSIGNMENTS,
  roleVariableName,
} from './roles.js';
import { WALLARM_TABLE_TOKEN } from './sentinelRules.js';

export interface Problem {
  /** Which check found it (syntax, references, generated, tables, dcrs, roles, storage, functionApp, settings, …). */
  readonly check: string;
  readonly message: string;
}

export type SettingsTable = Readonly<Record<string, { readonly schema: z.ZodType; readonly secret?: boolean }>>;

export interface CheckInputs {
  readonly project: Project;
  readonly view: CatalogView;
  readonly storage: StorageNames;
  readonly settings?: SettingsTable;
  /** Microsoft's Bicep types of the resources used (test/infra/bicep-types). */
  readonly types?: VendoredTypes;
}

export const MAIN = 'infra/main.bicep';
export const GENERATED = {
  tables: 'infra/generated/tables.json',
  dcrs: 'infra/generated/dcrs.json',
  storage: 'infra/generated/storage.json',
  rules: 'infra/generated/sentinel-rules.json',
} as const;
export const WORKBOOK = 'infra/sentinel/workbook.json';

/** Settings the Functions host reads (not the app): allowed besides SETTINGS. */
export const HOST_SETTINGS: Readonly<Record<string, string>> = {};

/** SETTINGS the Bicep deliberately leaves unset, and why. */
export const DELIBERATELY_OPTIONAL: Readonly<Record<string, string>> = {
  AzureWebJobsStorage: 'a connection string, for Azurite only; Azure uses the identity-based AzureWebJobsStorage__* settings',
  GRAPH_ENDPOINT:
    "its default follows AZURE_CLOUD (shared/clouds.ts); set it by hand only for a Graph the table lacks (DoD's dod-graph.microsoft.us)",
  EMULATOR_CA_FILE: "the local emulators' CA, local only",
};

/** App settings Flex Consumption rejects or ignores (runtime and deployment are functionAppConfig there). */
export const FLEX_REJECTED_SETTINGS: readonly string[] = [
  'FUNCTIONS_EXTENSION_VERSION',
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_WORKER_RUNTIME_VERSION',
  'FUNCTIONS_MAX_HTTP_CONCURRENCY',
  'FUNCTIONS_WORKER_PROCESS_COUNT',
  'FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'ENABLE_ORYX_BUILD',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTOVERVNET',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_SKIP_CONTENTSHARE_VALIDATION',
  'WEBSITE_VNET_ROUTE_ALL',
];

/** loadTextContent and loadJsonContent refuse larger files (Bicep file functions). */
export const LOAD_LIMITS: Readonly<Record<string, number>> = { loadTextContent: 131_072, loadJsonContent: 1_048_576 };

const AVM_REFERENCE = /^br\/public:avm\/(res|ptn|utl)\/[a-z0-9-]+(\/[a-z0-9-]+)*:\d+\.\d+\.\d+$/;

// ---- loading ----------------------------------------------------------------------------------------------------

/** infra/** as path → text (paths relative to the repository root). */
export function readInfraFiles(root: string = REPO_ROOT): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(path.join(root, dir))) {
      const rel = `${dir}/${name}`;
      if (statSync(path.join(root, rel)).isDirectory()) walk(rel);
      else files[rel] = readFileSync(path.join(root, rel), 'utf8');
    }
  };
  walk('infra');
  return files;
}

export async function loadProject(files: Readonly<Record<string, string>> = readInfraFiles()): Promise<Project> {
  return parseProject(await bicepParser(), files);
}

function parseJson<T = unknown>(project: Project, file: string): T | undefined {
  const text = project.files[file];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

const main = (project: Project) => project.bicep.get(MAIN);

const problem =
  (check: string) =>
  (message: string): Problem => ({ check, message });

/** A value of an expression's literal, following vars and module parameters to a parameter's default. */
function literalOf(project: Project, ref: Ref): unknown {
  for (const r of resolve(project, ref)) {
    const lit = literalValue(r.node);
    if (lit !== undefined) return lit;
    if (r.node.type === 'identifier') {
      const d = declaration(r.file, r.node.text, ['param']);
      const value = d && declaredValue(d);
      if (value) return literalValue(value);
    }
  }
  return undefined;
}

/** `X.a.b` where X is (a var holding) `loadJsonContent(file)`: the file and the property path. */
function loadedJson(project: Project, ref: Ref, depth = 0): { file: string; keys: string[] } | undefined {
  if (depth > 20) return undefined;
  const n = unwrap(ref.node);
  if (n.type === 'member_expression') {
    const object = n.childForFieldName('object');
    const prop = n.childForFieldName('property');
    const inner = object ? loadedJson(project, { file: ref.file, node: object }, depth + 1) : undefined;
    return inner && prop ? { file: inner.file, keys: [...inner.keys, prop.text] } : undefined;
  }
  if (callName(n) === 'loadJsonContent') {
    const file = loadedPath(ref.file, n);
    return file ? { file, keys: [] } : undefined;
  }
  if (n.type === 'identifier') {
    for (const r of resolve(project, { file: ref.file, node: n })) {
      if (r.file === ref.file && r.node.startIndex === n.startIndex) continue;
      const found = loadedJson(project, r, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

const loopsOver = (project: Project, r: Resource, file: string, keys: readonly string[]) => {
  const loop = r.body?.loop;
  const src = loop && loadedJson(project, { file: r.file, node: loop.iterable });
  return src?.file === file && src.keys.join('.') === keys.join('.');
};

// ---- syntax and references --------------------------------------------------------------------------------------

export function checkSyntax(project: Project): Problem[] {
  const p = problem('syntax');
  if (!project.bicep.size) return [p('no .bicep files under infra/')];
  return [...project.bicep.values()].flatMap((f) => syntaxErrors(f).map((e) => p(`${e.at}: syntax error: ${e.message}`)));
}

export function checkReferences(project: Project): Problem[] {
  const p = problem('references');
  const out: Problem[] = [];
  if (!main(project)) out.push(p(`${MAIN} is missing`));
  for (const m of allModules(project)) {
    if (m.target !== undefined) {
      const target = project.bicep.get(m.target);
      if (!(m.target in project.files))
        out.push(p(`${where(m.file, m.node)}: module ${m.symbol} uses ${m.source}, which does not exist (${m.target})`));
      else if (target) {
        // What the Bicep compiler would say: every parameter passed exists, every required one is passed.
        const declared = declarations(target).filter((d) => d.kind === 'param');
        const passed = properties(property(m.body?.object, 'params')).map(propertyKey);
        for (const name of passed)
          if (!declared.some((d) => d.name === name))
            out.push(p(`${where(m.file, m.node)}: module ${m.symbol} passes ${name}, which ${m.target} does not declare`));
        for (const d of declared)
          if (declaredValue(d) === undefined && !passed.includes(d.name))
            out.push(p(`${where(m.file, m.node)}: module ${m.symbol} does not pass ${d.name}, which ${m.target} requires`));
      }
    } else if (!AVM_REFERENCE.test(m.source)) {
      out.push(
        p(
          `${where(m.file, m.node)}: module ${m.symbol} uses ${m.source}: use an Azure Verified Module with a pinned version (br/public:avm/…:x.y.z)`,
        ),
      );
    }
  }
  for (const f of project.bicep.values()) {
    for (const call of descendants(f.root, ['call_expression'])) {
      const name = callName(call);
      if (!name?.startsWith('load')) continue;
      const target = loadedPath(f, call);
      if (target === undefined) {
        out.push(p(`${where(f, call)}: ${name} needs a literal path`));
        continue;
      }
      const text = project.files[target];
      if (text === undefined)
        out.push(p(`${where(f, call)}: ${name}('${stringValue(callArguments(call)[0])}') — ${target} does not exist`));
      else if (LOAD_LIMITS[name] !== undefined && text.length > (LOAD_LIMITS[name] as number))
        out.push(p(`${where(f, call)}: ${target} has ${text.length} characters; ${name} accepts ${LOAD_LIMITS[name]}`));
      else if (name === 'loadJsonContent') {
        try {
          JSON.parse(text);
        } catch (e) {
          out.push(p(`${target} is not valid JSON: ${(e as Error).message}`));
        }
      }
    }
  }
  return out;
}

// ---- generated JSON against the catalog --------------------------------------------------------------------------

interface GeneratedTables {
  tables: { table: string; wallarmSingle: boolean; columns: { name: string; type: string }[] }[];
}
interface GeneratedRules {
  rules: {
    name: string;
    streams: { table: string; wallarmSingle: boolean; columns: { name: string; type: string }[]; transformKql: string }[];
  }[];
}

const sameColumns = (a: readonly { name: string; type: string }[], b: readonly { name: string; type: string }[]) =>
  a.length === b.length && a.every((c, i) => c.name === b[i]?.name && c.type.toLowerCase() === b[i]?.type.toLowerCase());

export function checkGenerated(project: Project, view: CatalogView, storage: StorageNames): Problem[] {
  const p = problem('generated');
  const out: Problem[] = [];
  const regenerate = 'run npm run infra:generate';
  const tables = parseJson<GeneratedTables>(project, GENERATED.tables);
  const rules = parseJson<GeneratedRules>(project, GENERATED.dcrs);
  if (!tables?.tables) out.push(p(`${GENERATED.tables} is missing or not JSON: ${regenerate}`));
  if (!rules?.rules) out.push(p(`${GENERATED.dcrs} is missing or not JSON: ${regenerate}`));
  const streamTypes = (cols: readonly { name: string; type: string }[]) =>
    cols.map((c) => ({ name: c.name, type: c.type === 'guid' ? 'string' : c.type }));

  for (const t of view.tables) {
    if (tables?.tables) {
      const entry = tables.tables.find((x) => x.table === t.table);
      if (!entry) out.push(p(`catalog table ${t.table} has no table in ${GENERATED.tables}: ${regenerate}`));
      else {
        if (!sameColumns(entry.columns, t.columns))
          out.push(p(`columns of ${t.table} in ${GENERATED.tables} differ from the catalog: ${regenerate}`));
        if (entry.wallarmSingle !== t.wallarmSingle)
          out.push(p(`${t.table}: wallarmSingle in ${GENERATED.tables} differs from the catalog: ${regenerate}`));
      }
    }
    if (rules?.rules) {
      const holders = rules.rules.filter((r) => r.streams?.some((s) => s.table === t.table));
      if (!holders.length)
        out.push(p(`stream ${t.stream} (catalog table ${t.table}) is in no data collection rule in ${GENERATED.dcrs}: ${regenerate}`));
      if (holders.length > 1)
        out.push(
          p(
            `stream ${t.stream} is in ${holders.length} data collection rules (${holders.map((h) => h.name).join(', ')}); the app maps each stream to one`,
          ),
        );
      const s = holders[0]?.streams.find((x) => x.table === t.table);
      if (s && !sameColumns(s.columns, streamTypes(t.columns)))
        out.push(p(`stream ${t.stream} in ${GENERATED.dcrs} declares other columns than the catalog: ${regenerate}`));
      if (s && !s.transformKql) out.push(p(`stream ${t.stream} has no transformKql, so no data flow can route it`));
    }
  }
  const known = new Set(view.tables.map((t) => t.table));
  for (const x of tables?.tables ?? [])
    if (!known.has(x.table)) out.push(p(`${GENERATED.tables} declares ${x.table}, which the catalog does not have: ${regenerate}`));
  for (const r of rules?.rules ?? []) {
    if (r.streams.length > MAX_STREAMS_PER_RULE)
      out.push(
        p(
          `data collection rule ${r.name} declares ${r.streams.length} streams; a DCR allows ${MAX_STREAMS_PER_RULE} streams and data flows`,
        ),
      );
    for (const s of r.streams)
      if (!known.has(s.table))
        out.push(p(`data collection rule ${r.name} declares ${s.table}, which the catalog does not have: ${regenerate}`));
  }
  const names = new Set((rules?.rules ?? []).map((r) => r.name));
  if (names.size !== (rules?.rules ?? []).length) out.push(p(`${GENERATED.dcrs}: rule names repeat; DCR names must be unique`));

  const stored = parseJson<StorageNames>(project, GENERATED.storage);
  for (const kind of ['queues', 'tables', 'containers'] as const) {
    if (JSON.stringify(stored?.[kind]) !== JSON.stringify(storage[kind]))
      out.push(
        p(
          `${GENERATED.storage} ${kind} ${JSON.stringify(stored?.[kind])} differ from shared/storage/names.ts ${JSON.stringify(storage[kind])}: ${regenerate}`,
        ),
      );
  }
  if (!parseJson<{ rules?: unknown[] }>(project, GENERATED.rules)?.rules?.length)
    out.push(p(`${GENERATED.rules} is missing or has no rules: ${regenerate}`));
  return out;
}

// ---- tables and data collection rules -----------------------------------------------------------------------------

export function checkTables(project: Project): Problem[] {
  const p = problem('tables');
  const tables = allResources(project).filter((r) => r.type === 'Microsoft.OperationalInsights/workspaces/tables' && !r.existing);
  const looping = tables.find((r) => loopsOver(project, r, GENERATED.tables, ['tables']));
  if (!looping)
    return [
      p(
        `no Microsoft.OperationalInsights/workspaces/tables resource loops over the tables of ${GENERATED.tables}: the catalog's tables would not be created`,
      ),
    ];
  const v = looping.body?.loop?.variable ?? '';
  const out: Problem[] = [];
  const name = property(looping.body?.object, 'name');
  if (!name?.text.includes(`${v}.table`)) out.push(p(`${where(looping.file, looping.node)}: the table name must come from ${v}.table`));
  const columns = propertyPath(looping.body?.object, 'properties.schema.columns');
  if (columns?.text !== `${v}.columns`)
    out.push(p(`${where(looping.file, looping.node)}: properties.schema.columns must be ${v}.columns (the catalog's columns and types)`));
  const schemaName = propertyPath(looping.body?.object, 'properties.schema.name');
  if (!schemaName || schemaName.text !== name?.text)
    out.push(p(`${where(looping.file, looping.node)}: properties.schema.name must equal the table name`));
  return out;
}

export function checkDataCollectionRules(project: Project, settings: SettingsTable = SETTINGS): Problem[] {
  const p = problem('dcrs');
  const rules = allResources(project).filter((r) => r.type === 'Microsoft.Insights/dataCollectionRules' && !r.existing);
  const dcr = rules.find((r) => loopsOver(project, r, GENERATED.dcrs, ['rules']));
  if (!dcr)
    return [p(`no Microsoft.Insights/dataCollectionRules resource loops over the rules of ${GENERATED.dcrs}: no stream could be ingested`)];
  const out: Problem[] = [];
  const at = where(dcr.file, dcr.node);
  const v = dcr.body?.loop?.variable ?? '';
  const obj = dcr.body?.object;
  if (stringValue(property(obj, 'kind')) !== 'Direct')
    out.push(p(`${at}: kind must be 'Direct' (the rule then has its own logs-ingestion endpoint; no DCE needed)`));
  const propsNode = property(obj, 'properties');
  const props = propsNode ? objectEntries(project, { file: dcr.file, node: propsNode }) : new Map<string, Ref[]>();

  const declarationsValue = props.get('streamDeclarations')?.[0]?.node;
  if (!declarationsValue) out.push(p(`${at}: properties.streamDeclarations is missing: no stream would be declared`));
  else if (callName(declarationsValue) !== 'toObject' || callArguments(declarationsValue)[0]?.text !== `${v}.streams`)
    out.push(p(`${at}: streamDeclarations must be toObject(${v}.streams, …): one declaration per generated stream`));

  const flows = props.get('dataFlows')?.[0]?.node;
  if (!flows) out.push(p(`${at}: properties.dataFlows is missing: declared streams would go nowhere`));
  else if (callName(flows) !== 'map' || callArguments(flows)[0]?.text !== `${v}.streams`)
    out.push(p(`${at}: dataFlows must be map(${v}.streams, …): one data flow per generated stream`));
  else {
    const lambda = callArguments(flows)[1];
    const flowObject = lambda?.type === 'lambda_expression' ? lambda.namedChildren[lambda.namedChildren.length - 1] : undefined;
    for (const key of ['streams', 'destinations', 'outputStream', 'transformKql'])
      if (!property(flowObject, key)) out.push(p(`${at}: each data flow needs ${key}`));
  }
  const destinations = props.get('destinations')?.[0]?.node;
  if (!property(destinations, 'logAnalytics'))
    out.push(p(`${at}: properties.destinations.logAnalytics is missing: the rule would not write to the workspace`));

  const tables = allResources(project).find((r) => r.file === dcr.file && r.type === 'Microsoft.OperationalInsights/workspaces/tables');
  const dependsOn = property(obj, 'dependsOn');
  if (tables && !dependsOn?.namedChildren.some((c) => c.text === tables.symbol))
    out.push(p(`${at}: the rules must depend on ${tables.symbol}: a DCR whose output table does not exist yet is rejected`));

  // The output the app's LOGS_INGESTION_RULES is built from: one {endpoint, ruleId, streams} per rule.
  const output = declarations(dcr.file).find((d) => d.kind === 'output' && d.name === 'rules');
  const outValue = output && declaredValue(output);
  const outBody = outValue?.type === 'for_statement' ? outValue.childForFieldName('body') : undefined;
  if (!output || !outBody)
    out.push(p(`${dcr.file.path}: needs an output "rules" with one entry per data collection rule (for LOGS_INGESTION_RULES)`));
  else {
    const endpoint = property(outBody, 'endpoint')?.text ?? '';
    const ruleId = property(outBody, 'ruleId')?.text ?? '';
    if (!endpoint.includes('properties.endpoints.logsIngestion'))
      out.push(p(`${where(dcr.file, output.node)}: endpoint must be the rule's properties.endpoints.logsIngestion (or the DCE's)`));
    if (!ruleId.includes(`${dcr.symbol}[`) || !ruleId.endsWith('properties.immutableId'))
      out.push(p(`${where(dcr.file, output.node)}: ruleId must be ${dcr.symbol}[i].properties.immutableId`));
    if (!property(outBody, 'streams')) out.push(p(`${where(dcr.file, output.node)}: each rule needs its streams`));
  }
  const mainFile = main(project);
  const settingsMap = mainFile ? appSettings(project) : undefined;
  const rulesSetting = settingsMap?.entries.get('LOGS_INGESTION_RULES')?.[0];
  const caller = allModules(project).find((m) => m.target === dcr.file.path);
  if (rulesSetting && caller && !rulesSetting.node.text.includes(`${caller.symbol}.outputs.rules`))
    out.push(p(`LOGS_INGESTION_RULES must be built from ${caller.symbol}.outputs.rules, the rules the Bicep created`));
  if (rulesSetting && output) out.push(...jsonShapeProblems(project, 'LOGS_INGESTION_RULES', rulesSetting, settings).map(p));
  return out;
}

// ---- role assignments ---------------------------------------------------------------------------------------------

export interface Assignment {
  readonly at: string;
  readonly symbol: string;
  /** The role's name: a built-in role's (BUILT_IN_ROLES), or CUSTOM_INCIDENT_ROLE for the role the Bicep defines. */
  readonly role: string | undefined;
  readonly guid: string | undefined;
  readonly variable: string | undefined;
  readonly scopeType: string | undefined;
  readonly principal: Principal | 'unknown';
  readonly principalType: string | undefined;
  readonly conditionRoots: ReadonlySet<string>;
}

function roleGuid(project: Project, r: Resource): { guid?: string; variable?: string; custom?: boolean } {
  const def = propertyPath(r.body?.object, 'properties.roleDefinitionId');
  if (!def) return {};
  const custom = def.type === 'member_expression' && def.childForFieldName('property')?.text === 'id';
  const symbol = custom ? def.childForFieldName('object')?.text : undefined;
  if (allResources(project).some((x) => x.file === r.file && x.symbol === symbol && x.type === 'Microsoft.Authorization/roleDefinitions'))
    return { custom: true };
  const idArg = callName(def) && callArguments(def).length ? callArguments(def)[callArguments(def).length - 1] : def;
  if (!idArg) return {};
  const variable =
    idArg.type === 'member_expression' ? idArg.childForFieldName('property')?.text : idArg.type === 'identifier' ? idArg.text : undefined;
  let guid: string | undefined;
  if (idArg.type === 'member_expression') {
    const object = idArg.childForFieldName('object');
    for (const o of object ? resolve(project, { file: r.file, node: object }) : []) guid ??= stringValue(property(o.node, variable ?? ''));
  } else {
    const v = literalOf(project, { file: r.file, node: idArg });
    guid = typeof v === 'string' ? v : undefined;
  }
  const match = guid?.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i);
  return { guid: match?.[0].toLowerCase(), variable };
}

export function roleAssignments(project: Project): Assignment[] {
  const all = allResources(project);
  const mainFile = main(project);
  const mainParams = new Set(mainFile ? declarations(mainFile).flatMap((d) => (d.kind === 'param' ? [d.name] : [])) : []);
  return all
    .filter((r) => r.type === 'Microsoft.Authorization/roleAssignments' && !r.existing)
    .map((r) => {
      const { guid, variable, custom } = roleGuid(project, r);
      const scope = property(r.body?.object, 'scope');
      const scopeNode = scope ? unwrap(scope) : undefined;
      const scopeSymbol = scopeNode?.type === 'subscript_expression' ? scopeNode.namedChildren[0]?.text : scopeNode?.text;
      const target = all.find((x) => x.file === r.file && x.symbol === scopeSymbol);
      const principal = propertyPath(r.body?.object, 'properties.principalId');
      const roots = principal ? [...rootIdentifiers(project, { file: r.file, node: principal })] : [];
      const origins = principal ? resolve(project, { file: r.file, node: principal }).map((x) => x.node.text) : [];
      const who: Principal | 'unknown' = origins.some((o) => /\.outputs\.principalId$/.test(o))
        ? 'app'
        : roots.length === 1 && mainParams.has(roots[0] as string)
          ? 'deployer'
          : 'unknown';
      const principalType = propertyPath(r.body?.object, 'properties.principalType');
      return {
        at: where(r.file, r.node),
        symbol: r.symbol,
        role: custom ? CUSTOM_INCIDENT_ROLE : guid ? BUILT_IN_ROLES[guid] : undefined,
        guid,
        variable,
        scopeType: target?.type,
        principal: who,
        principalType: principalType ? String(literalOf(project, { file: r.file, node: principalType }) ?? principalType.text) : undefined,
        conditionRoots: r.body?.condition ? rootIdentifiers(project, { file: r.file, node: r.body.condition }) : new Set<string>(),
      };
    });
}

/**
 * The strings an array expression holds when main.bicep's parameters have the given values: array literals, vars,
 * module parameters, concat(…) and `cond ? a : b` where cond is one of those parameters. Undefined when not literal.
 */
function stringsOf(project: Project, ref: Ref, params: Readonly<Record<string, boolean>>): string[] | undefined {
  const out: string[] = [];
  for (const r of resolve(project, ref)) {
    const n = r.node;
    if (n.type === 'array') {
      for (const item of n.namedChildren.filter((c) => c.type !== 'comment')) {
        const value = stringValue(item);
        if (value === undefined) return undefined;
        out.push(value);
      }
    } else if (callName(n) === 'concat') {
      for (const arg of callArguments(n)) {
        const part = stringsOf(project, { file: r.file, node: arg }, params);
        if (!part) return undefined;
        out.push(...part);
      }
    } else if (n.type === 'ternary_expression') {
      const condition = n.childForFieldName('condition');
      const [root, ...others] = condition ? rootIdentifiers(project, { file: r.file, node: condition }) : [];
      if (!root || others.length || !Object.hasOwn(params, root)) return undefined;
      const branch = n.childForFieldName(params[root] ? 'consequence' : 'alternative');
      const part = branch && stringsOf(project, { file: r.file, node: branch }, params);
      if (!part) return undefined;
      out.push(...part);
    } else return undefined;
  }
  return out;
}

/** The custom role's actions, for kqlEnrichment false and true: exactly what the client's operations need. */
function customRoleProblems(project: Project, operations: RoleOperations): Problem[] {
  const p = problem('roles');
  const definitions = allResources(project).filter((r) => r.type === 'Microsoft.Authorization/roleDefinitions' && !r.existing);
  if (!definitions.length) return [p(`no Microsoft.Authorization/roleDefinitions resource defines ${CUSTOM_INCIDENT_ROLE}`)];
  return definitions.flatMap((d) => {
    const permissions = propertyPath(d.body?.object, 'properties.permissions');
    const actions = propertyPath(
      permissions?.namedChildren.find((c) => c.type === 'object'),
      'actions',
    );
    return [false, true].flatMap((kqlEnrichment) => {
      const granted = actions && stringsOf(project, { file: d.file, node: actions }, { kqlEnrichment });
      if (!granted)
        return [p(`${where(d.file, d.node)}: permissions[0].actions must be a literal list (optionally joined by kqlEnrichment)`)];
      const calls = [...Object.entries(operations.sentinel), ...(kqlEnrichment ? Object.entries(operations.query) : [])];
      const needed = new Map(calls.flatMap(([name, op]) => armActions(op).map((a) => [a, `${name} (${op.method} ${op.path})`] as const)));
      const when = `with kqlEnrichment ${kqlEnrichment}`;
      return [
        ...[...needed].filter(([a]) => !granted.includes(a)).map(([a, call]) => p(`${d.symbol} lacks ${a}, which ${call} needs (${when})`)),
        ...granted.filter((a) => !needed.has(a)).map((a) => p(`${d.symbol} grants ${a}, which no operation of the client needs (${when})`)),
      ];
    });
  });
}

export interface RoleOperations {
  readonly sentinel: Readonly<Record<string, ArmOperation>>;
  readonly query: Readonly<Record<string, ArmOperation>>;
}

export const ROLE_OPERATIONS: RoleOperations = { sentinel: SENTINEL_OPERATIONS, query: WORKSPACE_QUERY_OPERATIONS };

export function checkRoles(project: Project, operations: RoleOperations = ROLE_OPERATIONS): Problem[] {
  const p = problem('roles');
  const out: Problem[] = [];
  const found = roleAssignments(project);
  for (const a of found) {
    const name = a.role;
    if (!a.guid && !name) out.push(p(`${a.at}: ${a.symbol}: roleDefinitionId is not a built-in role id the checker can read`));
    else if (!name)
      out.push(
        p(
          `${a.at}: ${a.symbol} assigns ${BROAD_ROLES[a.guid ?? ''] ?? a.guid}, which is not one of the roles this deployment may assign (least privilege)`,
        ),
      );
    else if (a.variable && a.variable !== roleVariableName(name))
      out.push(p(`${a.at}: ${a.variable} holds ${a.guid}, the id of ${name}, not of the role its name says`));
    if (!a.scopeType)
      out.push(
        p(
          `${a.at}: ${a.symbol} is not scoped to a resource of this deployment (least privilege: scope it to the one resource that needs it)`,
        ),
      );
    if (a.principal === 'app' && a.principalType !== 'ServicePrincipal')
      out.push(p(`${a.at}: ${a.symbol}: principalType must be 'ServicePrincipal' for the managed identity`));
    const required = REQUIRED_ASSIGNMENTS.find((x) => x.role === name && x.scope === a.scopeType && x.principal === a.principal);
    if (name && a.scopeType && !required)
      out.push(p(`${a.at}: unexpected role assignment: ${name} on ${a.scopeType} for the ${a.principal} identity`));
    for (const param of required?.onlyWhen ?? [])
      if (!a.conditionRoots.has(param))
        out.push(
          p(
            `${a.at}: ${name} on ${a.scopeType} must be assigned only when ${param} says so (its condition does not depend on main.bicep's ${param})`,
          ),
        );
  }
  for (const req of REQUIRED_ASSIGNMENTS) {
    const has = found.some((a) => a.role === req.role && a.scopeType === req.scope && a.principal === req.principal);
    if (!has) out.push(p(`missing role assignment: ${req.role} on ${req.scope} for the ${req.principal} identity (${req.why})`));
  }
  // Every named role variable holds the id of the role its name says.
  for (const f of project.bicep.values()) {
    const rolesVar = declaration(f, 'roles', ['var']);
    for (const prop of properties(rolesVar && declaredValue(rolesVar))) {
      const guid = stringValue(prop.namedChildren[1])?.toLowerCase();
      const expected = Object.entries(BUILT_IN_ROLES).find(([, n]) => roleVariableName(n) === propertyKey(prop))?.[0];
      if (guid && expected && guid !== expected)
        out.push(
          p(`${where(f, prop)}: roles.${propertyKey(prop)} is ${guid}; the built-in role ${BUILT_IN_ROLES[expected]} is ${expected}`),
        );
    }
  }
  return [...out, ...customRoleProblems(project, operations)];
}

// ---- storage -------------------------------------------------------------------------------------------------------

export function checkStorage(project: Project, storage: StorageNames): Problem[] {
  const p = problem('storage');
  const out: Problem[] = [];
  const accounts = allResources(project).filter((r) => r.type === 'Microsoft.Storage/storageAccounts' && !r.existing);
  if (!accounts.length) return [p('no Microsoft.Storage/storageAccounts resource')];
  for (const a of accounts) {
    const at = where(a.file, a.node);
    const props = property(a.body?.object, 'properties');
    const expect = (key: string, value: unknown, why: string) => {
      const node = property(props, key);
      if (!node || literalOf(project, { file: a.file, node }) !== value)
        out.push(p(`${at}: properties.${key} must be ${JSON.stringify(value)} (${why})`));
    };
    expect('allowSharedKeyAccess', false, 'shared key access disabled: identity only');
    expect('minimumTlsVersion', 'TLS1_2', 'TLS 1.2');
    expect('allowBlobPublicAccess', false, 'no anonymous blob access');
    const https = property(props, 'supportsHttpsTrafficOnly');
    if (https && literalValue(https) !== true) out.push(p(`${at}: supportsHttpsTrafficOnly must not be false`));
  }
  const all = allResources(project);
  const kinds = [
    ['queues', 'Microsoft.Storage/storageAccounts/queueServices/queues'],
    ['tables', 'Microsoft.Storage/storageAccounts/tableServices/tables'],
    ['containers', 'Microsoft.Storage/storageAccounts/blobServices/containers'],
  ] as const;
  for (const [kind, type] of kinds) {
    if (!storage[kind].length) continue;
    if (!all.some((r) => r.type === type && loopsOver(project, r, GENERATED.storage, [kind])))
      out.push(p(`no ${type} resource loops over ${GENERATED.storage} ${kind}: ${storage[kind].join(', ')} would not be created`));
  }
  for (const f of project.bicep.values()) {
    for (const call of descendants(f.root, ['call_expression'])) {
      const fn = call.namedChildren[0];
      const name = fn?.type === 'member_expression' ? fn.childForFieldName('property')?.text : fn?.text;
      if (name && /^list(Keys|AccountSas|ServiceSas|ConnectionStrings)$/.test(name))
        out.push(p(`${where(f, call)}: ${name}() reads keys; the app must use its managed identity`));
    }
    for (const s of descendants(f.root, ['string_content']))
      if (/AccountKey=|SharedAccessSignature=/.test(s.text))
        out.push(p(`${where(f, s)}: a storage connection string with a key; use identity-based settings`));
  }
  return out;
}

// ---- function app ------------------------------------------------------------------------------------------------

export function checkFunctionApp(project: Project): Problem[] {
  const p = problem('functionApp');
  const sites = allResources(project).filter((r) => r.type === 'Microsoft.Web/sites' && !r.existing);
  const site = sites.find((s) => (stringValue(property(s.body?.object, 'kind')) ?? '').includes('functionapp'));
  if (!site) return [p('no Microsoft.Web/sites resource of kind functionapp')];
  const out: Problem[] = [];
  const at = where(site.file, site.node);
  const obj = site.body?.object;
  const lit = (dotted: string) => {
    const n = propertyPath(obj, dotted);
    return n ? literalOf(project, { file: site.file, node: n }) : undefined;
  };
  const expect = (dotted: string, value: unknown, why: string) => {
    if (lit(dotted) !== value) out.push(p(`${at}: ${dotted} must be ${JSON.stringify(value)} (${why})`));
  };
  expect('properties.httpsOnly', true, 'HTTPS only');
  expect('properties.siteConfig.ftpsState', 'Disabled', 'FTPS disabled');
  expect('properties.siteConfig.minTlsVersion', '1.2', 'TLS 1.2');
  expect('properties.functionAppConfig.runtime.name', 'node', 'Node.js runtime');
  expect('properties.functionAppConfig.runtime.version', '22', 'Node 22: Node 20 is past end of life');
  expect('properties.functionAppConfig.deployment.storage.type', 'blobContainer', 'Flex Consumption deployment container');
  expect(
    'properties.functionAppConfig.deployment.storage.authentication.type',
    'UserAssignedIdentity',
    'the package is read with the managed identity, not a key',
  );
  expect('identity.type', 'UserAssigned', 'user-assigned managed identity');
  if (!propertyPath(obj, 'properties.keyVaultReferenceIdentity'))
    out.push(
      p(`${at}: properties.keyVaultReferenceIdentity must be the user-assigned identity, or Key Vault references resolve with none`),
    );
  const mainFile = main(project);
  const mainParams = new Set(
    mainFile
      ? declarations(mainFile)
          .filter((d) => d.kind === 'param')
          .map((d) => d.name)
      : [],
  );
  for (const key of ['instanceMemoryMB', 'maximumInstanceCount']) {
    const n = propertyPath(obj, `properties.functionAppConfig.scaleAndConcurrency.${key}`);
    const roots = n ? rootIdentifiers(project, { file: site.file, node: n }) : new Set<string>();
    if (![...roots].some((r) => mainParams.has(r)))
      out.push(p(`${at}: functionAppConfig.scaleAndConcurrency.${key} must come from a main.bicep parameter`));
  }
  const flexPlan = [...project.bicep.values()].some((f) =>
    descendants(f.root, ['object']).some(
      (o) => stringValue(property(o, 'name')) === 'FC1' && stringValue(property(o, 'tier')) === 'FlexConsumption',
    ),
  );
  if (!flexPlan) out.push(p('no plan with sku { name: FC1, tier: FlexConsumption }'));
  if (!propertyPath(obj, 'properties.serverFarmId')) out.push(p(`${at}: properties.serverFarmId must name the Flex Consumption plan`));
  return out;
}

// ---- app settings ------------------------------------------------------------------------------------------------

export interface AppSettings {
  readonly at: string;
  readonly entries: ReadonlyMap<string, Ref[]>;
}

/** The app settings the Bicep sets: the `appsettings` config resource of the site, resolved across modules. */
export function appSettings(project: Project): AppSettings | undefined {
  const config = allResources(project).find(
    (r) => r.type === 'Microsoft.Web/sites/config' && literalValue(property(r.body?.object, 'name')) === 'appsettings',
  );
  const props = config && property(config.body?.object, 'properties');
  if (!config || !props) return undefined;
  return { at: where(config.file, config.node), entries: objectEntries(project, { file: config.file, node: props }) };
}

/** A value that is a Key Vault reference: a call to a function whose body is '@Microsoft.KeyVault(…)', or such a literal. */
function isKeyVaultReference(ref: Ref): boolean {
  const n = unwrap(ref.node);
  if (n.type === 'string') return n.text.startsWith("'@Microsoft.KeyVault(");
  const name = callName(n);
  const fn = name ? declarations(ref.file).find((d) => d.kind === 'func' && d.name === name) : undefined;
  const body = fn?.node.namedChildren[fn.node.namedChildren.length - 1];
  return body?.type === 'string' && body.text.startsWith("'@Microsoft.KeyVault(");
}

/** The parameter a setting's value comes from: `param` or `string(param)`, in main.bicep. */
function sourceParam(ref: Ref) {
  let n = unwrap(ref.node);
  if (callName(n) === 'string' && callArguments(n).length === 1) n = callArguments(n)[0] as Node;
  if (n.type !== 'identifier') return undefined;
  const d = declaration(ref.file, n.text, ['param']);
  return d && ref.file.path === MAIN ? d : undefined;
}

const SAMPLE: Readonly<Record<string, unknown>> = {
  subscriptionId: '00000000-0000-0000-0000-000000000000',
  endpoint: 'https://example-a1b2.westeurope-1.ingest.monitor.azure.com',
  ruleId: 'dcr-00000000000000000000000000000000',
  streams: ['Custom-Example_CL'],
};

/** Keys of the element objects of a JSON-array setting built with string(…): array literal, for-expression, module output. */
function elementKeys(project: Project, ref: Ref, depth = 0): string[] | undefined {
  if (depth > 10) return undefined;
  for (const r of resolve(project, ref)) {
    const n = unwrap(r.node);
    if (n.type === 'array') return properties(n.namedChildren.find((c) => c.type === 'object')).map(propertyKey);
    if (n.type === 'for_statement') return properties(n.childForFieldName('body')).map(propertyKey);
    if (callName(n) === 'string') {
      const arg = callArguments(n)[0];
      if (arg) return elementKeys(project, { file: r.file, node: arg }, depth + 1);
    }
    if (n.type === 'ternary_expression') {
      for (const b of [n.childForFieldName('consequence'), n.childForFieldName('alternative')]) {
        const keys = b && elementKeys(project, { file: r.file, node: b }, depth + 1);
        if (keys?.length) return keys;
      }
    }
    const m = n.type === 'member_expression' ? /^(\w+)\.outputs\.(\w+)$/.exec(n.text) : null;
    if (m) {
      const mod = allModules(project).find((x) => x.file === r.file && x.symbol === m[1]);
      const target = mod?.target ? project.bicep.get(mod.target) : undefined;
      const output = target && declarations(target).find((d) => d.kind === 'output' && d.name === m[2]);
      const value = output && declaredValue(output);
      if (target && value) return elementKeys(project, { file: target, node: value }, depth + 1);
    }
  }
  return undefined;
}

/** A JSON-list setting built from Bicep objects parses with its schema when filled with plausible values. */
function jsonShapeProblems(project: Project, name: string, ref: Ref, settings: SettingsTable): string[] {
  const keys = elementKeys(project, ref);
  const schema = settings[name]?.schema;
  if (!keys?.length || !schema) return [];
  const sample = [Object.fromEntries(keys.map((k) => [k, SAMPLE[k] ?? 'example']))];
  const parsed = schema.safeParse(JSON.stringify(sample));
  return parsed.success
    ? []
    : [
        `${name} is built from objects with keys ${keys.join(', ')}, which shared/config.ts rejects: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      ];
}

export function checkSettings(project: Project, settings: SettingsTable = SETTINGS): Problem[] {
  const p = problem('settings');
  const found = appSettings(project);
  if (!found) return [p('no Microsoft.Web/sites/config resource named appsettings: the app would get no settings')];
  const out: Problem[] = [];
  const set = found.entries;
  for (const name of set.keys()) {
    if (FLEX_REJECTED_SETTINGS.includes(name))
      out.push(p(`sets ${name}, which Flex Consumption rejects (runtime and deployment live in functionAppConfig)`));
    else if (!(name in settings) && !(name in HOST_SETTINGS))
      out.push(p(`sets ${name}, which shared/config.ts does not read and the Functions host does not need`));
  }
  for (const name of Object.keys(settings)) {
    if (!set.has(name) && !(name in DELIBERATELY_OPTIONAL))
      out.push(
        p(`does not set ${name}, which shared/config.ts reads: set it in ${MAIN} or list it in DELIBERATELY_OPTIONAL with the reason`),
      );
  }
  if (set.has('AzureWebJobsStorage'))
    out.push(
      p('sets AzureWebJobsStorage (a connection string): in Azure storage is reached with the managed identity (AzureWebJobsStorage__*)'),
    );
  const credential = set.get('AzureWebJobsStorage__credential')?.[0];
  if (credential && literalOf(project, credential) !== 'managedidentity')
    out.push(p("AzureWebJobsStorage__credential must be 'managedidentity'"));
  const appCredential = set.get('BRIDGE_CREDENTIAL')?.[0];
  if (!appCredential || literalOf(project, appCredential) !== 'managedidentity')
    out.push(p("BRIDGE_CREDENTIAL must be 'managedidentity' (ManagedIdentityCredential, the app's identity, in Azure)"));
  for (const key of [
    'AzureWebJobsStorage__credential',
    'AzureWebJobsStorage__clientId',
    'AzureWebJobsStorage__queueServiceUri',
    'AzureWebJobsStorage__tableServiceUri',
    'AzureWebJobsStorage__blobServiceUri',
  ])
    if (!set.has(key)) out.push(p(`identity-based storage needs ${key}`));

  for (const [name, refs] of set) {
    const entry = settings[name];
    if (!entry) continue;
    for (const ref of refs) {
      if (entry.secret && !isKeyVaultReference(ref))
        out.push(p(`${where(ref.file, ref.node)}: ${name} is a secret: its value must be a Key Vault reference (kvRef)`));
      const param = sourceParam(ref);
      if (!param) continue;
      const def = declaredValue(param);
      const literal = def ? literalValue(def) : undefined;
      const fallback = entry.schema.safeParse(undefined);
      if (literal !== undefined && literal !== null && !param.decorators.some((d) => callName(d.namedChildren[0]) === 'secure')) {
        const parsed = entry.schema.safeParse(String(literal));
        if (!parsed.success)
          out.push(
            p(
              `${where(param.file, param.node)}: default ${JSON.stringify(literal)} of ${param.name} is not a valid ${name}: ${parsed.error.issues[0]?.message}`,
            ),
          );
        else if (fallback.success && fallback.data !== undefined && JSON.stringify(parsed.data) !== JSON.stringify(fallback.data))
          out.push(
            p(
              `${where(param.file, param.node)}: default ${JSON.stringify(literal)} of ${param.name} differs from ${name}'s default in shared/config.ts (${JSON.stringify(fallback.data)})`,
            ),
          );
      }
      const allowed = decorator(param, 'allowed');
      for (const v of allowed ? (callArguments(allowed)[0]?.namedChildren ?? []) : []) {
        const value = literalValue(v);
        if (value !== undefined && value !== null && !entry.schema.safeParse(String(value)).success)
          out.push(p(`${where(param.file, param.node)}: @allowed value ${JSON.stringify(value)} of ${param.name} is not a valid ${name}`));
      }
    }
  }
  const workspaces = set.get('SENTINEL_WORKSPACES')?.[0];
  if (workspaces) out.push(...jsonShapeProblems(project, 'SENTINEL_WORKSPACES', workspaces, settings).map(p));
  return out;
}

// ---- Key Vault, outputs --------------------------------------------------------------------------------

export function checkKeyVault(project: Project): Problem[] {
  const p = problem('keyVault');
  const vaults = allResources(project).filter((r) => r.type === 'Microsoft.KeyVault/vaults' && !r.existing);
  if (!vaults.length) return [p('no Microsoft.KeyVault/vaults resource for the destination secrets')];
  return vaults.flatMap((v) => {
    const props = property(v.body?.object, 'properties');
    const out: Problem[] = [];
    if (literalValue(property(props, 'enableRbacAuthorization')) !== true)
      out.push(p(`${where(v.file, v.node)}: enableRbacAuthorization must be true (Azure RBAC, no access policies)`));
    if (property(props, 'accessPolicies')) out.push(p(`${where(v.file, v.node)}: accessPolicies: use role assignments instead`));
    return out;
  });
}

export const REQUIRED_OUTPUTS: Readonly<Record<string, string | undefined>> = {
  AZURE_FUNCTION_NAME: undefined,
  SERVICE_API_NAME: undefined,
  AZURE_FUNCTION_URL: 'https://',
  SENTINEL_BRIDGE_INGEST_URL: '/api/events',
  LOGS_INGESTION_RULES: undefined,
};

export function checkOutputs(project: Project): Problem[] {
  const p = problem('outputs');
  const mainFile = main(project);
  if (!mainFile) return [];
  const outputs = declarations(mainFile).filter((d) => d.kind === 'output');
  return Object.entries(REQUIRED_OUTPUTS).flatMap(([name, mustContain]) => {
    const o = outputs.find((x) => x.name === name);
    if (!o) return [p(`${MAIN} must output ${name} (azd writes it to the environment)`)];
    const value = declaredValue(o)?.text ?? '';
    return mustContain && !value.includes(mustContain) ? [p(`${MAIN}: output ${name} must contain ${mustContain}`)] : [];
  });
}

// ---- Sentinel content ------------------------------------------------------------------------------------------------

/** Tables a KQL query names: custom tables (`*_CL`) and the tokens the Bicep replaces. */
export const kqlTables = (kql: string) => [...new Set(kql.match(/\b[A-Za-z][A-Za-z0-9_]*_CL\b/g) ?? [])];

interface WorkbookItem {
  content?: { query?: unknown; items?: WorkbookItem[] };
}

/** The queries of a workbook's items, groups (tabs) included. */
const workbookQueries = (items: readonly WorkbookItem[]): string[] =>
  items.flatMap((i) => [...(typeof i.content?.query === 'string' ? [i.content.query] : []), ...workbookQueries(i.content?.items ?? [])]);

export function checkSentinelContent(project: Project, view: CatalogView): Problem[] {
  const p = problem('sentinel');
  const out: Problem[] = [];
  const workbook = parseJson<{ items?: WorkbookItem[] }>(project, WORKBOOK);
  if (!workbook?.items) return [p(`${WORKBOOK} is missing or not a workbook`)];
  const queries = workbookQueries(workbook.items);
  const rules =
    parseJson<{ rules?: { id: string; tables: string[]; properties: { query: string } }[] }>(project, GENERATED.rules)?.rules ?? [];
  const known = new Set(view.tables.map((t) => t.table));
  const health = view.tables.find((t) => t.source === 'bridge')?.table;
  if (health && !queries.some((q) => q.includes(health))) out.push(p(`${WORKBOOK} must show delivery health from ${health}`));
  if (!queries.some((q) => q.includes('__BRIDGE_TABLES__'))) out.push(p(`${WORKBOOK} must count events per table (__BRIDGE_TABLES__)`));
  if (!queries.some((q) => q.includes('SecurityIncident'))) out.push(p(`${WORKBOOK} must show the incidents forwarded (SecurityIncident)`));
  for (const [source, kql] of [
    ...queries.map((q) => [WORKBOOK, q] as const),
    ...rules.map((r) => [`${GENERATED.rules} ${r.id}`, r.properties.query] as const),
  ]) {
    for (const t of kqlTables(kql)) if (!known.has(t)) out.push(p(`${source} queries ${t}, which the catalog does not have`));
  }
  for (const r of rules)
    if (!r.tables.includes(WALLARM_TABLE_TOKEN))
      out.push(p(`${GENERATED.rules} ${r.id} must also read the Wallarm single table (${WALLARM_TABLE_TOKEN})`));

  // Every placeholder in the content is replaced by the module that deploys it.
  const content = allResources(project).find((r) => r.type === 'Microsoft.Insights/workbooks');
  if (!content) return [...out, p('no Microsoft.Insights/workbooks resource deploys the workbook')];
  if (
    !allResources(project).some(
      (r) => r.type === 'Microsoft.SecurityInsights/alertRules' && loopsOver(project, r, GENERATED.rules, ['rules']),
    )
  )
    out.push(p(`no Microsoft.SecurityInsights/alertRules resource loops over ${GENERATED.rules}`));
  const replaced = new Set(
    descendants(content.file.root, ['call_expression'])
      .filter((c) => callName(c) === 'replace')
      .map((c) => stringValue(callArguments(c)[1]))
      .filter((s): s is string => s !== undefined),
  );
  const text = [project.files[WORKBOOK] ?? '', ...rules.map((r) => r.properties.query)].join('\n');
  for (const token of new Set(text.match(/__[A-Z_]+__/g) ?? []))
    if (!replaced.has(token)) out.push(p(`${content.file.path} never replaces ${token}`));
  return out;
}

// ---- all ---------------------------------------------------------------------------------------------------------------

export function checkInfra({ project, view, storage, settings = SETTINGS, types = readVendoredTypes(REPO_ROOT) }: CheckInputs): Problem[] {
  return [
    ...checkSyntax(project),
    ...checkTypes(project, types).map((t) => ({ check: 'types', message: `${t.at}: ${t.message}` })),
    ...checkReferences(project),
    ...checkGenerated(project, view, storage),
    ...checkTables(project),
    ...checkDataCollectionRules(project, settings),
    ...checkRoles(project),
    ...checkStorage(project, storage),
    ...checkFunctionApp(project),
    ...checkSettings(project, settings),
    ...checkKeyVault(project),
    ...checkOutputs(project),
    ...checkSentinelContent(project, view),
  ];
}
