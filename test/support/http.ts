// Building @azure/functions requests for handler tests.
import { HttpRequest } from '@azure/functions';

export function request(init: {
  method?: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  params?: Record<string, string>;
}): HttpRequest {
  const url = new URL(init.path, 'http://127.0.0.1:7071');
  const body = init.body === undefined ? undefined : typeof init.body === 'string' ? { string: init.body } : { bytes: init.body };
  return new HttpRequest({
    method: init.method ?? 'POST',
    url: url.toString(),
    headers: init.headers ?? {},
    query: Object.fromEntries(url.searchParams),
    params: init.params ?? {},
    ...(body ? { body } : {}),
  });
}

export const jsonRequest = (path: string, value: unknown, params: Record<string, string> = {}) =>
  request({ path, body: JSON.stringify(value), headers: { 'content-type': 'application/json' }, params });
