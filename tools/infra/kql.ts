// Parses and semantically checks KQL with Microsoft's own parser, Kusto.Language (npm @kusto/language-service-next,
// its JavaScript build): KustoCode.ParseAndAnalyze(text, globals) with a GlobalState holding one database of the
// schema's tables. Unknown columns, tables and functions, wrong argument types and keywords used as names are errors,
// as they are when Sentinel validates a rule. https://github.com/microsoft/Kusto-Query-Language
import type { ColumnType } from '../../shared/catalog/types.js';
import { kustoLanguage as loadKusto } from '../../shared/kql.js';
import type { KqlSchema } from './kqlSchema.js';

export interface KqlDiagnostic {
  /** Error, Warning, Suggestion or Information, as Kusto.Language names them. */
  readonly severity: string;
  /** Kusto.Language's diagnostic code, e.g. KS142 (unknown name). */
  readonly code: string;
  readonly message: string;
  /** Offset and length in the text; line and column (1-based) of the start. */
  readonly start: number;
  readonly length: number;
  readonly line: number;
  readonly column: number;
}

// The few members of the package's typings (Kusto.Language.Bridge.d.ts, a global `Kusto` namespace) used here; the
// package declares them as globals, which would leak into every file of the project if referenced.
interface TypeSymbol {
  readonly Name: string | null;
  /** A TableSymbol's columns (other symbols have none). */
  readonly Columns?: unknown;
}
interface ColumnSymbol {
  readonly Name: string | null;
  readonly Type: TypeSymbol | null;
}
interface Diagnostic {
  readonly Severity: string | null;
  readonly Code: string | null;
  readonly Message: string | null;
  readonly Start: number;
  readonly Length: number;
}
interface GlobalState {
  WithDatabase(database: unknown): GlobalState;
}
interface KustoLanguage {
  readonly GlobalState: { readonly Default: GlobalState };
  readonly KustoCode: {
    ParseAndAnalyze(text: string, globals: GlobalState): { GetDiagnostics(): unknown; readonly ResultType: TypeSymbol | null };
  };
  readonly Symbols: {
    readonly ScalarTypes: Record<'String' | 'Int' | 'Long' | 'Real' | 'Bool' | 'DateTime' | 'Dynamic' | 'Guid', TypeSymbol>;
    readonly ColumnSymbol: new (name: string, type: TypeSymbol) => unknown;
    readonly TableSymbol: { readonly $ctor4: new (name: string, columns: unknown[]) => unknown };
    readonly DatabaseSymbol: { readonly ctor: new (name: string, members: unknown[]) => unknown };
  };
}
interface BridgeGlobals {
  readonly Kusto: { readonly Language: KustoLanguage };
  readonly Bridge: { toArray<T>(list: unknown): T[] };
}

/** The parser, loaded once by the product's own loader (shared/kql.ts), typed with the members used here. */
const kustoLanguage = () => loadKusto() as unknown as BridgeGlobals;

const SCALAR: Record<ColumnType, keyof KustoLanguage['Symbols']['ScalarTypes']> = {
  string: 'String',
  int: 'Int',
  long: 'Long',
  real: 'Real',
  boolean: 'Bool',
  datetime: 'DateTime',
  dynamic: 'Dynamic',
  guid: 'Guid',
};

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

export interface KqlAnalysis {
  readonly diagnostics: readonly KqlDiagnostic[];
  /** The columns of the query's result (name and Kusto type name), when it is tabular. */
  readonly columns: readonly { readonly name: string; readonly type: string }[];
}

/** An analyzer for one schema: the parser's global state is built once, then each text is analyzed against it. */
export function kqlAnalyzer(schema: KqlSchema): (text: string) => KqlAnalysis {
  const { Kusto, Bridge } = kustoLanguage();
  const { Symbols, GlobalState, KustoCode } = Kusto.Language;
  const tables = schema.tables.map(
    (t) =>
      new Symbols.TableSymbol.$ctor4(
        t.name,
        t.columns.map((c) => new Symbols.ColumnSymbol(c.name, Symbols.ScalarTypes[SCALAR[c.type]])),
      ),
  );
  const globals = GlobalState.Default.WithDatabase(new Symbols.DatabaseSymbol.ctor('workspace', tables));
  return (text) => {
    const code = KustoCode.ParseAndAnalyze(text, globals);
    const diagnostics = Bridge.toArray<Diagnostic>(code.GetDiagnostics()).map((d) => ({
      severity: d.Severity ?? '',
      code: d.Code ?? '',
      message: d.Message ?? '',
      start: d.Start,
      length: d.Length,
      ...position(text, d.Start),
    }));
    const columns = code.ResultType?.Columns ? Bridge.toArray<ColumnSymbol>(code.ResultType.Columns) : [];
    return { diagnostics, columns: columns.map((c) => ({ name: c.Name ?? '', type: c.Type?.Name ?? '' })) };
  };
}

/** Every diagnostic Kusto.Language reports for `text` against `schema`. */
export function checkKql(text: string, schema: KqlSchema): readonly KqlDiagnostic[] {
  return kqlAnalyzer(schema)(text).diagnostics;
}

export const isError = (d: KqlDiagnostic) => d.severity === 'Error';

/** One line per diagnostic: `line:column severity code message («text»)`. */
export function formatDiagnostics(text: string, diagnostics: readonly KqlDiagnostic[]): string[] {
  return diagnostics.map(
    (d) => `${d.line}:${d.column} ${d.severity} ${d.code} ${d.message}${d.length ? ` («${text.slice(d.start, d.start + d.length)}»)` : ''}`,
  );
}
