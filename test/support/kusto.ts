// Microsoft's KQL parser (@kusto/language-service-next, a Bridge.NET build that defines the global `Kusto`), used to
// check query text the way the service reads it: diagnostics, and the value each `let` statement binds.
import { createRequire } from 'node:module';

// biome-ignore lint/suspicious/noExplicitAny: the Bridge.NET build ships no usable ES types
type Kql = any;

const require = createRequire(import.meta.url);
require('@kusto/language-service-next/bridge.min.js');
require('@kusto/language-service-next/Kusto.Language.Bridge.min.js');
const Kusto: Kql = (globalThis as Kql).Kusto;
const Syntax = Kusto.Language.Syntax;
const Kind = Syntax.SyntaxKind;

const items = (list: Kql): Kql[] => Array.from({ length: list.Count }, (_, i) => list.getItem(i));

/** The value of a literal expression as the parser reads it; string-building calls are evaluated. */
function literalValue(e: Kql): unknown {
  switch (e.Kind) {
    case Kind.StringLiteralExpression:
      return e.LiteralValue;
    case Kind.LongLiteralExpression:
    case Kind.RealLiteralExpression:
      return Number(e.LiteralValue);
    case Kind.BooleanLiteralExpression:
      return e.LiteralValue;
    case Kind.DynamicExpression:
      return items(e.GetDescendants(Syntax.LiteralExpression)).map(literalValue);
    case Kind.FunctionCallExpression: {
      const args = items(e.ArgumentList.Expressions).map((x) => literalValue(x.Element));
      const name = e.Name.SimpleName;
      if (name === 'strcat') return args.join('');
      if (name === 'make_string') return String.fromCodePoint(...(args as number[]));
      if (name === 'pack_array') return args;
      if (name === 'long' || name === 'real') return args[0];
      return `${name}(${e.ArgumentList.ToString()})`;
    }
    default:
      return e.ToString().trim();
  }
}

export interface ParsedKql {
  diagnostics: string[];
  /** Top-level statements (lets and the query). */
  statements: number;
  lets: Map<string, unknown>;
}

export function parseKql(text: string): ParsedKql {
  const code = Kusto.Language.KustoCode.Parse(text);
  const lets = new Map<string, unknown>();
  for (const s of items(code.Syntax.GetDescendants(Syntax.LetStatement))) lets.set(s.Name.SimpleName, literalValue(s.Expression));
  return {
    diagnostics: items(code.GetDiagnostics()).map((d) => String(d.Message)),
    statements: items(code.Syntax.GetDescendants(Syntax.Statement)).length,
    lets,
  };
}
