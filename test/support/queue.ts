// Reads every envelope waiting on a queue (and deletes it), decoded into its rows; runs a handler on every message of a
// queue until it is empty.
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

/**
 * Runs the handler on every message of the queue until it is empty, including messages re-enqueued with a visibility
 * delay (waits for them up to `waitMs`). Each batch runs concurrently, as the host does; JSON text is parsed first.
 */
export async function drainQueue(queue: QueueClient, handler: (message: unknown) => Promise<unknown>, waitMs = 15_000): Promise<number> {
  const deadline = Date.now() + waitMs;
  let handled = 0;
  for (;;) {
    const { receivedMessageItems: items } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
    if (items.length === 0) {
      const { approximateMessagesCount } = await queue.getProperties();
      if (!approximateMessagesCount) return handled;
      if (Date.now() > deadline) throw new Error(`${approximateMessagesCount} messages still waiting after ${waitMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    await Promise.all(
      items.map(async (m) => {
        let input: unknown = m.messageText;
        try {
          input = JSON.parse(m.messageText);
        } catch {
          // as the host: not JSON → the text
        }
        await handler(input);
        await queue.deleteMessage(m.messageId, m.popReceipt);
        handled++;
      }),
    );
  }
}
