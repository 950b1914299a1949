// What the reliability core delivers to: a Logs Ingestion stream (events) or an incident destination. Circuit,
// stats, parked and dead-letter rows are keyed by `targetKey`; code decides by `kind`, never by the key's spelling.

export type Target = { kind: 'stream'; stream: string } | { kind: 'destination'; destination: string };

export const streamTarget = (stream: string): Target => ({ kind: 'stream', stream });
export const destinationTarget = (destination: string): Target => ({ kind: 'destination', destination });

const DESTINATION_PREFIX = 'destination:';
const STREAM = /^Custom-[A-Za-z][A-Za-z0-9_]*$/;

/** The stored key of a target: the stream name itself, or `destination:<name>` (keys of existing rows). */
export const targetKey = (t: Target): string => (t.kind === 'stream' ? t.stream : `${DESTINATION_PREFIX}${t.destination}`);

/** The target a stored key names; undefined for keys that name no target (unreadable messages). */
export function targetOf(key: string): Target | undefined {
  if (key.startsWith(DESTINATION_PREFIX)) return destinationTarget(key.slice(DESTINATION_PREFIX.length));
  return STREAM.test(key) ? streamTarget(key) : undefined;
}

/** Where a queue message that cannot be read is kept: it names no target, so no replay puts it back. */
export const UNREADABLE_KEY = '_unreadable';

export const isKind = (key: string, kind: Target['kind']): boolean => targetOf(key)?.kind === kind;
