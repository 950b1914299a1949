// What a failed Logs Ingestion call means, and what a person should do about it. Like Vector's sink health check:
// every failure maps to advice someone can act on; only answers that a retry can fix are retried.
import { parseRetryAfter } from '../reliability/retrySchedule.js';

export interface FailureInfo {
  status?: number;
  retryable: boolean;
  retryAfterMs?: number;
  /** Short reason with advice, safe to show (no secrets). */
  reason: string;
}

const ADVICE: Record<number, string> = {
  400: 'the service refused the records (they do not match the stream declaration of the DCR); regenerate and redeploy the DCRs (npm run infra:generate, azd provision)',
  401: 'the token was refused: check the managed identity (AZURE_CLIENT_ID) and that the token audience is https://monitor.azure.com',
  403: "grant Monitoring Metrics Publisher on the DCR to the app's identity (role assignments can take ~30 minutes to apply)",
  404: 'stream/DCR not found: check LOGS_INGESTION_RULES (ruleId, endpoint, stream names); new DCRs can take up to an hour to accept data',
  413: 'a request was larger than 1 MB: a single record is too large for the Logs Ingestion API',
  429: 'throttled by the DCR (12,000 calls or 2 GB per minute): lower maximumInstanceCount or spread streams over more DCRs',
};

const RETRYABLE = (status: number | undefined) =>
  status === undefined || status === 401 || status === 408 || status === 429 || status >= 500;

interface ErrorLike {
  message?: string;
  statusCode?: number;
  code?: string;
  response?: { headers?: { get(name: string): string | undefined } };
}

/** Classifies an error thrown by the SDK (RestError) or the network. */
export function classifyFailure(error: unknown): FailureInfo {
  const e = (error ?? {}) as ErrorLike;
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const retryAfterMs = parseRetryAfter(e.response?.headers?.get('retry-after'));
  const advice = status !== undefined ? ADVICE[status] : undefined;
  const what = status !== undefined ? `HTTP ${status}` : `network error${e.code ? ` ${e.code}` : ''}`;
  const detail = (e.message ?? '').split('\n')[0]?.slice(0, 300);
  return {
    ...(status !== undefined ? { status } : {}),
    retryable: RETRYABLE(status),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    reason: [what, advice, detail && detail !== 'undefined' ? `(${detail})` : ''].filter(Boolean).join(': '),
  };
}
