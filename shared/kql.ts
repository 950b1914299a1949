// The KQL parameters an enrichment query may use, and the start-time syntax check of a query with Microsoft's own
// parser (Kusto.Language, npm @kusto/language-service-next, its JavaScript build). The parser costs about a second to
// load and a few more on first use, so it is loaded only when a destination has queries (the first call here).
import { createRequire } from 'node:module';

/** The `let` statements the bridge puts before each query, with the type each value has. */
export const ENRICH_QUERY_PARAMETERS = {
  incidentNumber: { type: 'long', doc: 'the incident number' },
  incidentName: { type: 'string', doc: "the incident's name (a GUID; the SecurityIncident table's IncidentName)" },
  incidentId: { type: 'string', doc: "the incident's full id (ARM id; Graph: the incident id)" },
  incidentCreated: { type: 'datetime', doc: 'when the incident was created' },
  alertIds: { type: 'dynamic', doc: "the alerts' ids (SecurityAlert's SystemAlertId), a list" },
  ipAddresses: { type: 'dynamic', doc: "the IP entities' addresses, a list" },
  accounts: { type: 'dynamic', doc: "the account entities' names and UPNs, a list" },
  hosts: { type: 'dynamic', doc: "the host entities' names and FQDNs, a list" },
} as const;

export type EnrichQueryParameter = keyof typeof ENRICH_QUERY_PARAMETERS;

// Values of the declared types, for the check only: the text checked has the same statements as the text run.
const PLACEHOLDER = { long: 'long(0)', string: '""', datetime: 'datetime(null)', dynamic: 'dynamic([])' } as const;

interface Diagnostic {
  readonly Severity: string | null;
  readonly Message: string | null;
  readonly Start: number;
}
/** The few members of the parser's globals used here (its typings declare globals, which would leak project-wide). */
export interface KustoGlobals {
  readonly Kusto: { readonly Language: { readonly KustoCode: { Parse(text: string): KustoParse } } };
  readonly Bridge: { toArray<T>(list: unknown): T[] };
}
// biome-ignore lint/suspicious/noExplicitAny: the syntax tree is walked by the emulator through the parser's own API
export type KustoParse = { GetDiagnostics(): unknown; readonly Syntax: any };

/** Loads the parser (its two scripts define the globals `Bridge` and `Kusto`; Node's module cache keeps them). */
export function kustoLanguage(): KustoGlobals {
  const require = createRequire(import.meta.url);
  require('@kusto/language-service-next/bridge.min.js');
  require('@kusto/language-service-next/Kusto.Language.Bridge.min.js');
  return globalThis as unknown as KustoGlobals;
}

/** The declarations of every parameter, as one line per `let`. */
export function parameterDeclarations(): string {
  return Object.entries(ENRICH_QUERY_PARAMETERS)
    .map(([name, p]) => `let ${name} = ${PLACEHOLDER[p.type]};`)
    .join('\n');
}

/** The parser's syntax errors in `query` (with the parameters declared before it), as `line L, column C: message`;
 * undefined when it parses. Names are not resolved: the workspace's tables are not known at start. */
export function kqlSyntaxProblem(query: string): string | undefined {
  const { Kusto, Bridge } = kustoLanguage();
  const prefix = `${parameterDeclarations()}\n`;
  const code = Kusto.Language.KustoCode.Parse(prefix + query);
  const errors = Bridge.toArray<Diagnostic>(code.GetDiagnostics()).filter((d) => d.Severity === 'Error');
  if (!errors.length) return undefined;
  return errors
    .slice(0, 3)
    .map((d) => {
      const before = query.slice(0, Math.max(0, d.Start - prefix.length)).split('\n');
      return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}: ${d.Message ?? 'syntax error'}`;
    })
    .join('; ');
}
