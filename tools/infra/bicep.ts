// Bicep parsed with a real grammar: web-tree-sitter + the .wasm shipped in the tree-sitter-bicep package (no native
// build, no Bicep CLI). A project is a set of files (path → text, paths relative to the repository root) so tests can
// mutate any file in memory and check again. The helpers walk the parse tree: declarations, resources, modules,
// object properties, and values resolved through variables and across module boundaries.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Language, type Node, Parser } from 'web-tree-sitter';

let parserReady: Promise<Parser> | undefined;

/** The Bicep parser, initialised once per process. */
export function bicepParser(): Promise<Parser> {
  parserReady ??= (async () => {
    await Parser.init();
    const require = createRequire(import.meta.url);
    const wasm = path.join(path.dirname(require.resolve('tree-sitter-bicep/package.json')), 'tree-sitter-bicep.wasm');
    const parser = new Parser();
    parser.setLanguage(await Language.load(new Uint8Array(readFileSync(wasm))));
    return parser;
  })();
  return parserReady;
}

export interface BicepFile {
  /** Path relative to the repository root, with forward slashes (infra/main.bicep). */
  readonly path: string;
  readonly text: string;
  readonly root: Node;
}

export interface Project {
  /** Every file of the project by path (infra/**); existence is membership. */
  readonly files: Readonly<Record<string, string>>;
  readonly bicep: ReadonlyMap<string, BicepFile>;
}

export function parseProject(parser: Parser, files: Readonly<Record<string, string>>): Project {
  const bicep = new Map<string, BicepFile>();
  for (const [p, text] of Object.entries(files)) {
    if (!p.endsWith('.bicep')) continue;
    const tree = parser.parse(text);
    if (!tree) throw new Error(`tree-sitter could not parse ${p}`);
    bicep.set(p, { path: p, text, root: tree.rootNode });
  }
  return { files, bicep };
}

export const where = (file: BicepFile, node: Node) => `${file.path}:${node.startPosition.row + 1}:${node.startPosition.column + 1}`;

/** `extension <alias>` (Bicep 0.30+), which the grammar predates: it parses as a top-level ERROR of two identifiers. */
const EXTENSION = /^extension\s+([A-Za-z_]\w*)$/;

/** The aliases of the file's `extension` declarations (each must be named in bicepconfig.json). */
export function extensionAliases(file: BicepFile): { alias: string; at: string }[] {
  return file.root.namedChildren.flatMap((n) => {
    const m = n.type === 'ERROR' ? EXTENSION.exec(n.text) : null;
    return m ? [{ alias: m[1] as string, at: where(file, n) }] : [];
  });
}

/** ERROR and MISSING nodes: where the text is not valid Bicep. */
export function syntaxErrors(file: BicepFile): { at: string; message: string }[] {
  const found: { at: string; message: string }[] = [];
  const visit = (n: Node) => {
    if (n.isMissing) found.push({ at: where(file, n), message: `missing ${n.type}` });
    else if (n.type === 'ERROR' && n.parent?.type === file.root.type && EXTENSION.test(n.text)) return;
    else if (n.type === 'ERROR') found.push({ at: where(file, n), message: `unexpected ${JSON.stringify(n.text.slice(0, 40))}` });
    else if (n.hasError) for (const c of n.children) visit(c);
  };
  visit(file.root);
  return found;
}

// ---- values ----------------------------------------------------------------------------------------------------

/** A node and the file it is in: the unit every resolution step works on. */
export interface Ref {
  readonly file: BicepFile;
  readonly node: Node;
}

/** The value of a string literal without interpolation, else undefined. */
export function stringValue(node: Node | null | undefined): string | undefined {
  if (node?.type !== 'string') return undefined;
  if (node.namedChildren.some((c) => c.type === 'interpolation')) return undefined;
  if (node.text.startsWith("'''")) return node.text.slice(3, -3);
  const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t' };
  return node.text
    .slice(1, -1)
    .replace(/\\(u\{[0-9a-fA-F]+\}|.)/g, (_, e: string) =>
      e.startsWith('u{') ? String.fromCodePoint(Number.parseInt(e.slice(2, -1), 16)) : (escapes[e] ?? e),
    );
}

