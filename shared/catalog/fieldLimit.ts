// The Logs Ingestion API cuts any field value over 64 KB, silently: "Maximum size for field values: 64 KB — Fields
// longer than 64 KB are truncated." (learn.microsoft.com/azure/azure-monitor/fundamentals/service-limits
// #logs-ingestion-api). So the bridge cuts first, where it still has the whole record, and names what it cut.
// The unit is bytes: the service's own trim warning for its former 32 KB limit reads "trimmed to the max allowed
// size, 32766 bytes" (github.com/Azure/Azure-Sentinel/issues/9705) — 32 KiB − 2. We count UTF-8 bytes (the encoding
// of the request body; never fewer than the characters or UTF-16 units the service might count instead), cut on a
// character boundary, and stay 2 bytes under 64 KiB in case the new limit is built the same way.
// A dynamic value (RawData, dynamic columns) and the JSON text of a 'json' RawData stay valid JSON: their longest
// strings are shortened, so parse_json() and dot paths still work in KQL.
import type { JsonRecord, TableDef } from './types.js';

/** The documented limit: 64 KB = 65,536 bytes. */
export const MAX_FIELD_BYTES = 64 * 1024;
/** What the bridge cuts a value to (see above). */
export const FIELD_BUDGET_BYTES = MAX_FIELD_BYTES - 2;
/** Above this many cut paths in one column, Truncated names the column alone (the list must itself stay small). */
export const MAX_CUT_PATHS_PER_COLUMN = 100;

/** Bytes one UTF-16 unit (or a surrogate pair, `pair`) adds: as UTF-8 text, or inside a JSON string literal. */
type Cost = (code: number, pair: boolean) => number;

const utf8Cost: Cost = (c, pair) => (pair ? 4 : c < 0x80 ? 1 : c < 0x800 ? 2 : 3);

const SHORT_ESCAPES = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x22, 0x5c]);
/** What JSON.stringify writes: \" \\ \b \t \n \f \r, \u00XX for other controls and for lone surrogates. */
const jsonCost: Cost = (c, pair) => {
  if (pair) return 4;
  if (SHORT_ESCAPES.has(c)) return 2;
  if (c < 0x20 || (c >= 0xd800 && c <= 0xdfff)) return 6;
  return utf8Cost(c, false);
};

/** The longest prefix of `text` whose cost is ≤ max; a surrogate pair is kept whole or dropped whole. */
function cutBy(text: string, max: number, cost: Cost): string {
  let used = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    const pair = c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
    used += cost(c, pair);
    if (used > max) break;
    i += pair ? 2 : 1;
  }
  return text.slice(0, i);
}

/** `text` cut to at most `max` UTF-8 bytes, never inside a character or a surrogate pair. */
export function cutUtf8(text: string, max: number = FIELD_BUDGET_BYTES): string {
  return Buffer.byteLength(text, 'utf8') <= max ? text : cutBy(text, max, utf8Cost);
}

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');

interface Leaf {
  path: string;
  holder: Record<string, unknown> | unknown[];
  key: string;
  text: string;
  /** Bytes of its JSON string literal, quotes included. */
  size: number;
}

function stringLeaves(value: unknown, path: string, out: Leaf[]): void {
  if (typeof value !== 'object' || value === null) return;
  for (const [key, child] of Object.entries(value)) {
    const at = `${path}.${key}`;
    if (typeof child === 'string') out.push({ path: at, holder: value as Leaf['holder'], key, text: child, size: jsonBytes(child) });
    else stringLeaves(child, at, out);
  }
}

/**
 * The cap L such that cutting every string literal longer than L to L saves at least `excess` bytes while leaving
 * the shorter strings whole ("water filling": the big strings give up the same length); undefined when even empty
 * strings do not save enough.
 */
function capFor(sizes: readonly number[], excess: number): number | undefined {
  let sum = 0;
  for (let k = 1; k <= sizes.length; k++) {
    sum += sizes[k - 1] ?? 0;
    const cap = Math.floor((sum - excess) / k);
    if (cap >= 2 && cap >= (sizes[k] ?? 2)) return cap;
  }
  return undefined;
}

export interface Fitted {
  value: unknown;
  /** Paths cut, starting with `name`; [name] alone when the value had to become a cut string. */
  cut: string[];
}

/**
 * A JSON value whose text fits in `max` bytes: its longest strings shortened, valid JSON still. When the strings
 * cannot give up enough (thousands of small fields), the value becomes the first `max` bytes of its JSON text as a
 * string — what the service would have stored, but said.
 */
export function fitJson(name: string, value: unknown, max: number = FIELD_BUDGET_BYTES): Fitted {
  const json = JSON.stringify(value) ?? 'null';
  // A UTF-16 unit is at most 3 UTF-8 bytes: most values fit without counting.
  if (json.length * 3 <= max) return { value, cut: [] };
  const total = Buffer.byteLength(json, 'utf8');
  if (total <= max) return { value, cut: [] };
  // A copy to cut in; JSON.parse keeps a "__proto__" key as data.
  const copy = JSON.parse(json) as unknown;
  const leaves: Leaf[] = [];
  stringLeaves(copy, name, leaves);
  leaves.sort((a, b) => b.size - a.size);
  const cap = capFor(
    leaves.map((l) => l.size),
    total - max,
  );
  if (cap === undefined) return { value: cutUtf8(json, max), cut: [name] };
  const cut: string[] = [];
  for (const leaf of leaves) {
    if (leaf.size <= cap) break;
    const shorter = cutBy(leaf.text, cap - 2, jsonCost);
    Object.defineProperty(leaf.holder, leaf.key, { value: shorter, enumerable: true, writable: true, configurable: true });
    cut.push(leaf.path);
  }
  return { value: copy, cut: cut.length > MAX_CUT_PATHS_PER_COLUMN ? [name] : cut.sort() };
}

export interface FittedRow {
  row: JsonRecord;
  /** Cut fields: a column name, or `Column.path.inside` for a field inside a dynamic value or a 'json' RawData. */
  cut: string[];
}

const parsedObject = (text: string): JsonRecord | undefined => {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonRecord) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The row with every value cut to fit the field limit, and the paths it cut; `types` are the table's columns by name
 * (Catalog.columnTypes). A 'json' RawData is rebuilt from
 * `record` (the original; else RawData's own JSON) with its longest strings shortened, so it stays parseable.
 */
export function fitRow(
  table: TableDef,
  types: ReadonlyMap<string, string>,
  row: JsonRecord,
  record?: JsonRecord,
  max: number = FIELD_BUDGET_BYTES,
): FittedRow {
  let fitted: JsonRecord | undefined;
  const cut: string[] = [];
  const put = (name: string, value: unknown, paths: string[]) => {
    fitted ??= { ...row };
    fitted[name] = value;
    cut.push(...paths);
  };
  for (const [name, value] of Object.entries(row)) {
    if (typeof value === 'string') {
      if (value.length * 3 <= max || Buffer.byteLength(value, 'utf8') <= max) continue;
      const whole = name === 'RawData' && table.rawData === 'json' ? (record ?? parsedObject(value)) : undefined;
      if (whole) {
        const json = fitJson(name, whole, max);
        put(name, typeof json.value === 'string' ? json.value : JSON.stringify(json.value), json.cut);
      } else put(name, cutUtf8(value, max), [name]);
    } else if (typeof value === 'object' && value !== null && types.get(name) === 'dynamic') {
      const json = fitJson(name, value, max);
      if (json.cut.length) put(name, json.value, json.cut);
    }
  }
  return { row: fitted ?? row, cut };
}
