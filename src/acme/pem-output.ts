/**
 * @module The certificate file HAProxy reads: <certDir>/<name>.pem holding the
 * full chain then the key, normalised (no blank lines), written atomically
 * with mode 0600; and the facts we keep about a certificate.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { normalizePem, validateCertPath } from '../model/pem.ts';
import { writeFileAtomic } from '../os/atomic-write.ts';

export interface CertFacts {
  notBefore: string;
  notAfter: string;
  issuer: string;
  serial: string;
  /** DNS names in the subjectAltName. */
  domains: string[];
}

/** The PEM path for a certificate name (`a.test` -> <certDir>/a.test.pem); validated for the runtime socket. */
export function pemPath(certDir: string, name: string): string {
  return validateCertPath(join(certDir, `${name}.pem`), 'certPath');
}

/** Facts of the first certificate in `pem` (the leaf). */
export function certFacts(pem: string): CertFacts {
  const x = new X509Certificate(pem);
  const domains = (x.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  return {
    notBefore: new Date(x.validFrom).toISOString(),
    notAfter: new Date(x.validTo).toISOString(),
    issuer: x.issuer.replace(/\n/g, ', '),
    serial: x.serialNumber,
    domains,
  };
}

/** Chain + key as HAProxy wants it, without blank lines. */
export function combinePem(chainPem: string, keyPem: string): string {
  return normalizePem(`${chainPem}\n${keyPem}`);
}

/** Writes the combined PEM atomically (0600) and returns its path and facts. */
export async function writeCertPem(certDir: string, name: string, chainPem: string, keyPem: string): Promise<{ path: string; pem: string; facts: CertFacts }> {
  const path = pemPath(certDir, name);
  const pem = combinePem(chainPem, keyPem);
  const facts = certFacts(pem);
  await writeFileAtomic(path, pem, { mode: 0o600 });
  return { path, pem, facts };
}

/** Reads an existing PEM, or undefined when the file is absent. */
export async function readCertPem(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
