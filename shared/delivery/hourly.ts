// The hourly timer: flush counters, write the health record of the hour that just ended into
// SentinelBridgeHealth_CL (once, whichever instance gets there first), and probe disabled targets.
import { HEALTH_TABLE } from '../catalog/bridge.js';
import type { TableDrift } from '../catalog/drift.js';
import { toRow } from '../catalog/rows.js';
import { streamOf } from '../catalog/tables.js';
import type { EventType, JsonRecord } from '../catalog/types.js';
import { MB } from '../reliability/costGuard.js';
import { hourKey } from '../reliability/stats.js';
import { isKind } from '../reliability/targets.js';
import type { DeliveryDeps } from './deliver.js';
import { replay } from './replay.js';

const HEALTH_TYPE: EventType = {
  source: 'bridge',
  type: 'health',
  description: 'Hourly delivery health.',
  table: HEALTH_TABLE,
  time: ['hourStart'],
};
export const HEALTH_STREAM = streamOf(HEALTH_TABLE.table);

/** Inserts a marker row; false when another instance already did this hour. */
async function claimHour(deps: DeliveryDeps, hour: string): Promise<boolean> {
  try {
    await deps.stats.table.createEntity({ partitionKey: 'health-record', rowKey: hour });
    return true;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 409) return false;
    throw e;
  }
}

/** Fields of the health record's SchemaDrift: at most this many per stream, most frequent first. */
export const HEALTH_DRIFT_FIELDS = 20;

/** The drift fields last seen at or after the hour's start (the record is written after the hour). */
function hourDrift(drift: TableDrift | undefined, hourStart: string): JsonRecord[] {
  return (drift?.fields ?? [])
    .filter((f) => f.lastSeen >= hourStart)
    .slice(0, HEALTH_DRIFT_FIELDS)
    .map(({ path, kind, column, types, count, unconverted, lastSeen }) => ({
      path,
      kind,
      ...(column ? { column } : {}),
      types,
      count,
      unconverted,
      lastSeen,
    }));
}

export async function writeHealthRecord(deps: DeliveryDeps, hour: string): Promise<number> {
  if (!(await claimHour(deps, hour))) return 0;
  const states = new Map((await deps.circuit.list()).map((t) => [t.target, t.enabled]));
  // Capped streams carry their day's cap and usage (in RawData): the record shows a cap was reached.
  const caps = new Map((await deps.costGuard.usage(hour.slice(0, 8))).map((c) => [c.stream, c]));
  const rows: JsonRecord[] = [];
  const hourStart = `${hour.slice(0, 4)}-${hour.slice(4, 6)}-${hour.slice(6, 8)}T${hour.slice(8, 10)}:00:00.000Z`;
  const drift = new Map((await deps.usage.drift()).map((d) => [streamOf(d.table), d]));
  for (const [stream, counts] of await deps.stats.hour(hour)) {
    if (stream === HEALTH_STREAM) continue;
    const cap = caps.get(stream);
    const capFields = cap ? { dailyCapMb: cap.capBytes / MB, deliveredTodayMb: cap.usedBytes / MB, capped: cap.capped } : {};
    const schemaDrift = hourDrift(drift.get(stream), hourStart);
    const result = toRow(
      HEALTH_TYPE,
      HEALTH_TABLE,
      { stream, ...counts, enabled: states.get(stream) ?? true, hourStart, ...capFields, ...(schemaDrift.length ? { schemaDrift } : {}) },
      { receivedAt: new Date(deps.now()).toISOString() },
    );
    if (result.ok) rows.push(result.row);
  }
  // Through the queue like any event: the same retries and dead letters apply to our own record.
  if (rows.length) await deps.writer.write(HEALTH_STREAM, rows);
  return rows.length;
}

/** Tries the oldest parked item of each disabled target; success re-enables it and replays the rest. */
export async function probeDisabledTargets(deps: DeliveryDeps): Promise<string[]> {
  const reenabled: string[] = [];
  for (const target of (await deps.circuit.list()).filter((t) => !t.enabled && isKind(t.target, 'stream'))) {
    const [oldest] = (await deps.parked.list(target.target)).sort((a, b) => a.key.localeCompare(b.key));
    if (oldest) {
      const result = await deps.sender.send(target.target, await deps.parked.rows(oldest));
      deps.usage.record(target.target, result.deliveredBytes);
      if (result.failures.length) {
        deps.log.warn({ target: target.target, reason: result.failures[0]?.info.reason }, 'probe failed; target stays disabled');
        continue;
      }
      await deps.parked.remove(oldest);
    }
    await replay(deps, { stream: target.target, include: 'parked' });
    reenabled.push(target.target);
    await deps.notify({
      type: 'sentinelbridge.target.enabled',
      target: target.target,
      at: new Date(deps.now()).toISOString(),
      message: `Target ${target.target} re-enabled by the hourly probe; parked events replayed.`,
    });
  }
  return reenabled;
}

export async function runHourly(deps: DeliveryDeps): Promise<{ healthRows: number; reenabled: string[] }> {
  await deps.stats.flush();
  const healthRows = await writeHealthRecord(deps, hourKey(deps.now() - 3600_000));
  const reenabled = await probeDisabledTargets(deps);
  return { healthRows, reenabled };
}
