// One credential and one TLS trust setting for every Azure SDK client the app makes (built once in shared/app.ts).
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

/** SDK client options: the local emulators' CA when EMULATOR_CA_FILE is set, else nothing (the system's trust). */
export type TlsClientOptions = { tlsOptions?: { ca: string } };

/** What every Azure SDK client of the app is built with: one credential (storage too) and one TLS trust setting. */
export interface AzureAccess {
  credential: TokenCredential;
  tls: TlsClientOptions;
}

export function createAzureAccess(config: Config): AzureAccess {
  const clientId = config.AZURE_CLIENT_ID ?? config.AzureWebJobsStorage__clientId;
  return {
    credential:
      config.BRIDGE_CREDENTIAL === 'emulator'
        ? new EmulatorCredential()
        : new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {}),
    tls: config.EMULATOR_CA_FILE ? { tlsOptions: { ca: readFileSync(config.EMULATOR_CA_FILE, 'utf8') } } : {},
  };
}
