// The workbook as infra/modules/sentinel-content.bicep fills it: the Bicep expression of `workbookContent` is evaluated
// (replace, concat, interpolation, user functions, loadTextContent), so the test follows the module, not a copy of it.
// With an incident tag holding a quote, a double quote and a backslash, the result is still JSON, the Markdown shows the
// tag as given, and every query compiles with Microsoft's KQL parser and compares with exactly that tag.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Node } from 'web-tree-sitter';
import {
  callArguments,
  callName,
  declaration,
  declaredValue,
  loadedPath,
  type Project,
  type Ref,
  stringValue,
  unwrap,
} from '../../tools/infra/bicep.js';
import { loadProject, readInfraFiles } from '../../tools/infra/check.js';
import { checkKql, formatDiagnostics, isError } from '../../tools/infra/kql.js';
import { PER_TYPE_MODE, workspaceSchema } from '../../tools/infra/kqlSchema.js';
import { expandWorkbookParameters, type WorkbookItem, workbookQueries } from '../../tools/infra/shippedKql.js';

const MODULE = 'infra/modules/sentinel-content.bicep';
const ESCAPES: Readonly<Record<string, string>> = { '\\\\': '\\', "\\'": "'", '\\n': '\n', '\\r': '\r', '\\t': '\t', '\\$': '$' };

/** The string a Bicep expression evaluates to, with parameters (and opaque vars) given in `scope`. */
function evaluate(project: Project, ref: Ref, scope: ReadonlyMap<string, string>): string {
  const n = unwrap(ref.node);
  const value = (node: Node, inner = scope) => evaluate(project, { file: ref.file, node }, inner);
  if (n.type === 'string') {
    const literal = stringValue(n);
    if (literal !== undefined) return literal;
    return n.children
      .map((c) =>
        c.type === 'interpolation'
          ? value(c.namedChildren[0] as Node)
          : c.type === 'escape_sequence'
            ? (ESCAPES[c.text] ?? c.text)
            : c.type === 'string_content'
              ? c.text
              : '',
      )
      .join('');
  }
  if (n.type === 'identifier') {
    const given = scope.get(n.text);
    if (given !== undefined) return given;
    const v = declaration(ref.file, n.text, ['var']);
    if (v) return value(declaredValue(v) as Node);
    throw new Error(`no value for ${n.text}`);
  }
  const args = callArguments(n);
  switch (callName(n)) {
    case 'replace':
      return value(args[0] as Node).replaceAll(value(args[1] as Node), value(args[2] as Node));
    case 'concat':
      return args.map((a) => value(a)).join('');
    case 'loadTextContent':
      return project.files[loadedPath(ref.file, n) ?? ''] ?? '';
  }
  const fn = declaration(ref.file, callName(n) ?? '', ['func']);
  if (!fn) throw new Error(`cannot evaluate ${n.text}`);
  const names = fn.node.namedChildren.find((c) => c.type === 'parameters')?.namedChildren.map((p) => p.namedChildren[0]?.text ?? '') ?? [];
  return value(fn.node.namedChildren.at(-1) as Node, new Map(names.map((name, i) => [name, value(args[i] as Node)])));
}

let files: Record<string, string>;
beforeAll(() => {
  files = readInfraFiles();
});

async function workbook(incidentTag: string, edit?: [string, string]) {
  const copy = { ...files };
  if (edit) {
    expect(copy[MODULE]).toContain(edit[0]);
    copy[MODULE] = (copy[MODULE] as string).replace(edit[0], edit[1]);
  }
  const project = await loadProject(copy);
  const file = project.bicep.get(MODULE);
  const content = file && declaration(file, 'workbookContent', ['var']);
  if (!file || !content) throw new Error(`${MODULE} has no var workbookContent`);
  const scope = new Map([
    ['incidentTag', incidentTag],
    ['bridgeTables', 'WebhookEvents_CL, SentinelBridgeHealth_CL'],
    ['telemetryWorkspaceId', '/subscriptions/0/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/telemetry'],
  ]);
  return evaluate(project, { file, node: declaredValue(content) as Node }, scope);
}

const schema = workspaceSchema(PER_TYPE_MODE);
const tagged = (text: string) => {
  const items = (JSON.parse(text) as { items: WorkbookItem[] }).items;
  return { items, queries: workbookQueries(items).filter((q) => q.query.includes('Label')) };
};

describe('the workbook with the incident tag filled in', () => {
  const tag = `Bob's "SOC" \\ bridge`;

  it('stays JSON, shows the tag as given, and its queries compile comparing with exactly the tag', async () => {
    const { items, queries } = tagged(await workbook(tag));
    expect(JSON.stringify(items)).toContain(JSON.stringify(tag).slice(1, -1));
    expect(queries.length).toBe(2);
    for (const q of queries) {
      const kql = expandWorkbookParameters(q.query);
      // KQL's single-quoted string: \\ and \' escaped (learn.microsoft.com/kusto/query/scalar-data-types/string).
      expect(kql).toContain(`'Bob\\'s "SOC" \\\\ bridge'`);
      expect(formatDiagnostics(kql, checkKql(kql, schema).filter(isError))).toEqual([]);
    }
  });

  it('the default tag is put in unchanged', async () => {
    for (const q of tagged(await workbook('SentinelBridge')).queries) expect(q.query).toContain("'SentinelBridge'");
  });

  it('fails when the module pastes the tag into the KQL, or into the JSON, unescaped', async () => {
    const escaped = `jsonText('\\'\${kqlText(incidentTag)}\\'')`;
    const unescaped = await workbook(tag, [escaped, `jsonText('\\'\${incidentTag}\\'')`]);
    const kql = expandWorkbookParameters(tagged(unescaped).queries[0]?.query ?? '');
    expect(checkKql(kql, schema).filter(isError).length).toBeGreaterThan(0);
    const notJson = await workbook(tag, [escaped, `'\\'\${kqlText(incidentTag)}\\''`]);
    expect(() => JSON.parse(notJson)).toThrow();
  });
});