/** A literal: string, number, boolean, null, -number; else undefined. */
export function literalValue(node: Node | null | undefined): string | number | boolean | null | undefined {
  if (!node) return undefined;
  switch (node.type) {
    case 'string':
      return stringValue(node);
    case 'number':
      return Number(node.text);
    case 'boolean':
      return node.text === 'true';
    case 'null':
      return null;
    case 'unary_expression': {
      const arg = node.namedChildren[0];
      if (node.text.startsWith('-') && arg?.type === 'number') return -Number(arg.text);
      if (node.text.startsWith('!') && arg?.type === 'boolean') return arg.text !== 'true';
      return undefined;
    }
    case 'parenthesized_expression':
      return node.namedChildren.length === 1 ? literalValue(node.namedChildren[0]) : undefined;
    default:
      return undefined;
  }
}

export function unwrap(node: Node): Node {
  let n = node;
  while (n.type === 'parenthesized_expression' && n.namedChildCount === 1) n = n.namedChildren[0] as Node;
  return n;
}

/** The key of an object_property: identifier, or a string literal's value, or the raw text. */
export function propertyKey(prop: Node): string {
  const key = prop.namedChildren[0];
  if (!key) return '';
  if (key.type === 'string') return stringValue(key) ?? key.text;
  if (key.type === 'compatible_identifier') return key.text.replace(/\?$/, '');
  return key.text;
}

export function properties(object: Node | null | undefined): Node[] {
  return object?.type === 'object' ? object.namedChildren.filter((c) => c.type === 'object_property' && c.namedChildCount >= 2) : [];
}

/** The value node of `key` in an object literal. */
export function property(object: Node | null | undefined, key: string): Node | undefined {
  const p = properties(object).find((x) => propertyKey(x) === key);
  return p?.namedChildren[p.namedChildren.length - 1];
}

export function callName(node: Node | null | undefined): string | undefined {
  if (node?.type !== 'call_expression') return undefined;
  const fn = node.namedChildren[0];
  return fn?.type === 'identifier' ? fn.text : undefined;
}

export function callArguments(node: Node): Node[] {
  return node.namedChildren.find((c) => c.type === 'arguments')?.namedChildren ?? [];
}

/** Every node of the given types under `node`, depth first, `node` included. */
export function descendants(node: Node, types: readonly string[]): Node[] {
  const out: Node[] = [];
  const visit = (n: Node) => {
    if (types.includes(n.type)) out.push(n);
    for (const c of n.namedChildren) visit(c);
  };
  visit(node);
  return out;
}

// ---- declarations ------------------------------------------------------------------------------------------------

export type DeclarationKind = 'param' | 'var' | 'resource' | 'module' | 'output' | 'func';

export interface Declaration {
  readonly kind: DeclarationKind;
  readonly name: string;
  readonly file: BicepFile;
  readonly node: Node;
  /** Decorator calls: description, allowed, secure, minValue, … */
  readonly decorators: readonly Node[];
}

const KIND: Record<string, DeclarationKind> = {
  parameter_declaration: 'param',
  variable_declaration: 'var',
  resource_declaration: 'resource',
  module_declaration: 'module',
  output_declaration: 'output',
  user_defined_function: 'func',
};

export function declarations(file: BicepFile): Declaration[] {
  const out: Declaration[] = [];
  let pending: Node[] = [];
  for (const n of file.root.namedChildren) {
    if (n.type === 'decorators') {
      pending = n.namedChildren.filter((d) => d.type === 'decorator');
      continue;
    }
    const kind = KIND[n.type];
    if (kind) {
      const name = n.namedChildren.find((c) => c.type === 'identifier')?.text ?? '';
      out.push({ kind, name, file, node: n, decorators: pending });
    }
    if (n.type !== 'comment' && n.type !== 'diagnostic_comment') pending = [];
  }
  return out;
}

