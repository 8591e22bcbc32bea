/**
 * @module The ACME account key: created once per issuer, stored 0600 under
 * <stateDir>/acme/, reused on every start so restarts never create accounts.
 */
import { mkdir, readFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { createPrivateKey } from 'node:crypto';
import acme from 'acme-client';
import { OperatorError } from '../model/errors.ts';
import { writeFileAtomic } from '../os/atomic-write.ts';

export class AccountKeyError extends OperatorError {}

/** <stateDir>/acme, created 0700. */
export async function acmeDir(stateDir: string): Promise<string> {
  const dir = join(stateDir, 'acme');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Reads the issuer's account key, or creates and stores a new ECDSA P-256 key. */
export async function loadOrCreateAccountKey(stateDir: string, issuerName: string): Promise<Buffer> {
  const path = join(await acmeDir(stateDir), `account-${issuerName}.key`);
  let pem: Buffer | undefined;
  try {
    pem = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (pem) {
    try {
      createPrivateKey(pem);
    } catch {
      throw new AccountKeyError(`ACME account key ${path} is not a valid private key; move it away to create a new account`);
    }
    await chmod(path, 0o600);
    return pem;
  }
  const key = await acme.crypto.createPrivateEcdsaKey('P-256');
  await writeFileAtomic(path, key, { mode: 0o600 });
  return key;
}
