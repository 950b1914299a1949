// The checks of the deployment no standard tool makes, on the Bicep parse tree: app settings against shared/config.ts,
// the generated files deployed, role GUIDs and least privilege, the security posture (one table, RULES), what azd and
// the Sentinel content need. Types, apiVersions and property names are bicepTypes.ts's (Microsoft's Bicep types), KQL
// is kql.ts's (Microsoft's parser), the generated files' currency generate.ts's (staleFiles). Each check returns
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
  extensionAliases,
  itemsOf,
  type Loop,
  literalValue,
  loadedPath,
  objectEntries,
  type Project,
  parseProject,
  properties,
  property,
  propertyKey,
  type Ref,
  type Resource,
  resolve,
  rootIdentifiers,
  stringValue,
  syntaxErrors,
  unwrap,
  valuesAt,
  where,
} from './bicep.js';
import { checkTypes, readVendoredTypes, type VendoredTypes } from './bicepTypes.js';
import type { CatalogView } from './catalogView.js';
import { REPO_ROOT } from './generate.js';
import { APP_SETTINGS, GENERATED, MAIN, RULES, type Rules, type Target } from './posture.js';
import { armActions, BROAD_ROLES, BUILT_IN_ROLES, CUSTOM_INCIDENT_ROLE, type Principal, REQUIRED_ASSIGNMENTS } from './roles.js';
import { type WorkbookItem, workbookQueries } from './shippedKql.js';

export interface Problem {
  /** Which check found it (syntax, types, references, storage, functionApp, settings, roles, …). */
  readonly check: string;
  readonly message: string;
}

export type SettingsTable = Readonly<Record<string, { readonly schema: z.ZodType; readonly secret?: boolean }>>;

export interface CheckInputs {
  readonly project: Project;
  readonly view: CatalogView;
  readonly settings?: SettingsTable;
  /** Microsoft's Bicep types of the resources used (test/infra/bicep-types). */
  readonly types?: readonly VendoredTypes[];
}

export const WORKBOOK = 'infra/sentinel/workbook.json';

/** Settings the Functions host reads (not the app): allowed besides SETTINGS. */
export const HOST_SETTINGS: Readonly<Record<string, string>> = {};

/** SETTINGS the Bicep deliberately leaves unset, and why. */
export const DELIBERATELY_OPTIONAL: Readonly<Record<string, string>> = {
  AzureWebJobsStorage: 'a connection string, for Azurite only; Azure uses the identity-based AzureWebJobsStorage__* settings',
  GRAPH_ENDPOINT:
    "its default follows AZURE_CLOUD (shared/clouds.ts); set it by hand only for a Graph the table lacks (DoD's dod-graph.microsoft.us)",
  LOG_ANALYTICS_QUERY_ENDPOINT: 'its default follows AZURE_CLOUD (shared/clouds.ts); set it locally for the Log Analytics query emulator',
  EMULATOR_CA_FILE: "the local emulators' CA, local only",
};

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

const problem =
  (check: string) =>
  (message: string): Problem => ({ check, message });

function mainParams(project: Project): Set<string> {
  const main = project.bicep.get(MAIN);
  return new Set(main ? declarations(main).flatMap((d) => (d.kind === 'param' ? [d.name] : [])) : []);
}

/** The literal an expression stands for: through vars, module parameters, `object.key` and a parameter's default. */
function literalOf(project: Project, ref: Ref): unknown {
  for (const r of resolve(project, ref)) {
    const lit = literalValue(r.node);
    if (lit !== undefined) return lit;
    const object = r.node.type === 'member_expression' ? r.node.childForFieldName('object') : null;
    for (const o of object ? resolve(project, { file: r.file, node: object }) : []) {
      const value = property(o.node, r.node.childForFieldName('property')?.text ?? '');
      if (value) return literalOf(project, { file: o.file, node: value });
    }
    const param = r.node.type === 'identifier' ? declaration(r.file, r.node.text, ['param']) : undefined;
    const value = param && declaredValue(param);
    if (value) return literalValue(value);
  }
  return undefined;
}

