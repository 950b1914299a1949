// Child process of the memory benchmark: the local host serving only the real ingest function, configured from the
// environment, so the parent can watch this process's RSS alone while it takes a body at the size limit.
import { loadConfig } from '../../shared/config.js';
import { appOf } from '../dev/apps.js';
import { ingestOnlyHost } from './ingestHost.js';

const host = ingestOnlyHost(appOf(loadConfig()), (line) => console.error(line));
await host.start();
console.log(`READY ${host.url}`);
// Never outlive the bench: when it goes away (killed, crashed), so does this process.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 1000).unref();
process.once('SIGTERM', () => {
  void host.stop().then(() => process.exit(0));
});
