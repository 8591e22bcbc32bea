/**
 * @module Basic-auth credentials as HAProxy checks them per request: a user
 * name and `salt:sha256hex`, where the hash is SHA-256 of the salt text
 * followed by the password. HAProxy's userlists (which take crypt(3) hashes)
 * are fixed at start, and its only per-request hash converters are the SHA
 * family (`sha2(256)`), with no bcrypt or other slow hash; so a salted
 * SHA-256 is what can change at runtime with no reload. The plain password
 * never leaves this module: parsing returns hashes only, and every error
 * names the line and the user, never the password.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** A user name: Basic auth forbids `:`; no spaces or control characters (it is part of a map key). */
export const USER_PATTERN = '^[A-Za-z0-9._@+-]{1,64}$';
export const BasicAuthUser = z
  .string()
  .regex(new RegExp(USER_PATTERN), { message: 'not a user name (1-64 of letters, digits, . _ @ + -)' })
  .meta({ pattern: USER_PATTERN });

/** What servers.json and the map hold: 32 hex digits of salt, `:`, 64 hex digits of SHA-256. */
export const HASH_PATTERN = '^[0-9a-f]{32}:[0-9a-f]{64}$';
export const PasswordHash = z
  .string()
  .regex(new RegExp(HASH_PATTERN), { message: 'not a password hash (salt:sha256, as the operator writes it)' })
  .meta({ pattern: HASH_PATTERN });

export interface HashedUser {
  user: string;
  hash: string;
}

/** Realm text shown by browsers; printable ASCII without `"` or `\` (it sits in a quoted header parameter). */
export const REALM_PATTERN = '^[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]{1,64}$';

function sha256(salt: string, password: string): string {
  return createHash('sha256').update(salt + password, 'utf8').digest('hex');
}

/** The hash of `password`; a fresh salt unless one is given (tests, and keeping an unchanged password's hash). */
export function hashPassword(password: string, salt = randomBytes(16).toString('hex')): string {
  return `${salt}:${sha256(salt, password)}`;
}

/** True when `password` matches `hash` (constant-time compare). */
export function verifyPassword(password: string, hash: string): boolean {
  const [salt, hex] = hash.split(':');
  if (!salt || !hex) return false;
  const want = Buffer.from(hex, 'hex');
  const got = Buffer.from(sha256(salt, password), 'hex');
  return want.length === got.length && timingSafeEqual(want, got);
}

/**
 * Parses credentials text, one `user:password` per line (blank lines and
 * `#` comments skipped), into hashed users. A user already in `previous`
 * whose password is unchanged keeps its hash, so re-reading the same file
 * changes nothing (no map update, no servers.json write). Returns a reason,
 * naming the line and never the password, for text it cannot use.
 */
export function hashCredentials(text: string, previous: readonly HashedUser[] = []): HashedUser[] | string {
  const users: HashedUser[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon < 0) return `line ${i + 1}: not user:password`;
    const user = line.slice(0, colon);
    const password = line.slice(colon + 1);
    if (!BasicAuthUser.safeParse(user).success) return `line ${i + 1}: user ${JSON.stringify(user)} is not a user name (1-64 of letters, digits, . _ @ + -)`;
    if (password === '') return `line ${i + 1}: user ${user} has an empty password`;
    if (users.some((u) => u.user === user)) return `line ${i + 1}: user ${user} is listed twice`;
    const kept = previous.find((u) => u.user === user && verifyPassword(password, u.hash));
    users.push({ user, hash: kept?.hash ?? hashPassword(password) });
  }
  if (users.length === 0) return 'no user:password line';
  return users;
}
