// Issue 10 §5 (operator routes): the key a webhook sender holds must not open the operator routes. Function-level
// routes open with their own function key or a host key; admin-level routes only with the master key
// (learn.microsoft.com/azure/azure-functions/function-keys-how-to). So operator routes are admin level, and a sender
// gets only its ingest function's key.
import { describe, expect, it } from 'vitest';
import { functions } from '../../functions/all.js';
import type { HttpFunction } from '../../functions/types.js';

const http = functions.filter((f): f is HttpFunction => f.kind === 'http');
const byRoute = new Map(http.map((f) => [f.route, f]));

describe("issue 10 §5: operator routes are not callable with a sender's key", () => {
  it.each(['status', 'schema/drift', 'replay', 'test'])('/api/%s is admin level (master key only)', (route) => {
    expect(byRoute.get(route)?.authLevel).toBe('admin');
  });

  it('sender routes stay function level (their own function key); only health and the signed legacy API are anonymous', () => {
    expect(byRoute.get('events/{source?}')?.authLevel).toBe('function');
    expect(byRoute.get('incidents/{destination}/status')?.authLevel).toBe('function');
    const anonymous = http
      .filter((f) => f.authLevel === 'anonymous')
      .map((f) => f.name)
      .sort();
    expect(anonymous).toEqual(['health', 'legacyLogs']);
  });
});
