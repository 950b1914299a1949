// Runs the delivery function over the events queue the way the host does (take, run, delete), until nothing is
// left — including messages re-enqueued with a delay, up to a deadline.
import type { QueueClient } from '@azure/storage-queue';

export async function drainQueue(
  queue: QueueClient,
  handle: (message: unknown) => Promise<void>,
  options: { waitForDelayedMs?: number } = {},
): Promise<number> {
  const deadline = Date.now() + (options.waitForDelayedMs ?? 0);
  let handled = 0;
  for (;;) {
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 30 });
    for (const m of receivedMessageItems) {
      await handle(JSON.parse(m.messageText));
      await queue.deleteMessage(m.messageId, m.popReceipt);
      handled += 1;
    }
    if (receivedMessageItems.length) continue;
    const waiting = (await queue.getProperties()).approximateMessagesCount ?? 0;
    if (waiting === 0 || Date.now() > deadline) return handled;
    await new Promise((r) => setTimeout(r, 250));
  }
}
