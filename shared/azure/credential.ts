// One credential and one TLS trust setting for every Azure SDK client the app makes.
import { readFileSync } from 'node:fs';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import type { Config } from '../config.js';

/** Token for the local emulators: they check that a bearer token is present, as the real services do. */
class EmulatorCredential implements TokenCredential {
  async getToken(): Promise<AccessToken> {
    return { token: 'emulator-token', expiresOnTimestamp: Date.now() + 3600_000 };
  }
}

const cache = new WeakMap<Config, TokenCredential>();

export function azureCredential(config: Config): TokenCredential {
  let c = cache.get(config);
  if (!c) {
    c =
      config.BRIDGE_CREDENTIAL === 'emulator'
        ? new EmulatorCredential()
        : new DefaultAzureCredential(config.AZURE_CLIENT_ID ? { managedIdentityClientId: config.AZURE_CLIENT_ID } : {});
    cache.set(config, c);
  }
  return c;
}

/** SDK client options that trust the local emulators' CA when EMULATOR_CA_FILE is set. */
export function tlsClientOptions(config: Config): { tlsOptions?: { ca: string } } {
  return config.EMULATOR_CA_FILE ? { tlsOptions: { ca: readFileSync(config.EMULATOR_CA_FILE, 'utf8') } } : {};
}
