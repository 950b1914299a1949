// POST /api/replay: re-enable disabled targets and re-enqueue parked and dead-lettered work.
import { z } from 'zod';
import type { DeliveryDeps } from '../delivery/deliver.js';
import { replay } from '../delivery/replay.js';
import { answer, type BridgeRequest, type BridgeResponse, HttpError, json } from '../http.js';

const bodySchema = z
  .object({
    stream: z
      .string()
      .regex(/^Custom-[A-Za-z][A-Za-z0-9_]*$/, 'a stream name like Custom-new_hits_CL')
      .optional(),
    include: z.enum(['all', 'deadletters', 'parked']).optional(),
  })
  .strict();

export function handleReplay(
  request: { text(): Promise<string> } & Pick<BridgeRequest, 'query'>,
  deps: DeliveryDeps,
): Promise<BridgeResponse> {
  return answer(async () => {
    const text = (await request.text()).trim();
    let body: unknown = {};
    try {
      if (text) body = JSON.parse(text);
    } catch (e) {
      throw new HttpError(400, `malformed JSON: ${(e as Error).message}`);
    }
    const parsed = bodySchema.safeParse(body);
    if (!parsed.success) throw new HttpError(400, parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    return json(200, await replay(deps, parsed.data));
  });
}
