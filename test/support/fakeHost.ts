// A stand-in for @azure/functions' `app` that records what registerFunctions registers, so tests can call the
// registered HTTP handlers and see which queue and timer functions were (not) registered.
import type { HttpHandler } from '@azure/functions';
import { functions } from '../../functions/all.js';
import { registerFunctions } from '../../functions/register.js';

export function registerWithFakeHost(env: Record<string, string | undefined>) {
  const http = new Map<string, HttpHandler>();
  const others: string[] = [];
  const result = registerFunctions(
    {
      http: (name, o) => void http.set(name, o.handler),
      storageQueue: (name) => void others.push(name),
      timer: (name) => void others.push(name),
    },
    functions,
    env,
  );
  return { http, others, result };
}