/** `X.a.b` where X is (a var holding) `loadJsonContent(file)`: the file and the keys. */
function loadedJson(project: Project, ref: Ref): { file: string; keys: string[] } | undefined {
  const n = unwrap(ref.node);
  if (n.type === 'member_expression') {
    const object = n.childForFieldName('object');
    const inner = object ? loadedJson(project, { file: ref.file, node: object }) : undefined;
    return inner && { file: inner.file, keys: [...inner.keys, n.childForFieldName('property')?.text ?? ''] };
  }
  const file = callName(n) === 'loadJsonContent' ? loadedPath(ref.file, n) : undefined;
  if (file) return { file, keys: [] };
  if (n.type !== 'identifier') return undefined;
  return resolve(project, ref)
    .filter((r) => r.node.startIndex !== n.startIndex || r.file !== ref.file)
    .map((r) => loadedJson(project, r))
    .find(Boolean);
}

// ---- syntax and references --------------------------------------------------------------------------------------

export function checkSyntax(project: Project): Problem[] {
  const p = problem('syntax');
  if (!project.bicep.size) return [p('no .bicep files under infra/')];
  return [...project.bicep.values()].flatMap((f) => syntaxErrors(f).map((e) => p(`${e.at}: syntax error: ${e.message}`)));
}

/** What the Bicep compiler would refuse across files: modules and their parameters, loaded files and their sizes. */
export function checkReferences(project: Project): Problem[] {
  const p = problem('references');
  const out: Problem[] = project.bicep.has(MAIN) ? [] : [p(`${MAIN} is missing`)];
  for (const m of allModules(project)) {
    const at = `${where(m.file, m.node)}: module ${m.symbol}`;
    const target = m.target === undefined ? undefined : project.bicep.get(m.target);
    if (m.target === undefined && !AVM_REFERENCE.test(m.source))
      out.push(p(`${at} uses ${m.source}: use an Azure Verified Module with a pinned version (br/public:avm/…:x.y.z)`));
    if (m.target !== undefined && !target) out.push(p(`${at} uses ${m.source}, which does not exist (${m.target})`));
    const declared = target ? declarations(target).filter((d) => d.kind === 'param') : [];
    const passed = properties(property(m.body?.object, 'params')).map(propertyKey);
    for (const name of target ? passed : [])
      if (!declared.some((d) => d.name === name)) out.push(p(`${at} passes ${name}, which ${m.target} does not declare`));
    for (const d of declared)
      if (declaredValue(d) === undefined && !passed.includes(d.name))
        out.push(p(`${at} does not pass ${d.name}, which ${m.target} requires`));
  }
  for (const f of project.bicep.values())
    for (const call of descendants(f.root, ['call_expression'])) {
      const name = callName(call) ?? '';
      if (!name.startsWith('load')) continue;
      const target = loadedPath(f, call);
      const text = target === undefined ? undefined : project.files[target];
      const limit = LOAD_LIMITS[name] ?? Number.POSITIVE_INFINITY;
      if (target === undefined) out.push(p(`${where(f, call)}: ${name} needs a literal path`));
      else if (text === undefined)
        out.push(p(`${where(f, call)}: ${name}('${stringValue(callArguments(call)[0])}') — ${target} does not exist`));
      else if (text.length > limit) out.push(p(`${where(f, call)}: ${target} has ${text.length} characters; ${name} accepts ${limit}`));
    }
  const extensions = bicepExtensions(project);
  for (const f of project.bicep.values())
    for (const { alias, at } of extensionAliases(f)) {
      const ref = extensions.get(alias);
      if (!ref) out.push(p(`${at}: extension ${alias} is not in ${BICEP_CONFIG} "extensions"`));
      else if (!PINNED_EXTENSION.test(ref))
        out.push(p(`${at}: extension ${alias} is ${ref}: pin a version (br:mcr.microsoft.com/…:x.y.z)`));
    }
  return out;
}