export function declaration(file: BicepFile, name: string, kinds?: readonly DeclarationKind[]): Declaration | undefined {
  return declarations(file).find((d) => d.name === name && (!kinds || kinds.includes(d.kind)));
}

/** The value expression of a var, param default, or output. */
export function declaredValue(d: Declaration): Node | undefined {
  const children = d.node.children;
  const eq = children.findIndex((c) => c.type === '=');
  if (eq < 0) return undefined;
  return children.slice(eq + 1).find((c) => c.isNamed);
}

/** A decorator call by name (`allowed`, `secure`, …). */
export function decorator(d: Declaration, name: string): Node | undefined {
  return d.decorators.map((x) => x.namedChildren[0]).find((c): c is Node => callName(c) === name);
}

// ---- resources and modules ------------------------------------------------------------------------------------------

export interface Loop {
  readonly variable: string;
  readonly index: string | undefined;
  readonly iterable: Node;
}

export interface Body {
  readonly object: Node;
  readonly condition: Node | undefined;
  readonly loop: Loop | undefined;
}

/** The object, `if` condition and `for` loop of a resource or module value. */
export function bodyOf(value: Node | undefined): Body | undefined {
  if (!value) return undefined;
  if (value.type === 'object') return { object: value, condition: undefined, loop: undefined };
  if (value.type === 'if_statement') {
    const object = value.namedChildren.find((c) => c.type === 'object');
    const cond = value.namedChildren.find((c) => c.type === 'parenthesized_expression');
    return object ? { object, condition: cond ? unwrap(cond) : undefined, loop: undefined } : undefined;
  }
  if (value.type === 'for_statement') {
    const params = value.namedChildren.find((c) => c.type === 'for_loop_parameters');
    const initializer = value.childForFieldName('initializer');
    const variable = params ? params.namedChildren.find((c) => c.type === 'loop_variable')?.text : initializer?.text;
    const index = params?.namedChildren.find((c) => c.type === 'loop_enumerator')?.text;
    const inAt = value.children.findIndex((c) => c.type === 'in');
    const iterable = value.children.slice(inAt + 1).find((c) => c.isNamed);
    const inner = bodyOf(value.childForFieldName('body') ?? undefined);
    if (!inner || !iterable || variable === undefined) return undefined;
    return { ...inner, loop: { variable, index, iterable } };
  }
  return undefined;
}

export interface Resource {
  readonly file: BicepFile;
  readonly symbol: string;
  /** Full type without api version, nested types expanded (Microsoft.Web/sites/config). */
  readonly type: string;
  readonly apiVersion: string;
  readonly existing: boolean;
  readonly node: Node;
  readonly body: Body | undefined;
  readonly parent: Resource | undefined;
}

export function resources(file: BicepFile): Resource[] {
  const out: Resource[] = [];
  const visit = (decl: Node, parent: Resource | undefined) => {
    const symbol = decl.namedChildren.find((c) => c.type === 'identifier')?.text ?? '';
    const typeString = stringValue(decl.namedChildren.find((c) => c.type === 'string')) ?? '';
    const [rawType = '', apiVersion = ''] = typeString.split('@');
    const nested = parent && !rawType.includes('/');
    const type = nested ? `${parent.type}/${rawType}` : rawType;
    const value = decl.children.slice(decl.children.findIndex((c) => c.type === '=') + 1).find((c) => c.isNamed);
    const r: Resource = {
      file,
      symbol,
      type,
      apiVersion: apiVersion || (nested ? parent.apiVersion : ''),
      existing: decl.children.some((c) => c.type === 'existing'),
      node: decl,
      body: bodyOf(value),
      parent,
    };
    out.push(r);
    for (const p of r.body?.object.namedChildren ?? []) {
      const nested = p.type === 'object_property' ? p.namedChildren.find((c) => c.type === 'resource_declaration') : undefined;
      if (nested) visit(nested, r);
    }
  };
  for (const d of declarations(file)) if (d.kind === 'resource') visit(d.node, undefined);
  return out;
}

