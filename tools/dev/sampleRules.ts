// LOGS_INGESTION_RULES for the local stack: the same stream → DCR grouping the Bicep deploys, pointed at the Logs
// Ingestion emulator. `tsx tools/dev/sampleRules.ts --write` refreshes local.settings.sample.json; a test keeps it current.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { catalogView } from '../infra/catalogView.js';
import { groupStreams } from '../infra/dcrGroups.js';

export const LOCAL_LOGS_ENDPOINT = 'https://127.0.0.1:7443';

export function localRules(endpoint = LOCAL_LOGS_ENDPOINT): { endpoint: string; ruleId: string; streams: string[] }[] {
  return groupStreams(catalogView()).map((g) => ({
    endpoint,
    ruleId: `dcr-${createHash('sha256').update(g.name).digest('hex').slice(0, 32)}`,
    streams: g.tables.map((t) => t.stream),
  }));
}

const SAMPLE = 'local.settings.sample.json';

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const sample = JSON.parse(readFileSync(SAMPLE, 'utf8')) as { Values: Record<string, string> };
  sample.Values.LOGS_INGESTION_RULES = JSON.stringify(localRules());
  if (process.argv.includes('--write')) writeFileSync(SAMPLE, `${JSON.stringify(sample, null, 2)}\n`);
  console.log(sample.Values.LOGS_INGESTION_RULES);
}