export const BICEP_CONFIG = 'infra/bicepconfig.json';
const PINNED_EXTENSION = /^br:mcr\.microsoft\.com\/bicep\/extensions\/[\w./-]+:\d+\.\d+\.\d+$/;

/** bicepconfig.json's extension aliases → their registry references. */
export function bicepExtensions(project: Project): ReadonlyMap<string, string> {
  const text = project.files[BICEP_CONFIG];
  const parsed = text === undefined ? {} : (JSON.parse(text) as { extensions?: Record<string, string> });
  return new Map(Object.entries(parsed.extensions ?? {}));
}

// ---- the posture: one table of "this value must be that" --------------------------------------------------------

/** What a target finds: where each is, its expression, and a resource's loop. */
function targets(project: Project, target: Target): { at: string; ref: Ref; loop?: Loop }[] {
  if ('resource' in target)
    return allResources(project).flatMap((r) =>
      r.type === target.resource && !r.existing && r.body
        ? [{ at: where(r.file, r.node), ref: { file: r.file, node: r.body.object }, ...(r.body.loop ? { loop: r.body.loop } : {}) }]
        : [],
    );
  if ('module' in target)
    return allModules(project).flatMap((m) =>
      m.source.startsWith(target.module) && m.body ? [{ at: where(m.file, m.node), ref: { file: m.file, node: m.body.object } }] : [],
    );
  const file = project.bicep.get(target.file ?? MAIN);
  const output = file && declaration(file, target.output, ['output']);
  const value = output && declaredValue(output);
  return file && value ? [{ at: `${where(file, output.node)}: output ${target.output}`, ref: { file, node: value } }] : [];
}

export function checkRules(project: Project, { target, paths }: Rules): string[] {
  const found = targets(project, target);
  const what =
    'resource' in target ? `${target.resource} resource` : 'module' in target ? `module ${target.module}…` : `output ${target.output}`;
  if (!found.length) return [`no ${what} (${[...new Set(Object.values(paths).map(([, why]) => why))].join('; ')})`];
  const params = mainParams(project);
  return Object.entries(paths).flatMap(([path, [expect, why]]) => {
    if (typeof expect === 'object' && 'loops' in expect) {
      const [file, key] = expect.loops;
      const loops = found.some(({ ref, loop }) => {
        const source = loop && loadedJson(project, { file: ref.file, node: loop.iterable });
        return source?.file === file && source.keys.join('.') === key;
      });
      return loops ? [] : [`no ${what} loops over ${file} ${key} (${why})`];
    }
    return found.flatMap(({ at, ref, loop }) => {
      const values = path ? valuesAt(project, ref, path) : [ref];
      const name = path || 'its value';
      if (typeof expect === 'object' && 'set' in expect)
        return values.length > 0 === expect.set ? [] : [`${at}: ${name} must ${expect.set ? '' : 'not '}be set (${why})`];
      const uses = typeof expect === 'object' && 'uses' in expect ? expect.uses.replace('$', loop?.variable ?? '$') : undefined;
      const fits = (v: Ref) =>
        typeof expect !== 'object'
          ? literalOf(project, v) === expect
          : uses !== undefined
            ? v.node.text.includes(uses)
            : [...rootIdentifiers(project, v)].some((id) => params.has(id));
      const expected = typeof expect !== 'object' ? `be ${JSON.stringify(expect)}` : uses ? `use ${uses}` : `come from a ${MAIN} parameter`;
      return values.length && values.every(fits) ? [] : [`${at}: ${name} must ${expected} (${why})`];
    });
  });
}

// ---- role assignments ---------------------------------------------------------------------------------------------

export interface Assignment {
  readonly at: string;
  readonly symbol: string;
  /** The role's name: a built-in role's (BUILT_IN_ROLES), or CUSTOM_INCIDENT_ROLE for the role the Bicep defines. */
  readonly role: string | undefined;
  readonly guid: string | undefined;
  readonly scopeType: string | undefined;
  readonly principal: Principal | 'unknown';
  readonly principalType: unknown;
  readonly conditionRoots: ReadonlySet<string>;
}

