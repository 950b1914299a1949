// Complete originals of records whose fields were cut to the 64 KB limit (shared/catalog/fieldLimit.ts): one blob per
// record in the `originals` container, written before the ingest answer, named on the row (OriginalRecord) and
// listed in GET /api/status. Records with no oversized field cost no blob transaction.
import { isRestError } from '@azure/core-rest-pipeline';
import type { ContainerClient } from '@azure/storage-blob';
import pLimit from 'p-limit';
import type { FittedRow } from '../catalog/fieldLimit.js';
import type { JsonRecord } from '../catalog/types.js';

export interface OriginalRecord {
  stream: string;
  eventId: string;
  /** Blob name in the originals container. */
  blob: string;
  /** The paths cut on the row (its Truncated column). */
  fields: string[];
  record: JsonRecord;
}

/**
 * Stream and content-derived EventId: a sender's retry of the same event rewrites the same blob with the same bytes,
 * so originals are never duplicated.
 */
export const originalBlobName = (stream: string, eventId: string): string => `${stream}/${eventId}.json`;

/**
 * A row cut at delivery rather than at ingest (queued by a version that did not cut, or grown past the limit by folding
 * undeclared columns into RawData): Truncated gains the paths and, unless the row already names its original (kept at
 * ingest), the uncut row is kept as the original — every field of the record is in it, in a column or in RawData.
 */
export function markCutAtDelivery(
  stream: string,
  uncut: JsonRecord,
  fitted: FittedRow,
  urlOf: (blob: string) => string,
): { row: JsonRecord; original?: OriginalRecord } {
  const before = Array.isArray(uncut.Truncated) ? uncut.Truncated.map(String) : [];
  const fields = [...new Set([...before, ...fitted.cut])];
  if (typeof uncut.OriginalRecord === 'string' && uncut.OriginalRecord) return { row: { ...fitted.row, Truncated: fields } };
  const eventId = String(uncut.EventId);
  const blob = originalBlobName(stream, eventId);
  return {
    row: { ...fitted.row, Truncated: fields, OriginalRecord: urlOf(blob) },
    original: { stream, eventId, blob, fields, record: uncut },
  };
}

export interface TruncatedSummary {
  /** Originals kept (all of them when `complete`, else the number scanned). */
  count: number;
  complete: boolean;
  /** The most recent ones, newest first. */
  recent: { stream: string; eventId: string; blob: string; fields: string[]; at: string }[];
}

/** Blobs a status request reads at most (5,000 per listing call), so /api/status stays fast. */
const MAX_SCANNED = 20_000;
const RECENT = 20;
/** Blob metadata values are HTTP header text: the paths are kept URI-encoded JSON. */
const FIELDS_META = 'fields';

export class OriginalStore {
  constructor(private readonly container: ContainerClient) {}

  /** What the row's OriginalRecord column holds: the blob URL, for `az storage blob download --blob-url`. */
  urlOf(blob: string): string {
    return this.container.getBlockBlobClient(blob).url;
  }

  /** Writes every original; resolves once all are durably stored. Nothing to keep → no storage call at all. */
  async keep(originals: readonly OriginalRecord[], abortSignal?: AbortSignal): Promise<void> {
    const limit = pLimit(16);
    await Promise.all(
      originals.map((o) =>
        limit(() =>
          this.container.getBlockBlobClient(o.blob).uploadData(Buffer.from(JSON.stringify(o.record), 'utf8'), {
            blobHTTPHeaders: { blobContentType: 'application/json; charset=utf-8' },
            metadata: { [FIELDS_META]: encodeURIComponent(JSON.stringify(o.fields)) },
            abortSignal,
          }),
        ),
      ),
    );
  }

  /** The originals kept, for /api/status; a missing container (storage not provisioned yet) reads as none. */
  async summary(abortSignal?: AbortSignal): Promise<TruncatedSummary> {
    const seen: TruncatedSummary['recent'] = [];
    let complete = true;
    try {
      for await (const page of this.container.listBlobsFlat({ includeMetadata: true, abortSignal }).byPage({ maxPageSize: 5000 })) {
        for (const item of page.segment.blobItems) {
          const [stream = '', file = ''] = item.name.split('/');
          seen.push({
            stream,
            eventId: file.replace(/\.json$/, ''),
            blob: item.name,
            fields: parseFields(item.metadata?.[FIELDS_META]),
            at: item.properties.lastModified.toISOString(),
          });
        }
        if (seen.length >= MAX_SCANNED && page.continuationToken) {
          complete = false;
          break;
        }
      }
    } catch (e) {
      if (!(isRestError(e) && e.statusCode === 404)) throw e;
    }
    seen.sort((a, b) => b.at.localeCompare(a.at) || a.blob.localeCompare(b.blob));
    return { count: seen.length, complete, recent: seen.slice(0, RECENT) };
  }
}

function parseFields(meta: string | undefined): string[] {
  try {
    const value = JSON.parse(decodeURIComponent(meta ?? '')) as unknown;
    return Array.isArray(value) ? value.map(String) : [];
  } catch {
    return [];
  }
}
