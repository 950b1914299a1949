// Property tests: whatever a sender posts, decoding and validation answer with accepted rows or a 4xx reason —
// never an exception that would become a 500.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCatalog } from '../../shared/catalog/index.js';
import { HttpError } from '../../shared/http.js';
import { parseElements } from '../../shared/ingest/body.js';
import { validateElements } from '../../shared/ingest/validate.js';

const catalogs = [buildCatalog(), buildCatalog({ wallarmTable: 'WallarmSentinel_CL' })];
const context = { receivedAt: '2026-11-25T10:00:00.000Z' };

/** JSON shaped like the sources' records: Wallarm envelopes, MCAS rows, anything. */
const wallarmLike = fc.record(
  {
    summary: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    description: fc.oneof(fc.string(), fc.jsonValue()),
    details: fc.record(
      {
        client_name: fc.oneof(fc.string(), fc.integer()),
        notification_type: fc.oneof(
          fc.constantFrom('new_hits', 'security_issue', 'vuln', 'ip_blocked', 'new_scope_object_ips', 'compromised_logins'),
          fc.string(),
          fc.integer(),
          fc.jsonValue(),
        ),
        hit: fc.dictionary(
          fc.constantFrom('id', 'type', 'domain', 'host', 'request_time', 'response_time', 'remote_port', 'anomaly'),
          fc.jsonValue(),
        ),
        risk: fc.oneof(fc.constantFrom('critical', 'high', 'medium', 'low', 'info'), fc.jsonValue()),
        expire_at: fc.oneof(fc.string(), fc.integer(), fc.double()),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);
const mcasLike = fc.dictionary(
  fc.constantFrom('TimeGenerated', 'AppId', 'AppScore', 'TotalEvents', 'AppTags', 'UserName', 'Date', 'TenantId', 'Type'),
  fc.jsonValue(),
);
const element = fc.oneof(wallarmLike, mcasLike, fc.jsonValue());

describe('ingest never throws on odd input', () => {
  it('parseElements returns elements or a 400 for any bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
        ),
        (text) => {
          try {
            expect(Array.isArray(parseElements(Buffer.from(text)))).toBe(true);
          } catch (e) {
            expect(e).toBeInstanceOf(HttpError);
            expect((e as HttpError).status).toBe(400);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('validateElements accounts for every element of every source, in both Wallarm modes', () => {
    fc.assert(
      fc.property(
        fc.array(element, { maxLength: 8 }),
        fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
        (elements, typeHint) => {
          for (const catalog of catalogs) {
            for (const source of catalog.sources) {
              const result = validateElements(elements, { catalog, source, typeHint, context });
              const rows = [...result.streams.values()].reduce((n, r) => n + r.length, 0);
              expect(rows).toBe(result.accepted);
              for (const r of result.rejected) expect(r.error.length).toBeGreaterThan(0);
              // Every element is either accepted or reported by its index, never both, never neither.
              const reported = new Set(result.rejected.map((r) => r.index));
              expect(result.rejected).toHaveLength(reported.size);
              if (!source.unwrap) expect(result.accepted + reported.size).toBe(elements.length);
              for (const rowsOfStream of result.streams.values())
                for (const row of rowsOfStream) expect(typeof row.TimeGenerated).toBe('string');
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
