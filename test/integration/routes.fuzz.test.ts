// Every HTTP route of the app, as the host runs it (the function definitions over one app), with hostile input in
// every position a sender controls: route parameters, query, headers, body. Whatever comes in, the answer is a 2xx
// or a 4xx naming the problem — never a 5xx, never a throw (storage and the emulator are up, so 503 has no excuse).
import { randomUUID } from 'node:crypto';
import { HttpRequest, InvocationContext } from '@azure/functions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { functions } from '../../functions/all.js';
import type { HttpFunction } from '../../functions/types.js';
import { useDeliveryStack } from '../support/deliveryStack.js';

// A destination with a callback secret: the status and callback routes then check every request themselves.
const stack = useDeliveryStack({
  DESTINATIONS: JSON.stringify([
    { name: 'ops', type: 'webhook', url: 'https://127.0.0.1:9/x', callbackSecret: 'fuzz-callback-secret-0123456789' },
  ]),
});

const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'prototype', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
const hostile = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.string({ maxLength: 40 }), fc.constantFrom('%', '%zz', '', ' ', '\u0000'));
const jsonish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostile,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostile, tie('value'), { maxKeys: 5 }),
  ),
})).value;
const body = fc.oneof(
  jsonish.map((v) => JSON.stringify(v) ?? 'null'),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
);

const httpFunctions = functions.filter((f): f is HttpFunction => f.kind === 'http');
const paramNames = (route: string) => [...route.matchAll(/\{(\w+)\??\}/g)].map((m) => m[1] as string);

describe('every HTTP route: hostile input never becomes a 5xx', () => {
  it.each(httpFunctions.map((f) => [f.name, f] as const))('%s', async (_name, f) => {
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          params: fc.tuple(...paramNames(f.route).map(() => hostile)),
          query: fc.dictionary(fc.oneof(hostile, fc.constantFrom('source', 'type', 'api-version')), hostile, { maxKeys: 3 }),
          headers: fc.dictionary(
            fc.constantFrom(
              'content-type',
              'content-encoding',
              'webhook-id',
              'webhook-timestamp',
              'webhook-signature',
              'x-bridge-secret',
              'log-type',
              'x-ms-date',
              'authorization',
              'time-generated-field',
            ),
            hostile,
            { maxKeys: 4 },
          ),
          body,
        }),
        async ({ params, query, headers, body }) => {
          cases++;
          const names = paramNames(f.route);
          const url = new URL(`http://127.0.0.1:7071/api/${f.route.replace(/\{\w+\??\}/g, 'x')}`);
          for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
          const request = new HttpRequest({
            method: f.methods[0] ?? 'POST',
            url: url.toString(),
            headers: Object.fromEntries(Object.entries(headers).filter(([, v]) => /^[\t\x20-\x7e]*$/.test(v))),
            query: Object.fromEntries(url.searchParams),
            params: Object.fromEntries(names.map((n, i) => [n, params[i] as string])),
            ...(f.methods[0] === 'GET' ? {} : { body: { string: body } }),
          });
          const res = await f.handler(stack.app, request, new InvocationContext({ invocationId: randomUUID(), functionName: f.name }));
          expect(res.status ?? 200, `${f.name} answered ${res.status}: ${JSON.stringify(res.jsonBody)}`).toBeLessThan(500);
        },
      ),
      { numRuns: 40 },
    );
    console.log(`${f.name}: ${cases} hostile requests, 0 answered 5xx`);
  });
});
