/**
 * @module A `crt <dir>` bind needs at least one PEM at start: when the cert
 * directory holds none, write a self-signed fallback (served only to
 * clients whose SNI matches no real certificate).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../os/atomic-write.ts';
import { FALLBACK_NAME } from '../model/pem.ts';

const run = promisify(execFile);

/** Ensures `certDir` has a PEM; returns the fallback's path when one was written. */
export async function ensureFallbackCert(certDir: string): Promise<string | undefined> {
  const entries = await readdir(certDir);
  if (entries.some((e) => e.endsWith('.pem'))) return undefined;
  const work = await mkdtemp(join(tmpdir(), 'hop-cert-'));
  try {
    const key = join(work, 'key.pem');
    const crt = join(work, 'crt.pem');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', crt, '-days', '3650', '-subj', '/CN=haproxy-operator fallback', '-addext', 'subjectAltName=DNS:localhost'], { timeout: 20000 });
    const pem = (await readFile(crt, 'utf8')).trim() + '\n' + (await readFile(key, 'utf8')).trim() + '\n';
    const path = join(certDir, FALLBACK_NAME);
    await writeFileAtomic(path, pem, { mode: 0o600 });
    return path;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
