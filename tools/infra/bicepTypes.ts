// Every resource of infra/ against Microsoft's published Bicep types (pinned subsets of Azure/bicep-types-az and, for the
// Microsoft Graph extension's Microsoft.Graph/* types, microsoftgraph/msgraph-bicep-types, vendored in
// test/infra/bicep-types/ by tools/infra/vendorBicepTypes.ts): the type@apiVersion exists, every property the Bicep
// sets exists on its object type (through arrays, dictionaries, unions and discriminated objects), no read-only
// property is set, and literal values fit the declared type. Expressions the parse tree cannot follow (function
// results, loop variables' members) are not checked. Modules from the public registry (br/public:avm/…) are compiled
// from their own types and cannot be checked offline: registryModules lists them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  allModules,
  allResources,
  callArguments,
  callName,
  itemsOf,
  lambdaBody,
  literalValue,
  objectEntries,
  type Project,
  type Ref,
  unwrap,
  where,
} from './bicep.js';

export const BICEP_TYPES_FILE = 'test/infra/bicep-types/types.json';
/** The Microsoft Graph Bicep extension's types (Microsoft.Graph/…@v1.0). */
export const GRAPH_TYPES_FILE = 'test/infra/bicep-types/microsoftgraph.json';

export const isGraphType = (typeAtVersion: string) => /^Microsoft\.Graph\//i.test(typeAtVersion);

/** bicep-types-az property flags (bicep-types src/types.ts ObjectTypePropertyFlags). */
export const FLAGS = { required: 1, readOnly: 2 } as const;

export interface VendoredProperty {
  readonly type: number;
  readonly flags: number;
}

/** A bicep-types type without its descriptions; indices point into VendoredTypes.types. */
export interface VendoredType {
  readonly $type: string;
  readonly name?: string;
  readonly properties?: Readonly<Record<string, VendoredProperty>>;
  readonly additionalProperties?: number;
  readonly discriminator?: string;
  readonly baseProperties?: Readonly<Record<string, VendoredProperty>>;
  /** DiscriminatedObjectType: discriminator value → object type. */
  readonly variants?: Readonly<Record<string, number>>;
  /** UnionType members. */
  readonly elements?: readonly number[];
  readonly itemType?: number;
  readonly value?: string;
}

export interface VendoredTypes {
  readonly source: { readonly repository: string; readonly commit: string; readonly files: Readonly<Record<string, string>> };
  /** `Microsoft.Web/sites@2024-04-01` → the index of its body type(s). */
  readonly resources: Readonly<Record<string, readonly number[]>>;
  readonly types: readonly VendoredType[];
}

/** The vendored sets: Azure's, then Microsoft Graph's. */
export function readVendoredTypes(root: string): VendoredTypes[] {
  return [BICEP_TYPES_FILE, GRAPH_TYPES_FILE].map((f) => JSON.parse(readFileSync(path.join(root, f), 'utf8')) as VendoredTypes);
}

const fileOf = (set: VendoredTypes) => (set.source.repository === 'Azure/bicep-types-az' ? BICEP_TYPES_FILE : GRAPH_TYPES_FILE);

/** Keys Bicep adds to every resource body; they are not properties of the resource type. */
const BICEP_KEYS = new Set(['parent', 'scope', 'dependsOn']);

const describe = (t: VendoredType | undefined) =>
  t?.$type === 'StringLiteralType' ? `'${t.value}'` : (t?.name ?? t?.$type.replace(/Type$/, '').toLowerCase() ?? '?');

export interface TypeProblem {
  readonly at: string;
  readonly message: string;
}

class Checker {
  readonly problems: TypeProblem[] = [];
  constructor(
    readonly project: Project,
    readonly vendored: VendoredTypes,
  ) {}

  type(i: number): VendoredType {
    return this.vendored.types[i] as VendoredType;
  }

  /** Problems of a value against a type, without recording them (for trying the members of a union). */
  trial(ref: Ref, typeIndex: number, at: string): TypeProblem[] {
    const saved = this.problems.length;
    this.value(ref, typeIndex, at);
    return this.problems.splice(saved);
  }

  value(ref: Ref, typeIndex: number, at: string): void {
    const t = this.type(typeIndex);
    const node = unwrap(ref.node);
    const report = (message: string) => this.problems.push({ at: where(ref.file, node), message: `${at} ${message}` });
    const literal = literalValue(node);
    switch (t.$type) {
      case 'AnyType':
        return;
      case 'UnionType': {
        const tries = (t.elements ?? []).map((e) => this.trial(ref, e, at));
        if (!tries.some((x) => x.length === 0)) this.problems.push(...(tries.find((x) => x.length) ?? []));
        return;
      }
      case 'StringLiteralType':
        if (typeof literal === 'string' && literal !== t.value) report(`is '${literal}'; the type allows ${describe(t)}`);
        else if (literal !== undefined && typeof literal !== 'string')
          report(`is ${JSON.stringify(literal)}; the type allows ${describe(t)}`);
        return;
      case 'StringType':
      case 'IntegerType':
      case 'BooleanType': {
        const expected = { StringType: 'string', IntegerType: 'number', BooleanType: 'boolean' }[t.$type];
        if (literal !== undefined && literal !== null && typeof literal !== expected)
          report(`is ${JSON.stringify(literal)}; the type is ${expected}`);
        return;
      }
      case 'ArrayType':
        for (const item of itemsOf(this.project, ref)) this.value(item, t.itemType as number, `${at}[]`);
        return;
      case 'ObjectType':
      case 'DiscriminatedObjectType':
        this.object(ref, typeIndex, at);
        return;
      default:
        return;
    }
  }

