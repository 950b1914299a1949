// POST /api/replay: re-enable disabled targets (streams and destinations) and re-enqueue their parked and
// dead-lettered work.
import { z } from 'zod';
import { replay } from '../delivery/replay.js';
import { answer, type BridgeRequest, type BridgeResponse, HttpError, json, readBody } from '../http.js';
import { replayIncidents } from '../incidents/handlers.js';
import type { OperationsDeps } from './deps.js';

const bodySchema = z
  .object({
    stream: z
      .string()
      .regex(/^Custom-[A-Za-z][A-Za-z0-9_]*$/, 'a stream name like Custom-new_hits_CL')
      .optional(),
    destination: z.string().min(1, 'a destination name from DESTINATIONS').optional(),
    include: z.enum(['all', 'deadletters', 'parked']).optional(),
  })
  .strict();

const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** The body is a few fields; anything larger is not a replay request. */
const REPLAY_BODY_MAX_BYTES = 4096;

export function handleReplay(request: Pick<BridgeRequest, 'headers' | 'body' | 'query'>, deps: OperationsDeps): Promise<BridgeResponse> {
  return answer(async () => {
    const raw = await readBody(request, REPLAY_BODY_MAX_BYTES, `a replay request body is at most ${REPLAY_BODY_MAX_BYTES} bytes`);
    let text: string;
    try {
      text = UTF8.decode(raw).trim();
    } catch {
      throw new HttpError(400, 'the body is not valid UTF-8');
    }
    let body: unknown = {};
    try {
      if (text) body = JSON.parse(text);
    } catch (e) {
      throw new HttpError(400, `malformed JSON: ${(e as Error).message}`);
    }
    const parsed = bodySchema.safeParse(body);
    if (!parsed.success) throw new HttpError(400, parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const { stream, destination, include } = parsed.data;
    // Naming one side replays only that side; naming neither replays both.
    const eventsSide = !destination || Boolean(stream);
    // Replaying parked events lifts today's daily caps first, or the replayed rows would be parked again.
    const capLifted = eventsSide && include !== 'deadletters' ? await deps.delivery.costGuard.lift(stream) : [];
    const events = eventsSide ? { ...(await replay(deps.delivery, { stream, ...(include ? { include } : {}) })), capLifted } : undefined;
    const incidents =
      stream && !destination
        ? undefined
        : await replayIncidents(deps.incidents.reliability, deps.incidents.storage.queue('incidents'), {
            ...(destination ? { destination } : {}),
            ...(include ? { include } : {}),
          });
    return json(200, { ...events, ...(incidents ? { incidents } : {}) });
  });
}
