// A refused or failed call to an incident API (SecurityInsights, Graph): what callers decide on — the status, the
// service's error code, how long it asked us to wait — with a message that names no secret.
export class IncidentApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