export interface Module {
  readonly file: BicepFile;
  readonly symbol: string;
  /** The path as written: a relative .bicep path or a registry reference (br/public:…). */
  readonly source: string;
  /** For a local module: the target's project path (infra/modules/x.bicep). */
  readonly target: string | undefined;
  readonly node: Node;
  readonly body: Body | undefined;
}

export function modules(file: BicepFile): Module[] {
  return declarations(file)
    .filter((d) => d.kind === 'module')
    .map((d) => {
      const source = stringValue(d.node.namedChildren.find((c) => c.type === 'string')) ?? '';
      const local = !/^(br|ts)[:/]/.test(source);
      const value = d.node.children.slice(d.node.children.findIndex((c) => c.type === '=') + 1).find((c) => c.isNamed);
      return {
        file,
        symbol: d.name,
        source,
        target: local ? path.posix.normalize(path.posix.join(path.posix.dirname(file.path), source)) : undefined,
        node: d.node,
        body: bodyOf(value),
      };
    });
}

export function allResources(project: Project): Resource[] {
  return [...project.bicep.values()].flatMap(resources);
}

export function allModules(project: Project): Module[] {
  return [...project.bicep.values()].flatMap(modules);
}

/** Path of a file a `loadJsonContent` / `loadTextContent` call in `file` names, relative to the repository root. */
export function loadedPath(file: BicepFile, call: Node): string | undefined {
  const arg = stringValue(callArguments(call)[0]);
  return arg === undefined ? undefined : path.posix.normalize(path.posix.join(path.posix.dirname(file.path), arg));
}

// ---- resolution ------------------------------------------------------------------------------------------------------

/** The argument a module call passes for `param` of `file`, in each calling file. */
export function callersOf(project: Project, file: BicepFile, param: string): Ref[] {
  return allModules(project)
    .filter((m) => m.target === file.path)
    .flatMap((m) => {
      const value = property(m.body?.object ? property(m.body.object, 'params') : undefined, param);
      return value ? [{ file: m.file, node: value }] : [];
    });
}

/**
 * Follows an expression to what it stands for: a var to its value, a module parameter to what the callers pass (a
 * parameter without callers is returned as is), a local module's output to its value, parentheses away. Several
 * results when several callers exist.
 */
export function resolve(project: Project, ref: Ref, seen: Set<string> = new Set()): Ref[] {
  const node = unwrap(ref.node);
  const key = `${ref.file.path}:${node.startIndex}`;
  if (seen.has(key)) return [];
  seen.add(key);
  const output = /^(\w+)\.outputs\.(\w+)$/.exec(node.text);
  if (node.type === 'member_expression' && output) {
    const target = project.bicep.get(modules(ref.file).find((m) => m.symbol === output[1])?.target ?? '');
    const d = target && declaration(target, output[2] as string, ['output']);
    const value = d && declaredValue(d);
    return target && value ? resolve(project, { file: target, node: value }, seen) : [{ file: ref.file, node }];
  }
  if (node.type !== 'identifier') return [{ file: ref.file, node }];
  const d = declaration(ref.file, node.text, ['var', 'param']);
  if (d?.kind === 'var') {
    const value = declaredValue(d);
    return value ? resolve(project, { file: ref.file, node: value }, seen) : [];
  }
  if (d?.kind === 'param') {
    const callers = callersOf(project, ref.file, d.name);
    return callers.length ? callers.flatMap((c) => resolve(project, c, seen)) : [{ file: ref.file, node }];
  }
  return [{ file: ref.file, node }];
}

/**
 * The keys of an object expression: object literals, union(...) of them, both sides of a ternary, and whatever vars
 * and module parameters stand for. Returns key → the value expressions that set it; nested resource declarations are
 * not keys. Parts that are none of these (a function's result, a loop variable's member) go to `opaque`.
 */
