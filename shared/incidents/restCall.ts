// One request through an @azure-rest pipeline for the incident clients: 2xx → the body, 404 on a GET → no body,
// anything else → the client's own IncidentApiError, made from the service's `{error: {code, message}}`.
import type { Client } from '@azure-rest/core-client';
import type { IncidentApiError } from './apiError.js';

export type RestMethod = 'get' | 'put' | 'post' | 'patch';
export type RestCall = (
  method: RestMethod,
  path: string,
  opts?: { body?: unknown; query?: Record<string, string | number> },
) => Promise<{ status: number; body: unknown }>;

export interface RestFailure {
  method: RestMethod;
  path: string;
  status: number;
  code?: string;
  message?: string;
  headers: Record<string, string | undefined>;
}

export function restCaller(client: Client, failure: (f: RestFailure) => IncidentApiError): RestCall {
  return async (method, path, opts = {}) => {
    const res = await client.pathUnchecked(path)[method]({
      ...(opts.body !== undefined ? { body: opts.body, contentType: 'application/json' } : {}),
      ...(opts.query ? { queryParameters: opts.query } : {}),
    });
    const status = Number(res.status);
    if (status >= 200 && status < 300) return { status, body: res.body as unknown };
    if (status === 404 && method === 'get') return { status, body: undefined };
    const err = (res.body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw failure({
      method,
      path,
      status,
      ...(err?.code ? { code: err.code } : {}),
      ...(err?.message ? { message: err.message } : {}),
      headers: res.headers as Record<string, string | undefined>,
    });
  };
}

/** Follows a list's next links, only while they stay on `origin`: the bearer token never goes to a host a response names. */
export async function* followPages<P>(
  call: RestCall,
  origin: string,
  first: { path: string; query: Record<string, string | number> },
  nextOf: (page: P | undefined) => string | undefined,
  outside: (origin: string) => IncidentApiError,
): AsyncGenerator<P | undefined> {
  let next: string | undefined = first.path;
  let query: Record<string, string | number> | undefined = first.query;
  while (next) {
    const page = (await call('get', next, query ? { query } : {})).body as P | undefined;
    query = undefined; // a next link carries the whole query
    yield page;
    next = nextOf(page);
    if (next && new URL(next).origin !== origin) throw outside(origin);
  }
}
