// #10 §6: the failure ratio across instances. Each instance keeps its successes in memory for STATS_FLUSH_SECONDS,
// so the instance that fails sees only its own failures in the table. Three apps on one storage, each with its own
// Stats, stand in for three Functions instances.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { App } from '../../shared/app.js';
import { recordCall } from '../../shared/reliability/index.js';
import { streamTarget } from '../../shared/reliability/targets.js';
import { useDeliveryStack } from '../support/deliveryStack.js';

const stack = useDeliveryStack();
const FLUSH_MS = 300_000; // STATS_FLUSH_SECONDS' default

function instance(notes: Record<string, unknown>[]): App {
  const app = stack.newApp();
  app.reliability.notify = async (e) => void notes.push(e);
  return app;
}

const ok = (app: App, stream: string) => recordCall(app.reliability, streamTarget(stream), { ok: true, delivered: 10 }, 'events');
const fail = (app: App, stream: string) =>
  recordCall(app.reliability, streamTarget(stream), { ok: false, failed: 10, reason: 'HTTP 503' }, 'events');

describe('the circuit across instances', () => {
  it('successes on two instances, failures on one: the target is suspect, then cleared, never disabled', async () => {
    const stream = `Custom-Multi${randomUUID().slice(0, 8)}_CL`;
    const notes: Record<string, unknown>[] = [];
    const [a, b, c] = [instance(notes), instance(notes), instance(notes)];
    for (let i = 0; i < 30; i++) {
      await ok(a, stream);
      await ok(b, stream);
    }
    // C's failures reach the table at once; A's and B's 60 successes are still in their memory.
    for (let i = 0; i < 25; i++) expect(await fail(c, stream)).toEqual({ disabled: false });
    const suspect = await c.reliability.circuit.state(stream);
    expect(suspect).toMatchObject({ enabled: true, suspectSince: expect.any(String) });

    // One flush interval later A and B have written what they held; C's next failure reads the whole record.
    stack.clock.now += FLUSH_MS;
    await ok(a, stream);
    await ok(b, stream);
    expect(await fail(c, stream)).toEqual({ disabled: false });
    expect(await c.reliability.circuit.window(stream)).toEqual({ okCalls: 62, failedCalls: 26 });
    const state = await a.reliability.circuit.state(stream);
    expect(state.enabled).toBe(true);
    expect(state.suspectSince).toBeUndefined();
    expect(notes).toEqual([]);
  });

  it('failures everywhere: disabled only once a failure one flush interval after the first reading confirms it, notified once', async () => {
    const stream = `Custom-Down${randomUUID().slice(0, 8)}_CL`;
    const notes: Record<string, unknown>[] = [];
    const [a, b] = [instance(notes), instance(notes)];
    for (let i = 0; i < 20; i++) await fail(i % 2 ? a : b, stream);
    const since = (await a.reliability.circuit.state(stream)).suspectSince;
    expect(since).toBe(new Date(stack.clock.now).toISOString());

    stack.clock.now += FLUSH_MS - 1000;
    expect(await fail(a, stream)).toEqual({ disabled: false });
    expect((await a.reliability.circuit.state(stream)).suspectSince).toBe(since);

    stack.clock.now += 1000;
    const [first, second] = await Promise.all([fail(a, stream), fail(b, stream)]);
    expect([first, second]).toEqual([{ disabled: true }, { disabled: true }]);
    expect(await b.reliability.circuit.state(stream)).toMatchObject({ enabled: false, reason: 'HTTP 503' });
    expect(notes).toMatchObject([{ type: 'sentinelbridge.target.disabled', target: stream }]);
  });

  it('a suspicion the record no longer bears out is cleared, so a later spike waits a full interval again', async () => {
    const stream = `Custom-Blip${randomUUID().slice(0, 8)}_CL`;
    const notes: Record<string, unknown>[] = [];
    const a = instance(notes);
    for (let i = 0; i < 20; i++) await fail(a, stream);
    expect((await a.reliability.circuit.state(stream)).suspectSince).toBeDefined();
    // Recovery: successes outweigh the failures by the next failure.
    for (let i = 0; i < 40; i++) await ok(a, stream);
    await a.reliability.stats.flush();
    await fail(a, stream);
    expect((await a.reliability.circuit.state(stream)).suspectSince).toBeUndefined();
    stack.clock.now += FLUSH_MS;
    for (let i = 0; i < 60; i++) await fail(a, stream);
    expect((await a.reliability.circuit.state(stream)).enabled).toBe(true);
    expect(notes).toEqual([]);
  });
});
