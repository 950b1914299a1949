// Reads KQL text the way the service does, with Microsoft's parser (shared/kql.ts loads it): diagnostics, the value
// each `let` statement binds (string-building calls evaluated), and the rest of the text. The Log Analytics query
// emulator matches its seeded answers on that rest and filters rows by a let's value, so a value that stayed a literal
// is compared as one and a value that broke out of its literal shows up as query text; tests read queries with it too.
import { kustoLanguage } from '../../shared/kql.js';

// biome-ignore lint/suspicious/noExplicitAny: the Bridge.NET build ships no usable ES types for the syntax tree
type Kql = any;

const items = (list: Kql): Kql[] => Array.from({ length: list.Count }, (_, i) => list.getItem(i));

/** The value of a literal expression as the parser reads it; string-building calls are evaluated. */
function literalValue(e: Kql, Kind: Kql, Syntax: Kql): unknown {
  const value = (x: Kql) => literalValue(x, Kind, Syntax);
  switch (e.Kind) {
    case Kind.StringLiteralExpression:
      return e.LiteralValue;
    case Kind.LongLiteralExpression:
    case Kind.RealLiteralExpression:
      return Number(e.LiteralValue);
    case Kind.BooleanLiteralExpression:
      return e.LiteralValue;
    case Kind.DynamicExpression:
      return items(e.GetDescendants(Syntax.LiteralExpression)).map(value);
    case Kind.FunctionCallExpression: {
      const args = items(e.ArgumentList.Expressions).map((x) => value(x.Element));
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
  /** The text after the last top-level `let` statement. */
  body: string;
}

export function parseKql(text: string): ParsedKql {
  const { Kusto } = kustoLanguage() as unknown as { Kusto: Kql };
  const Syntax = Kusto.Language.Syntax;
  const code = Kusto.Language.KustoCode.Parse(text);
  const lets = new Map<string, unknown>();
  let end = 0;
  for (const s of items(code.Syntax.GetDescendants(Syntax.LetStatement))) {
    lets.set(s.Name.SimpleName, literalValue(s.Expression, Syntax.SyntaxKind, Syntax));
    end = Math.max(end, s.End);
  }
  const rest = text.slice(end).replace(/^\s*;/, '');
  return {
    diagnostics: items(code.GetDiagnostics()).map((d) => String(d.Message)),
    statements: items(code.Syntax.GetDescendants(Syntax.Statement)).length,
    lets,
    body: rest.trim(),
  };
}