export function objectEntries(
  project: Project,
  ref: Ref,
  out: Map<string, Ref[]> = new Map(),
  seen: Set<string> = new Set(),
  opaque: Ref[] = [],
): Map<string, Ref[]> {
  for (const r of resolve(project, ref, seen)) {
    const n = r.node;
    if (n.type === 'object') {
      for (const p of properties(n)) {
        if (p.namedChildren.some((c) => c.type === 'resource_declaration')) continue;
        const value = p.namedChildren[p.namedChildren.length - 1] as Node;
        out.set(propertyKey(p), [...(out.get(propertyKey(p)) ?? []), { file: r.file, node: value }]);
      }
    } else if (callName(n) === 'union') {
      for (const arg of callArguments(n)) objectEntries(project, { file: r.file, node: arg }, out, seen, opaque);
    } else if (n.type === 'ternary_expression') {
      const branches = [n.childForFieldName('consequence'), n.childForFieldName('alternative')];
      for (const b of branches) if (b) objectEntries(project, { file: r.file, node: b }, out, seen, opaque);
    } else opaque.push(r);
  }
  return out;
}

/** The expression of a lambda's body (`s => {…}`). */
export const lambdaBody = (n: Node | undefined) =>
  n?.type === 'lambda_expression' ? n.namedChildren[n.namedChildren.length - 1] : undefined;

/** The element expressions of an array expression: literal items, a for-expression's body, map(…)'s lambda body. */
export function itemsOf(project: Project, ref: Ref): Ref[] {
  return resolve(project, ref).flatMap((r): Ref[] => {
    const n = r.node;
    if (n.type === 'array') return n.namedChildren.filter((c) => c.type !== 'comment').map((node) => ({ file: r.file, node }));
    if (n.type === 'for_statement') {
      const body = n.childForFieldName('body');
      return body ? [{ file: r.file, node: body }] : [];
    }
    const body = callName(n) === 'map' ? lambdaBody(callArguments(n)[1]) : undefined;
    if (body) return [{ file: r.file, node: body }];
    if (callName(n) === 'concat') return callArguments(n).flatMap((node) => itemsOf(project, { file: r.file, node }));
    if (n.type === 'ternary_expression')
      return [n.childForFieldName('consequence'), n.childForFieldName('alternative')].flatMap((b) =>
        b ? itemsOf(project, { file: r.file, node: b }) : [],
      );
    return [];
  });
}

/** The expressions at a path like `properties.dataFlows[].streams` (`[]`: every element), through objectEntries and itemsOf. */
export function valuesAt(project: Project, ref: Ref, dotted: string): Ref[] {
  const keys = dotted
    .split('.')
    .flatMap((k) => (k.endsWith('[]') ? [k.slice(0, -2), '[]'] : [k]))
    .filter(Boolean);
  return keys.reduce<Ref[]>(
    (refs, key) => refs.flatMap((r) => (key === '[]' ? itemsOf(project, r) : (objectEntries(project, r).get(key) ?? []))),
    [ref],
  );
}

/**
 * Identifiers an expression depends on, followed up through module parameters to the file that has no caller
 * (main.bicep): `grantSentinelResponder` in a module → `enableIncidentPolling` in main.
 */
export function rootIdentifiers(project: Project, ref: Ref, seen: Set<string> = new Set()): Set<string> {
  const out = new Set<string>();
  for (const id of descendants(ref.node, ['identifier'])) {
    const key = `${ref.file.path}:${id.startIndex}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const d = declaration(ref.file, id.text, ['param', 'var']);
    const callers = d?.kind === 'param' ? callersOf(project, ref.file, d.name) : [];
    if (d?.kind === 'var') {
      const value = declaredValue(d);
      if (value) for (const x of rootIdentifiers(project, { file: ref.file, node: value }, seen)) out.add(x);
    } else if (callers.length) {
      for (const c of callers) for (const x of rootIdentifiers(project, c, seen)) out.add(x);
    } else out.add(id.text);
  }
  return out;
}
