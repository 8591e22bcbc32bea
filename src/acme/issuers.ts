/**
 * @module ACME issuers: a directory URL (Let's Encrypt production and staging
 * by name, or any https URL), a contact email and an optional External
 * Account Binding whose HMAC key is read from a file and never logged.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { OperatorError } from '../model/errors.ts';
import { parseOrThrow } from '../model/zod-errors.ts';

/** Directory URLs known by name. */
export const KNOWN_DIRECTORIES: Record<string, string> = {
  letsencrypt: 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
};

export const IssuerSpec = z.object({
  /** Issuer id, also used in the account key's file name. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'not an issuer name (lowercase letters, digits, hyphens)' }).default('default'),
  directory: z
    .string()
    .refine((d) => d in KNOWN_DIRECTORIES || /^https:\/\/[^\s]+$/.test(d), {
      message: `not a known directory (${Object.keys(KNOWN_DIRECTORIES).join(', ')}) nor an https:// URL`,
    }),
  email: z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: 'not an email address' }),
  eab: z
    .object({
      keyId: z.string().min(1, { message: 'empty key id' }),
      hmacKeyFile: z.string().min(1, { message: 'empty path' }),
    })
    .optional(),
});
export type IssuerSpec = z.input<typeof IssuerSpec>;

/** An issuer ready for use; `eab.hmacKey` is secret. */
export interface ResolvedIssuer {
  name: string;
  directoryUrl: string;
  email: string;
  eab?: { kid: string; hmacKey: string };
}

export class IssuerError extends OperatorError {}

/** Validates `spec` (ValidationError naming the field) and reads the EAB key file. */
export async function resolveIssuer(spec: unknown): Promise<ResolvedIssuer> {
  const s = parseOrThrow(IssuerSpec, spec, 'issuer');
  const directoryUrl = KNOWN_DIRECTORIES[s.directory] ?? s.directory;
  if (!s.eab) return { name: s.name, directoryUrl, email: s.email };
  let hmacKey: string;
  try {
    hmacKey = (await readFile(s.eab.hmacKeyFile, 'utf8')).trim();
  } catch (err) {
    throw new IssuerError(`issuer.eab.hmacKeyFile=${JSON.stringify(s.eab.hmacKeyFile)}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!/^[A-Za-z0-9_=-]+$/.test(hmacKey)) {
    throw new IssuerError(`issuer.eab.hmacKeyFile=${JSON.stringify(s.eab.hmacKeyFile)}: not a base64url HMAC key (content not shown)`);
  }
  return { name: s.name, directoryUrl, email: s.email, eab: { kid: s.eab.keyId, hmacKey } };
}
