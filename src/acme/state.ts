/**
 * @module Persisted per-certificate ACME state (<stateDir>/acme/state.json,
 * written atomically): validity, issuer, last attempt and error, next
 * attempt, and the log of orders that the order budget counts. A corrupt file
 * is an error, never silently reset: losing the order log would let a restart
 * loop hammer the CA.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { OperatorError } from '../model/errors.ts';
import { acmeDir } from './account.ts';
import { writeFileAtomic } from '../os/atomic-write.ts';

export const CertEntry = z.object({
  name: z.string(),
  domains: z.array(z.string()),
  wildcard: z.boolean(),
  /** Per-certificate renewal threshold in ms before notAfter; absent: a fraction of the lifetime. */
  renewBeforeMs: z.number().int().positive().optional(),
  notBefore: z.string().optional(),
  notAfter: z.string().optional(),
  issuer: z.string().optional(),
  serial: z.string().optional(),
  lastAttempt: z.string().optional(),
  lastSuccess: z.string().optional(),
  lastError: z.string().optional(),
  nextAttempt: z.string().optional(),
  /** Consecutive failed attempts, for the backoff. */
  failures: z.number().int().nonnegative().default(0),
  /** Every failed attempt ever (the failure counter on /metrics); never reset. */
  failuresTotal: z.number().int().nonnegative().default(0),
  /** Fingerprint of the DNS credentials of the last attempt: a changed token resets the backoff. */
  credential: z.string().optional(),
  /** Who asked for this certificate first: tls=auto, cli, mcp, Certificate/<name>. */
  origin: z.string().optional(),
  /** The PEM on disk is newer than what HAProxy serves. */
  hotloadPending: z.boolean().default(false),
  /** ISO times of orders the CA accepted (successful or not); pruned past the budget window. */
  orders: z.array(z.string()).default([]),
});
export type CertEntry = z.infer<typeof CertEntry>;

export const AcmeStateFile = z.object({
  version: z.literal(1),
  certs: z.record(z.string(), CertEntry),
});
export type AcmeStateFile = z.infer<typeof AcmeStateFile>;

export class AcmeStateError extends OperatorError {}

export interface AcmeStateStore {
  load(): Promise<AcmeStateFile>;
  save(state: AcmeStateFile): Promise<void>;
  path: string;
}

/** A store for <stateDir>/acme/state.json. */
export function createAcmeStateStore(stateDir: string): AcmeStateStore {
  const path = join(stateDir, 'acme', 'state.json');
  return {
    path,
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, certs: {} };
        throw err;
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new AcmeStateError(`${path}: not valid JSON (${(err as Error).message}); fix or move the file (it holds the order log)`);
      }
      const parsed = AcmeStateFile.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new AcmeStateError(`${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
      }
      return parsed.data;
    },
    async save(state) {
      await acmeDir(stateDir);
      await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    },
  };
}
