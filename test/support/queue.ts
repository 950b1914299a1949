// Reads every envelope waiting on a queue (and deletes it), decoded into its rows.
import type { ContainerClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';
import type { JsonRecord } from '../../shared/catalog/types.js';
import { type Envelope, parseEnvelope, rowsOf } from '../../shared/reliability/envelope.js';

export interface Drained {
  messages: number;
  envelopes: (Envelope & { rows: JsonRecord[]; bytes: number })[];
  rows: JsonRecord[];
}

export async function drainEnvelopes(queue: QueueClient, claimChecks: ContainerClient): Promise<Drained> {
  const envelopes: Drained['envelopes'] = [];
  for (;;) {
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
    if (receivedMessageItems.length === 0) break;
    for (const m of receivedMessageItems) {
      const envelope = parseEnvelope(m.messageText);
      envelopes.push({ ...envelope, rows: await rowsOf(envelope, claimChecks), bytes: Buffer.byteLength(m.messageText) });
      await queue.deleteMessage(m.messageId, m.popReceipt);
    }
  }
  return { messages: envelopes.length, envelopes, rows: envelopes.flatMap((e) => e.rows) };
}
