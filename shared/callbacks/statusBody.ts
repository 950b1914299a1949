// Our own status-sync JSON, read by POST /api/incidents/{destination}/status and by the callback of a generic
// webhook receiver (Standard-Webhooks-signed): {incidentId, action, owner?, classification?, classificationReason?,
// comment?}.
import { z } from 'zod';
import { CLASSIFICATION_REASONS, CLASSIFICATIONS, REASONS_BY_CLASSIFICATION } from '../config.js';
import { HttpError } from '../http.js';

const COMMENT_MAX = 4000;

export const statusSyncBodySchema = z
  .object({
    incidentId: z.string({ error: 'required: the incident name (GUID) or its ARM id' }).trim().min(1, 'must not be empty'),
    action: z.enum(['acknowledge', 'close'], { error: 'must be "acknowledge" or "close"' }),
    owner: z.string({ error: 'must be a string (UPN, email or Entra object id)' }).trim().min(1).max(256).optional(),
    classification: z.enum(CLASSIFICATIONS, { error: `must be one of ${CLASSIFICATIONS.join(', ')}` }).optional(),
    classificationReason: z.enum(CLASSIFICATION_REASONS, { error: `must be one of ${CLASSIFICATION_REASONS.join(', ')}` }).optional(),
    comment: z.string({ error: 'must be a string' }).max(COMMENT_MAX, `at most ${COMMENT_MAX} characters`).optional(),
  })
  .superRefine((b, ctx) => {
    if (b.classificationReason && b.action === 'close') {
      const classification = b.classification ?? 'Undetermined';
      if (!REASONS_BY_CLASSIFICATION[classification].includes(b.classificationReason)) {
        ctx.addIssue({
          code: 'custom',
          path: ['classificationReason'],
          message: `${b.classificationReason} does not go with classification ${classification}${b.classification ? '' : ' (the default when none is given)'}`,
        });
      }
    }
  });

export type StatusSyncBody = z.infer<typeof statusSyncBodySchema>;

/** Parses and validates the body; the error names the field. */
export function parseStatusSyncBody(text: string): StatusSyncBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(
      400,
      'body must be a JSON object: {"incidentId", "action", "owner"?, "classification"?, "classificationReason"?, "comment"?}',
    );
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new HttpError(400, 'body must be a JSON object');
  const parsed = statusSyncBodySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') || 'body';
    throw new HttpError(400, `${field}: ${issue?.message ?? 'invalid'}`, { field });
  }
  return parsed.data;
}
