// A token for the emulators: they check that a bearer token is present, as the real services do.
import type { TokenCredential } from '@azure/core-auth';

export const emulatorCredential: TokenCredential = {
  getToken: async () => ({ token: 'emulator-test-token', expiresOnTimestamp: Date.now() + 3600_000 }),
};
