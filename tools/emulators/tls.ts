// A local CA and a 127.0.0.1/localhost server certificate for the HTTPS emulators, kept under the data folder so
// restarts keep the same trust. The app trusts the CA through EMULATOR_CA_FILE (never NODE_EXTRA_CA_CERTS).
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import selfsigned from 'selfsigned';

export interface EmulatorTls {
  ca: string;
  key: string;
  cert: string;
  caFile: string;
}

const inFlight = new Map<string, Promise<EmulatorTls>>();
const done = new Set<string>();

async function create(dir: string): Promise<EmulatorTls> {
  const caFile = join(dir, 'emulator-ca.pem');
  const keyFile = join(dir, 'emulator-key.pem');
  const certFile = join(dir, 'emulator-cert.pem');
  if (existsSync(caFile) && existsSync(keyFile) && existsSync(certFile)) {
    const [ca, key, cert] = await Promise.all([readFile(caFile, 'utf8'), readFile(keyFile, 'utf8'), readFile(certFile, 'utf8')]);
    return { ca, key, cert, caFile };
  }
  await mkdir(dir, { recursive: true });
  const notAfterDate = new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000);
  const ca = await selfsigned.generate([{ name: 'commonName', value: 'Sentinel Bridge local emulator CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  await Promise.all([writeFile(keyFile, server.private, { mode: 0o600 }), writeFile(certFile, server.cert), writeFile(caFile, ca.cert)]);
  return { ca: ca.cert, key: server.private, cert: server.cert, caFile };
}

/** The emulators' TLS material in `dir`, created on first use. */
export function emulatorTls(dir: string): Promise<EmulatorTls> {
  let p = inFlight.get(dir);
  // A finished result is reused only while its files still exist (a test may delete the folder).
  if (!p || (done.has(dir) && !existsSync(join(dir, 'emulator-ca.pem')))) {
    done.delete(dir);
    p = create(dir);
    p.then(
      () => done.add(dir),
      () => inFlight.delete(dir),
    );
    inFlight.set(dir, p);
  }
  return p;
}
