// The retry ledger: one row per envelope that failed at least once (attempts, cycle, last answer, next attempt).
// Written only on failure, so a healthy pipeline never touches it.
import { odata, type TableClient } from '@azure/data-tables';

export type LedgerState = 'retrying' | 'delivered' | 'deadLettered' | 'parked';

export interface LedgerEntry {
  stream: string;
  envelopeId: string;
  state: LedgerState;
  attempts: number;
  cycle?: number;
  lastStatus?: number;
  lastError?: string;
  nextAttemptAt?: string;
  firstFailureAt?: string;
  updatedAt: string;
}

type LedgerEntity = Omit<LedgerEntry, 'stream' | 'envelopeId'> & { partitionKey: string; rowKey: string };

export class Ledger {
  constructor(private readonly table: TableClient) {}

  async record(entry: LedgerEntry): Promise<void> {
    const { stream, envelopeId, ...rest } = entry;
    const entity: LedgerEntity = { partitionKey: stream, rowKey: envelopeId, ...rest };
    await this.table.upsertEntity(entity, 'Merge');
  }

  async list(stream?: string): Promise<LedgerEntry[]> {
    const out: LedgerEntry[] = [];
    const options = stream ? { queryOptions: { filter: odata`PartitionKey eq ${stream}` } } : {};
    for await (const e of this.table.listEntities<LedgerEntity>(options)) {
      const { partitionKey, rowKey, ...rest } = e;
      out.push({ stream: partitionKey, envelopeId: rowKey, ...(rest as Omit<LedgerEntity, 'partitionKey' | 'rowKey'>) });
    }
    return out;
  }
}
