// JSON calls to an emulator's inspection routes over HTTPS with the emulators' CA.
import http from 'node:http';
import https from 'node:https';

export interface EmulatorCall<T = unknown> {
  status: number;
  json: T;
}

export function emulatorCall<T = unknown>(
  baseUrl: string,
  ca: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<EmulatorCall<T>> {
  const url = new URL(path, baseUrl);
  const lib = url.protocol === 'https:' ? https : http;
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      { method, ...(ca ? { ca } : {}), headers: { ...(data ? { 'content-type': 'application/json' } : {}), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, json: (text ? JSON.parse(text) : undefined) as T });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}
