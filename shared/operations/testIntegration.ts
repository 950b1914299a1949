// POST /api/test — "Test integration": one test record per configured stream, sent now, with per-stream advice.
import { randomUUID } from 'node:crypto';
import { streamOf } from '../catalog/tables.js';
import type { DeliveryDeps } from '../delivery/deliver.js';
import type { BridgeResponse } from '../http.js';

export interface StreamTestResult {
  stream: string;
  ruleId: string | null;
  ok: boolean;
  status?: number;
  advice?: string;
}

export async function handleTestIntegration(deps: DeliveryDeps): Promise<BridgeResponse> {
  const now = new Date(deps.now()).toISOString();
  const configured = deps.config.LOGS_INGESTION_RULES.flatMap((r) => r.streams.map((stream) => ({ stream, ruleId: r.ruleId })));
  const known = new Set(configured.map((c) => c.stream));
  const results: StreamTestResult[] = await Promise.all(
    configured.map(async ({ stream, ruleId }) => {
      const record = {
        TimeGenerated: now,
        EventId: randomUUID(),
        ReceivedAt: now,
        Source: 'sentinel-bridge',
        EventType: 'SentinelBridgeTest',
        RawData: { test: true, sentAt: now },
      };
      const result = await deps.sender.send(stream, [record]);
      const failure = result.failures[0];
      return failure
        ? { stream, ruleId, ok: false, ...(failure.info.status ? { status: failure.info.status } : {}), advice: failure.info.reason }
        : {
            stream,
            ruleId,
            ok: true,
            advice: 'test record sent; it shows in the table within a few minutes (EventType == "SentinelBridgeTest")',
          };
    }),
  );
  const unconfigured: StreamTestResult[] = deps.catalog.tables
    .map((t) => streamOf(t.table))
    .filter((s) => !known.has(s))
    .map((stream) => ({
      stream,
      ruleId: null,
      ok: false,
      advice: 'no DCR takes this stream: add it to LOGS_INGESTION_RULES (the Bicep deployment sets every catalog stream)',
    }));
  const ok = results.length > 0 && results.every((r) => r.ok);
  return { status: 200, jsonBody: { ok, streams: results, unconfigured } };
}
