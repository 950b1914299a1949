// What every Azure Resource Manager emulator answers the same way: ARM's error shape, and the checks ARM makes before a
// resource provider sees the request (a bearer token; an api-version of the documented form).
import { type EmulatorRequest, type Reply, reply } from './server.js';

export const armError = (status: number, code: string, message: string, headers?: Record<string, string>): Reply =>
  reply(status, { error: { code, message } }, headers);

/** ARM's answer to a request without a bearer token or a valid api-version; undefined when it passes. */
export function armPreflight(req: EmulatorRequest): Reply | undefined {
  if (!/^Bearer \S+/.test(String(req.headers.authorization ?? ''))) {
    return armError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing or is not a Bearer token.");
  }
  const apiVersion = req.url.searchParams.get('api-version');
  if (!apiVersion)
    return armError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(apiVersion))
    return armError(400, 'InvalidApiVersionParameter', `The api-version '${apiVersion}' is invalid.`);
  return undefined;
}
