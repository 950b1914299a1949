// Settings of the local tooling (ports, data folder) — not app settings; the app's own live in shared/config.ts —
// and what the local host does with app settings that the Functions host does in Azure (loading, %SETTING%).
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';

const port = (dflt: number) => z.coerce.number().int().min(0).max(65535).default(dflt);

export const devSettingsSchema = z.object({
  HOST_PORT: port(7071),
  AZURITE_BLOB_PORT: port(10000),
  AZURITE_QUEUE_PORT: port(10001),
  AZURITE_TABLE_PORT: port(10002),
  LOGS_INGESTION_EMULATOR_PORT: port(7443),
  SENTINEL_EMULATOR_PORT: port(7444),
  SINK_PORT: port(7445),
  GRAPH_EMULATOR_PORT: port(7446),
  LOG_ANALYTICS_EMULATOR_PORT: port(7447),
  PAGERDUTY_EMULATOR_PORT: port(7448),
  LOCAL_DATA_DIR: z.string().default('.local'),
});

export type DevSettings = z.output<typeof devSettingsSchema>;

export function devSettings(env: Record<string, string | undefined> = process.env): DevSettings {
  const parsed = devSettingsSchema.safeParse(env);
  if (!parsed.success)
    throw new Error(`Invalid local settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Values of local.settings.json, else of local.settings.sample.json. */
export function localSettingsValues(dir = '.'): { file: string; values: Record<string, string> } {
  const file = existsSync(`${dir}/local.settings.json`) ? `${dir}/local.settings.json` : `${dir}/local.settings.sample.json`;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, string> };
  return { file, values: parsed.Values ?? {} };
}

/**
 * The local rules as the Bicep would make them for a custom WALLARM_TABLE: the single Wallarm table's stream takes the
 * place of the default one (the Bicep names that table after its wallarmTable parameter). Other rules are unchanged.
 */
export function rulesForWallarmTable(
  rulesJson: string | undefined,
  wallarmTable: string | undefined,
  defaultTable: string,
): string | undefined {
  if (!rulesJson || !wallarmTable || wallarmTable === defaultTable) return rulesJson;
  let rules: { streams?: unknown }[];
  try {
    rules = JSON.parse(rulesJson) as { streams?: unknown }[];
  } catch {
    return rulesJson; // the app's config check reports it
  }
  if (!Array.isArray(rules)) return rulesJson;
  const from = `Custom-${defaultTable}`;
  const to = `Custom-${wallarmTable}`;
  return JSON.stringify(rules.map((r) => (Array.isArray(r.streams) ? { ...r, streams: r.streams.map((s) => (s === from ? to : s)) } : r)));
}

/** Overlays settings onto the environment without replacing ones already set (the shell wins over the file). */
export function applySettings(values: Record<string, string>, env: Record<string, string | undefined> = process.env): void {
  for (const [k, v] of Object.entries(values)) if (env[k] === undefined) env[k] = v;
}

/** Resolves a Functions binding expression like `%INCIDENT_POLL_SCHEDULE%` the way the host does: from the settings. */
export function resolveAppSetting(expression: string, settings: Readonly<Record<string, unknown>>): string {
  return expression.replace(/%([A-Za-z0-9_]+)%/g, (_, key: string) => {
    if (!Object.hasOwn(settings, key) || settings[key] === undefined) throw new Error(`Binding expression %${key}% names no setting`);
    return String(settings[key]);
  });
}
