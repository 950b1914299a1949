// The slice of an HTTP request the core needs. @azure/functions' HttpRequest satisfies it, so functions/ passes
// its request straight through and shared/ never imports the Functions library.
export interface BridgeRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  readonly body: ReadableStream<Uint8Array> | null;
}

export interface BridgeResponse {
  status: number;
  jsonBody?: unknown;
  body?: string;
  headers?: Record<string, string>;
}

/** An answer to the caller that ends the request: a 4xx/503 with what was wrong and where. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toResponse(): BridgeResponse {
    return { status: this.status, jsonBody: { error: this.message, ...this.details }, headers: this.headers };
  }
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): BridgeResponse => ({
  status,
  jsonBody: body,
  ...(headers ? { headers } : {}),
});

/** Runs a handler and turns HttpErrors into their responses; anything else is rethrown for the host to log. */
export async function answer(run: () => Promise<BridgeResponse>): Promise<BridgeResponse> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof HttpError) return e.toResponse();
    throw e;
  }
}

/**
 * The raw body, refused with 413 (`tooLarge`) as soon as it passes `limit` bytes — declared or streamed. `onBytes`
 * hears the running total after each chunk and may refuse it by throwing. Chunks are kept as views, not copies.
 */
export async function readBody(
  request: Pick<BridgeRequest, 'headers' | 'body'>,
  limit: number,
  tooLarge: string,
  onBytes?: (total: number) => void,
): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413, tooLarge);
  if (!request.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    try {
      if (total > limit) throw new HttpError(413, tooLarge);
      onBytes?.(total);
    } catch (e) {
      await reader.cancel();
      throw e;
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}