const ROLE_DEFINITIONS = 'Microsoft.Authorization/roleDefinitions';
const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** The role a roleDefinitionId names: the custom role (`incidentRole.id`) or a GUID (subscriptionResourceId(…, id)). */
function roleOf(project: Project, r: Resource, def: Node): { guid?: string; custom?: boolean } {
  const symbol =
    def.type === 'member_expression' && def.childForFieldName('property')?.text === 'id'
      ? def.childForFieldName('object')?.text
      : undefined;
  if (allResources(project).some((x) => x.file === r.file && x.symbol === symbol && x.type === ROLE_DEFINITIONS)) return { custom: true };
  const id = callName(def) ? callArguments(def).at(-1) : def;
  const value = id && literalOf(project, { file: r.file, node: id });
  const guid = typeof value === 'string' ? GUID.exec(value)?.[0].toLowerCase() : undefined;
  return guid ? { guid } : {};
}

export function roleAssignments(project: Project): Assignment[] {
  const all = allResources(project);
  const params = mainParams(project);
  return all
    .filter((r) => r.type === 'Microsoft.Authorization/roleAssignments' && !r.existing && r.body)
    .map((r) => {
      const body = { file: r.file, node: r.body?.object as Node };
      const at = (key: string) => valuesAt(project, body, key)[0];
      const def = at('properties.roleDefinitionId');
      const { guid, custom } = def ? roleOf(project, r, def.node) : {};
      const scope = at('scope')?.node;
      const scopeNode = scope && unwrap(scope);
      const scopeSymbol = scopeNode?.type === 'subscript_expression' ? scopeNode.namedChildren[0]?.text : scopeNode?.text;
      const principal = at('properties.principalId');
      const roots = principal ? [...rootIdentifiers(project, principal)] : [];
      const fromModule = principal ? resolve(project, principal).some((x) => /\.outputs\.principalId$/.test(x.node.text)) : false;
      const type = at('properties.principalType');
      return {
        at: where(r.file, r.node),
        symbol: r.symbol,
        role: custom ? CUSTOM_INCIDENT_ROLE : guid ? BUILT_IN_ROLES[guid] : undefined,
        guid,
        scopeType: all.find((x) => x.file === r.file && x.symbol === scopeSymbol)?.type,
        principal: fromModule ? 'app' : roots.length === 1 && params.has(roots[0] as string) ? 'deployer' : 'unknown',
        principalType: type && (literalOf(project, type) ?? type.node.text),
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
    let part: string[] | undefined;
    if (n.type === 'array') {
      const items = n.namedChildren.filter((c) => c.type !== 'comment').map(stringValue);
      part = items.every((i) => i !== undefined) ? (items as string[]) : undefined;
    } else if (callName(n) === 'concat') {
      const parts = callArguments(n).map((arg) => stringsOf(project, { file: r.file, node: arg }, params));
      part = parts.every((x) => x !== undefined) ? parts.flat() : undefined;
    } else if (n.type === 'ternary_expression') {
      const condition = n.childForFieldName('condition');
      const [root, ...others] = condition ? rootIdentifiers(project, { file: r.file, node: condition }) : [];
      const branch =
        root && !others.length && Object.hasOwn(params, root) ? n.childForFieldName(params[root] ? 'consequence' : 'alternative') : null;
      part = branch ? stringsOf(project, { file: r.file, node: branch }, params) : undefined;
    }
    if (!part) return undefined;
    out.push(...part);
  }
  return out;
}

export interface RoleOperations {
  readonly sentinel: Readonly<Record<string, ArmOperation>>;
  readonly query: Readonly<Record<string, ArmOperation>>;
}

export const ROLE_OPERATIONS: RoleOperations = { sentinel: SENTINEL_OPERATIONS, query: WORKSPACE_QUERY_OPERATIONS };

/** The custom role's actions, for kqlEnrichment false and true: exactly what the client's operations need. */
function customRoleProblems(project: Project, operations: RoleOperations): string[] {
  const definitions = allResources(project).filter((r) => r.type === ROLE_DEFINITIONS && !r.existing && r.body);
  if (!definitions.length) return [`no ${ROLE_DEFINITIONS} resource defines ${CUSTOM_INCIDENT_ROLE}`];
  return definitions.flatMap((d) => {
    const actions = valuesAt(project, { file: d.file, node: d.body?.object as Node }, 'properties.permissions[].actions')[0];
    return [false, true].flatMap((kqlEnrichment) => {
      const granted = actions && stringsOf(project, actions, { kqlEnrichment });
      if (!granted) return [`${where(d.file, d.node)}: permissions[0].actions must be a literal list (optionally joined by kqlEnrichment)`];
      const calls = [...Object.entries(operations.sentinel), ...(kqlEnrichment ? Object.entries(operations.query) : [])];
      const needed = new Map(calls.flatMap(([name, op]) => armActions(op).map((a) => [a, `${name} (${op.method} ${op.path})`] as const)));
      const when = `with kqlEnrichment ${kqlEnrichment}`;
      return [
        ...[...needed].filter(([a]) => !granted.includes(a)).map(([a, call]) => `${d.symbol} lacks ${a}, which ${call} needs (${when})`),
        ...granted.filter((a) => !needed.has(a)).map((a) => `${d.symbol} grants ${a}, which no operation of the client needs (${when})`),
      ];
    });
  });
}

export function checkRoles(project: Project, operations: RoleOperations = ROLE_OPERATIONS): Problem[] {
  const found = roleAssignments(project);
  const out: string[] = [];
  for (const a of found) {
    if (!a.role)
      out.push(
        a.guid
          ? `${a.at}: ${a.symbol} assigns ${BROAD_ROLES[a.guid] ?? a.guid}, which is not one of the roles this deployment may assign (least privilege)`
          : `${a.at}: ${a.symbol}: roleDefinitionId is not a role id the checker can read`,
      );
    if (!a.scopeType)
      out.push(
        `${a.at}: ${a.symbol} is not scoped to a resource of this deployment (least privilege: scope it to the one resource that needs it)`,
      );
    if (a.principal === 'app' && a.principalType !== 'ServicePrincipal')
      out.push(`${a.at}: ${a.symbol}: principalType must be 'ServicePrincipal' for the managed identity`);
    const required = REQUIRED_ASSIGNMENTS.find((x) => x.role === a.role && x.scope === a.scopeType && x.principal === a.principal);
    if (a.role && a.scopeType && !required)
      out.push(`${a.at}: unexpected role assignment: ${a.role} on ${a.scopeType} for the ${a.principal} identity`);
    for (const param of required?.onlyWhen ?? [])
      if (!a.conditionRoots.has(param))
        out.push(
          `${a.at}: ${a.role} on ${a.scopeType} must be assigned only when ${param} says so (its condition does not depend on ${MAIN}'s ${param})`,
        );
  }
  for (const req of REQUIRED_ASSIGNMENTS)
    if (!found.some((a) => a.role === req.role && a.scopeType === req.scope && a.principal === req.principal))
      out.push(`missing role assignment: ${req.role} on ${req.scope} for the ${req.principal} identity (${req.why})`);
  return [...out, ...customRoleProblems(project, operations)].map(problem('roles'));
}

// ---- app settings ------------------------------------------------------------------------------------------------

export interface AppSettings {
  readonly at: string;
  readonly entries: ReadonlyMap<string, Ref[]>;
}

/** The app settings the Bicep sets: the `appsettings` config resource of the site, resolved across modules. */
export function appSettings(project: Project): AppSettings | undefined {
  const config = allResources(project).find(
    (r) => r.type === APP_SETTINGS && literalValue(property(r.body?.object, 'name')) === 'appsettings',
  );
  const props = config && property(config.body?.object, 'properties');
  if (!config || !props) return undefined;
  return { at: where(config.file, config.node), entries: objectEntries(project, { file: config.file, node: props }) };
}

/** A value that is a Key Vault reference: a call to a function whose body is '@Microsoft.KeyVault(…)', or such a literal. */
function isKeyVaultReference(ref: Ref): boolean {
  const n = unwrap(ref.node);
  const name = callName(n);
  const fn = name ? declaration(ref.file, name, ['func']) : undefined;
  const body = n.type === 'string' ? n : fn?.node.namedChildren.at(-1);
  return body?.type === 'string' && body.text.startsWith("'@Microsoft.KeyVault(");
}

/** The main.bicep parameter a setting's value comes from: `param` or `string(param)`. */
function sourceParam(ref: Ref) {
  let n = unwrap(ref.node);
  if (callName(n) === 'string' && callArguments(n).length === 1) n = callArguments(n)[0] as Node;
  return n.type === 'identifier' && ref.file.path === MAIN ? declaration(ref.file, n.text, ['param']) : undefined;
}

/** Settings that are JSON lists built from Bicep objects, and plausible values for the keys their elements have. */
const JSON_SETTINGS = ['SENTINEL_WORKSPACES', 'LOGS_INGESTION_RULES'];
const SAMPLE: Readonly<Record<string, unknown>> = {
  subscriptionId: '00000000-0000-0000-0000-000000000000',
  api: 'graph',
  workspaceId: '00000000-0000-0000-0000-000000000000',
  endpoint: 'https://example-a1b2.westeurope-1.ingest.monitor.azure.com',
  ruleId: 'dcr-00000000000000000000000000000000',
  streams: ['Custom-Example_CL'],
};

/** A JSON-list setting (`string(list)`) built from Bicep objects parses with its schema when filled with plausible values. */
function jsonShapeProblems(project: Project, name: string, ref: Ref, settings: SettingsTable): string[] {
  const lists = descendants(ref.node, ['call_expression']).flatMap((c) => (callName(c) === 'string' ? callArguments(c).slice(0, 1) : []));
  const item = lists.flatMap((node) => itemsOf(project, { file: ref.file, node })).find((i) => objectEntries(project, i).size);
  const keys = item ? [...objectEntries(project, item).keys()] : [];
  const parsed = settings[name]?.schema.safeParse(JSON.stringify([Object.fromEntries(keys.map((k) => [k, SAMPLE[k] ?? 'example']))]));
  if (!keys.length || !parsed || parsed.success) return [];
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  return [`${name} is built from objects with keys ${keys.join(', ')}, which shared/config.ts rejects: ${issues}`];
}

export function checkSettings(project: Project, settings: SettingsTable = SETTINGS): Problem[] {
  const p = problem('settings');
  const found = appSettings(project);
  if (!found) return [p(`no ${APP_SETTINGS} resource named appsettings: the app would get no settings`)];
  const out: Problem[] = [];
  for (const name of found.entries.keys()) {
    if (!Object.hasOwn(settings, name) && !Object.hasOwn(HOST_SETTINGS, name))
      out.push(p(`sets ${name}, which shared/config.ts does not read and the Functions host does not need`));
  }
  for (const name of Object.keys(settings))
    if (!found.entries.has(name) && !Object.hasOwn(DELIBERATELY_OPTIONAL, name))
      out.push(
        p(`does not set ${name}, which shared/config.ts reads: set it in ${MAIN} or list it in DELIBERATELY_OPTIONAL with the reason`),
      );

  for (const [name, refs] of found.entries) {
    const entry = Object.hasOwn(settings, name) ? settings[name] : undefined;
    if (!entry) continue;
    for (const ref of refs) {
      if (entry.secret && !isKeyVaultReference(ref))
        out.push(p(`${where(ref.file, ref.node)}: ${name} is a secret: its value must be a Key Vault reference (kvRef)`));
      if (JSON_SETTINGS.includes(name)) out.push(...jsonShapeProblems(project, name, ref, settings).map(p));
      const param = sourceParam(ref);
      if (!param) continue;
      const at = `${where(param.file, param.node)}:`;
      const def = declaredValue(param);
      const literal = def ? literalValue(def) : undefined;
      const fallback = entry.schema.safeParse(undefined);
      if (literal !== undefined && literal !== null && !decorator(param, 'secure')) {
        const parsed = entry.schema.safeParse(String(literal));
        if (!parsed.success)
          out.push(
            p(`${at} default ${JSON.stringify(literal)} of ${param.name} is not a valid ${name}: ${parsed.error.issues[0]?.message}`),
          );
        else if (fallback.success && fallback.data !== undefined && JSON.stringify(parsed.data) !== JSON.stringify(fallback.data))
          out.push(
            p(
              `${at} default ${JSON.stringify(literal)} of ${param.name} differs from ${name}'s default in shared/config.ts (${JSON.stringify(fallback.data)})`,
            ),
          );
      }
      const allowed = decorator(param, 'allowed');
      for (const v of allowed ? (callArguments(allowed)[0]?.namedChildren ?? []) : []) {
        const value = literalValue(v);
        if (value !== undefined && value !== null && !entry.schema.safeParse(String(value)).success)
          out.push(p(`${at} @allowed value ${JSON.stringify(value)} of ${param.name} is not a valid ${name}`));
      }
    }
  }
  return out;
}

// ---- Sentinel content ------------------------------------------------------------------------------------------------

/** What the workbook shows (README), by a text its queries contain. */
const workbookShows = (view: CatalogView): Readonly<Record<string, string>> => ({
  [view.tables.find((t) => t.source === 'bridge')?.table ?? 'SentinelBridgeHealth_CL']: 'delivery health',
  __BRIDGE_TABLES__: 'events per table',
  SecurityIncident: 'the incidents forwarded',
});

/** The workbook shows what it promises, and every __PLACEHOLDER__ of the content is replaced by the module deploying it. */
export function checkSentinelContent(project: Project, view: CatalogView): Problem[] {
  const p = problem('sentinel');
  const parse = (file: string) => {
    try {
      return JSON.parse(project.files[file] ?? '') as unknown;
    } catch {
      return undefined;
    }
  };
  const workbook = parse(WORKBOOK) as { items?: WorkbookItem[] } | undefined;
  if (!workbook?.items) return [p(`${WORKBOOK} is missing or not a workbook`)];
  const queries = workbookQueries(workbook.items).map((q) => q.query);
  const out = Object.entries(workbookShows(view))
    .filter(([text]) => !queries.some((q) => q.includes(text)))
    .map(([text, what]) => p(`${WORKBOOK} must show ${what} (a query of ${text})`));
  const content = allResources(project).find((r) => r.type === 'Microsoft.Insights/workbooks');
  if (!content) return out; // RULES.sentinel names the missing workbook
  const replaced = new Set(
    descendants(content.file.root, ['call_expression'])
      .filter((c) => callName(c) === 'replace')
      .map((c) => stringValue(callArguments(c)[1])),
  );
  const rules = (parse(GENERATED.rules) as { rules?: { properties: { query: string } }[] } | undefined)?.rules ?? [];
  const text = [project.files[WORKBOOK] ?? '', ...rules.map((r) => r.properties.query)].join('\n');
  for (const token of new Set(text.match(/__[A-Z_]+__/g) ?? []))
    if (!replaced.has(token)) out.push(p(`${content.file.path} never replaces ${token}`));
  return out;
}

// ---- all ---------------------------------------------------------------------------------------------------------------

export function checkInfra({ project, view, settings = SETTINGS, types = readVendoredTypes(REPO_ROOT) }: CheckInputs): Problem[] {
  return [
    ...checkSyntax(project),
    ...checkTypes(project, types).map((t) => ({ check: 'types', message: `${t.at}: ${t.message}` })),
    ...checkReferences(project),
    ...Object.entries(RULES).flatMap(([check, rules]) => rules.flatMap((r) => checkRules(project, r)).map(problem(check))),
    ...checkRoles(project),
    ...checkSettings(project, settings),
    ...checkSentinelContent(project, view),
  ];
}
