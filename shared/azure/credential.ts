// One credential and one TLS trust setting for every Azure SDK client the app makes (built once in shared/app.ts):
// storage, Logs Ingestion, Sentinel, Graph and Log Analytics share the same instance, so tokens are cached once.
import { readFileSync } from 'node:fs';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
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

type CredentialSettings = Pick<Config, 'BRIDGE_CREDENTIAL' | 'cloud'> &
  Partial<Pick<Config, 'AZURE_CLIENT_ID' | 'AzureWebJobsStorage__clientId'>>;

/** BRIDGE_CREDENTIAL → the credential. In Azure (the Bicep sets "managedidentity") only the app's own identity is tried:
 * no chain of developer credentials that could pick up something else, and no probing delay at start. */
export function createCredential(config: CredentialSettings): TokenCredential {
  const clientId = config.AZURE_CLIENT_ID ?? config.AzureWebJobsStorage__clientId;
  switch (config.BRIDGE_CREDENTIAL) {
    case 'emulator':
      return new EmulatorCredential();
    case 'managedidentity':
      // The managed identity endpoint is the host's own; it needs no authority host for sovereign clouds.
      return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
    case 'default':
      return new DefaultAzureCredential({
        authorityHost: config.cloud.authorityHost,
        ...(clientId ? { managedIdentityClientId: clientId } : {}),
      });
  }
}

/** The token scope of a service endpoint: its own origin's `/.default` (each cloud's hosts are their own audience).
 * The local emulators take the emulator credential, which ignores the scope. */
export const scopeOf = (endpoint: string): string => `${new URL(endpoint).origin}/.default`;

export function createAzureAccess(config: Config): AzureAccess {
  return {
    credential: createCredential(config),
    tls: config.EMULATOR_CA_FILE ? { tlsOptions: { ca: readFileSync(config.EMULATOR_CA_FILE, 'utf8') } } : {},
  };
}