  /** The properties an object type accepts; for a discriminated one, those of the variant the literal selects. */
  accepted(t: VendoredType, entries: Map<string, Ref[]>, report: (m: string) => void): Map<string, VendoredProperty> | undefined {
    if (t.$type === 'ObjectType') return new Map(Object.entries(t.properties ?? {}));
    const base = Object.entries(t.baseProperties ?? {});
    const selector = entries.get(t.discriminator ?? '')?.[0];
    const chosen = selector ? literalValue(unwrap(selector.node)) : undefined;
    const variants = t.variants ?? {};
    if (typeof chosen === 'string') {
      const v = Object.hasOwn(variants, chosen) ? variants[chosen] : undefined;
      if (v === undefined) {
        report(`${t.discriminator} '${chosen}' is not one of ${Object.keys(variants).join(', ')}`);
        return undefined;
      }
      return new Map([...base, ...Object.entries(this.type(v).properties ?? {})]);
    }
    // Not literal: any variant's property may be meant.
    return new Map([...base, ...Object.values(variants).flatMap((v) => Object.entries(this.type(v).properties ?? {}))]);
  }

  object(ref: Ref, typeIndex: number, at: string, skip: ReadonlySet<string> = new Set()): void {
    const t = this.type(typeIndex);
    const node = unwrap(ref.node);
    const report = (message: string) => this.problems.push({ at: where(ref.file, node), message });
    // A dictionary built with toObject(items, key, value): each value against the dictionary's value type.
    if (callName(node) === 'toObject' && t.additionalProperties !== undefined) {
      const body = lambdaBody(callArguments(node)[2]);
      if (body) this.value({ file: ref.file, node: body }, t.additionalProperties, `${at}.*`);
      return;
    }
    const opaque: Ref[] = [];
    const entries = objectEntries(this.project, ref, new Map(), new Set(), opaque);
    // Only when every part was a literal is a missing required property really missing.
    const complete = opaque.length === 0;
    const accepted = this.accepted(t, entries, (m) => report(at ? `${at}.${m}` : m));
    if (!accepted) return;
    for (const [key, refs] of entries) {
      if (skip.has(key)) continue;
      const prop = accepted.get(key);
      const child = at ? `${at}.${key}` : key;
      if (!prop) {
        if (t.additionalProperties !== undefined) for (const r of refs) this.value(r, t.additionalProperties, child);
        else report(`${child} is not a property of ${describe(t)} (it has ${[...accepted.keys()].sort().join(', ')})`);
        continue;
      }
      if (prop.flags & FLAGS.readOnly) report(`${child} is read-only in ${describe(t)}: the service sets it`);
      for (const r of refs) this.value(r, prop.type, child);
    }
    if (complete)
      for (const [key, prop] of accepted)
        if (prop.flags & FLAGS.required && !(prop.flags & FLAGS.readOnly) && !entries.has(key) && !skip.has(key))
          report(`${at ? `${at}.` : ''}${key} is required by ${describe(t)}`);
  }
}

/** Problems of every resource of the project against the vendored types (Azure's and Microsoft Graph's). */
export function checkTypes(project: Project, sets: readonly VendoredTypes[]): TypeProblem[] {
  const problems: TypeProblem[] = [];
  for (const r of allResources(project)) {
    const name = `${r.type}@${r.apiVersion}`;
    const at = where(r.file, r.node);
    const set = sets.find((s) => Object.hasOwn(s.resources, name));
    const bodies = set?.resources[name];
    if (!set || !bodies?.length) {
      const expected = sets.find((s) => (s.source.repository === 'Azure/bicep-types-az') !== isGraphType(name)) ?? sets[0];
      const pin = expected ? `${expected.source.repository}@${expected.source.commit.slice(0, 12)}` : 'no vendored types';
      problems.push({
        at,
        message: `${name} is not in ${expected ? fileOf(expected) : BICEP_TYPES_FILE} (${pin}): run tools/infra/vendorBicepTypes.ts; if it is still missing, that type or apiVersion does not exist`,
      });
      continue;
    }
    if (r.existing || !r.body) continue;
    const checker = new Checker(project, set);
    const body = { file: r.file, node: r.body.object };
    const tries = bodies.map((b) => {
      const saved = checker.problems.length;
      checker.object(body, b, '', BICEP_KEYS);
      return checker.problems.splice(saved);
    });
    const best = tries.find((x) => x.length === 0) ?? tries[0] ?? [];
    problems.push(...best.map((p) => ({ at: p.at, message: `${name}: ${p.message}` })));
  }
  const used = new Set(allResources(project).map((r) => `${r.type}@${r.apiVersion}`));
  for (const set of sets)
    for (const name of Object.keys(set.resources))
      if (!used.has(name))
        problems.push({ at: fileOf(set), message: `vendors ${name}, which infra/ no longer uses: run tools/infra/vendorBicepTypes.ts` });
  return problems;
}

/** Registry modules (br/public:…): compiled from their own published types, not checkable offline. */
export function registryModules(project: Project): string[] {
  return [...new Set(allModules(project).flatMap((m) => (m.target === undefined ? [m.source] : [])))].sort();
}
