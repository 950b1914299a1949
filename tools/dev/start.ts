// `npm start`: Azurite, the emulators and the local Functions host, configured from local.settings(.sample).json.
// Variables already set in the shell win over the file, so tests and users can override any setting.
import { WALLARM_DEFAULT_TABLE } from '../../shared/catalog/wallarm.js';
import { applySettings, devSettings, localSettingsValues, rulesForWallarmTable } from './settings.js';

const { file, values } = localSettingsValues();
applySettings(values);
const rules = rulesForWallarmTable(process.env.LOGS_INGESTION_RULES, process.env.WALLARM_TABLE || undefined, WALLARM_DEFAULT_TABLE);
if (rules) process.env.LOGS_INGESTION_RULES = rules;

const { startLocalStack } = await import('./stack.js');
const stack = await startLocalStack(devSettings()).catch((e: Error) => {
  // A bad setting is the user's to fix: say which, without a stack trace.
  console.error(e.name === 'ConfigError' || e.name === 'StackError' ? e.message : (e.stack ?? e.message));
  process.exit(1);
});
console.log(`Sentinel Bridge local stack (settings from ${file})`);
for (const [name, url] of Object.entries(stack.urls)) console.log(`  ${name.padEnd(16)} ${url}`);
console.log(`Try: curl -s -X POST ${stack.urls.host}/events/generic -H 'content-type: application/json' -d '{"hello":"sentinel"}'`);
console.log('     then: npm run demo (a guided tour), or see README.md "Send events".');
console.log('Ctrl-C stops everything.');

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
