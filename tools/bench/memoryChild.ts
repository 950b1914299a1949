// Child process of the memory benchmark: the local host serving only the ingest function, configured from the
// environment, so the parent can watch this process's RSS alone while it takes bodies at the size limit. With
// `--naive` it serves the naive pipeline instead: the whole body decoded to one string, parsed to one tree, every
// row built, then packed (the bridge's own steps, in that order, as ingest ran before it read bodies record by record).
import type { HttpFunction } from '../../functions/types.js';
import { loadConfig } from '../../shared/config.js';
import { answer, json } from '../../shared/http.js';
import { decodeContent, parseJson, readBody } from '../../shared/ingest/body.js';
import { decodeText } from '../../shared/ingest/text.js';
import { validateElements } from '../../shared/ingest/validate.js';
import { appOf } from '../dev/apps.js';
import { ingestOnlyHost } from './ingestHost.js';

const naiveIngest: HttpFunction = {
  kind: 'http',
  name: 'ingestEvents',
  route: 'events/{source?}',
  methods: ['POST'],
  authLevel: 'function',
  handler: ({ ingest: deps }, request) =>
    answer(async () => {
      const source = deps.catalog.source(request.params.source ?? 'generic');
      if (!source) return json(404, {});
      const limit = deps.config.INGEST_MAX_BODY_BYTES;
      const value = parseJson(decodeText(await decodeContent(request, await readBody(request, limit), limit), 'utf-8'));
      const batch = validateElements(Array.isArray(value) ? value : [value], {
        catalog: deps.catalog,
        source,
        context: { receivedAt: new Date().toISOString() },
      });
      // The naive pipeline serializes its whole row set at the end, for the queue.
      await deps.committer.submit(new Map([...batch.streams].map(([stream, rows]) => [stream, rows.map((r) => JSON.stringify(r))])));
      return json(202, { accepted: batch.accepted, rejected: batch.rejected });
    }),
};

const host = ingestOnlyHost(appOf(loadConfig()), (line) => console.error(line), process.argv.includes('--naive') ? naiveIngest : undefined);
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
