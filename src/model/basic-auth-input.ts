/**
 * @module Basic auth as labels, manifests and MCP give it, turned into the
 * hashed form the operator holds (access-rules.ts BasicAuth) while parsing:
 * credentials by reference (`credentialsRef: {file}` or `{env}`, read here,
 * `user:password` lines) or, from MCP only, `users: [{user, password}]`.
 * So no plain password gets past the schema: not into servers.json, a view,
 * a log or an error (errors name the file or variable and the line, never
 * its text). A credentials file must not be readable by others (chmod 600).
 *
 * Reading a file during parsing is the one piece of I/O in model/: labels
 * and manifests are parsed again on every resync, and a reference must be
 * resolved where it is validated so a bad one is refused with its field.
 * A user whose password did not change keeps the hash it had (remembered
 * per process, from every held form parsed, servers.json included), so a
 * resync rewrites nothing, also the first one after a restart.
 */
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { BasicAuthUser, PasswordHash, REALM_PATTERN, hashCredentials, type HashedUser } from './basic-auth.ts';

/** Hashes handed out in this process, by user: re-reading unchanged credentials reuses them. */
const issued = new Map<string, HashedUser[]>();

/** Remembers hashes already held, so unchanged credentials keep them. */
function rememberHashes(users: readonly HashedUser[]): void {
  for (const u of users) {
    const list = issued.get(u.user) ?? [];
    if (!list.some((h) => h.hash === u.hash)) issued.set(u.user, [...list, u].slice(-8));
  }
}

/** Hashes `text` (user:password lines), reusing remembered hashes; a reason string on bad text. */
export function hashRemembered(text: string): HashedUser[] | string {
  const previous = [...issued.values()].flat();
  const users = hashCredentials(text, previous);
  if (typeof users !== 'string') rememberHashes(users);
  return users;
}

/** The credentials text a reference points at, or a reason (naming the file or variable, never its content). */
export function readCredentials(ref: { file?: string; env?: string }, env: NodeJS.ProcessEnv = process.env): { text: string; from: string } | string {
  if (ref.env !== undefined) {
    const text = env[ref.env];
    return text ? { text, from: `env ${ref.env}` } : `environment variable ${ref.env} is not set or empty`;
  }
  const file = ref.file!;
  try {
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077) return `${file} is readable by other users (mode ${mode.toString(8).padStart(4, '0')}): chmod 600 it`;
    return { text: readFileSync(file, 'utf8'), from: `file ${file}` };
  } catch (err) {
    return `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}

const SecretFile = z.string().regex(/^\/.{0,4095}$/, { message: 'not an absolute file path' });
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, { message: 'not an environment variable name' });

/** `{file}` or `{env}`: where `user:password` lines are read. */
export const CredentialsRef = z
  .strictObject({ file: SecretFile.optional(), env: EnvName.optional() })
  .refine((r) => (r.file === undefined) !== (r.env === undefined), { message: 'give exactly one of file or env' })
  .meta({ minProperties: 1, maxProperties: 1 })
  .describe('Where the user:password lines are: a file (mode 0600) or an environment variable of the operator');

export const Realm = z
  .string()
  .regex(new RegExp(REALM_PATTERN), { message: 'not a realm (1-64 printable ASCII characters, no " or \\)' })
  .meta({ pattern: REALM_PATTERN })
  .describe('Realm shown by the browser (default: the host name)');

const Password = z
  .string()
  .min(1, { message: 'empty password' })
  .max(1024)
  .regex(/^[^\r\n]*$/, { message: 'contains a line break' })
  .describe('Plain password (MCP only; hashed at once, never stored or shown)');

/**
 * Basic auth of a host. Given with `credentialsRef` (labels, manifests) or
 * `users` (each with `password`, from MCP, or `hash`, as held); always
 * parsed to `{realm?, users: [{user, hash}], from?}`.
 */
export const BasicAuthRule = z
  .strictObject({
    realm: Realm.optional(),
    credentialsRef: CredentialsRef.optional(),
    users: z
      .array(z.strictObject({ user: BasicAuthUser, password: Password.optional(), hash: PasswordHash.optional() }))
      .min(1)
      .max(100)
      .optional()
      .describe('Users with a password (MCP) or a hash (as the operator holds them)'),
    from: z.string().max(4200).optional().describe('Where the credentials came from: file PATH, env NAME, or mcp'),
  })
  .transform((v, ctx): BasicAuth => {
    const realm = v.realm !== undefined ? { realm: v.realm } : {};
    if ((v.credentialsRef === undefined) === (v.users === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of credentialsRef or users' });
      return z.NEVER;
    }
    if (v.credentialsRef) {
      const read = readCredentials(v.credentialsRef);
      const users = typeof read === 'string' ? read : hashRemembered(read.text);
      if (typeof users === 'string') {
        ctx.addIssue({ code: 'custom', path: ['credentialsRef'], message: typeof read === 'string' ? users : `${read.from}: ${users}` });
        return z.NEVER;
      }
      return { ...realm, users, from: (read as { from: string }).from };
    }
    const users = v.users!;
    const bad = users.findIndex((u) => (u.password === undefined) === (u.hash === undefined));
    if (bad >= 0) {
      ctx.addIssue({ code: 'custom', path: ['users', bad], message: 'give exactly one of password or hash' });
      return z.NEVER;
    }
    const plain = users.filter((u) => u.password !== undefined).map((u) => `${u.user}:${u.password}`);
    const hashed = plain.length ? hashRemembered(plain.join('\n')) : [];
    if (typeof hashed === 'string') {
      ctx.addIssue({ code: 'custom', path: ['users'], message: hashed });
      return z.NEVER;
    }
    const held = users.map((u) => (u.hash !== undefined ? { user: u.user, hash: u.hash } : hashed.find((h) => h.user === u.user)!));
    // Hashes as held (servers.json at start): remembered, so the labels' and manifests' unchanged credentials keep them after a restart.
    rememberHashes(held);
    return { ...realm, users: held, from: v.from ?? (plain.length ? 'mcp' : undefined) } as BasicAuth;
  })
  .describe('Basic auth for the host: clients without a listed user and password get 401');

/** Basic auth as the operator holds it: hashed users only, and where they came from. */
export interface BasicAuth {
  realm?: string;
  users: HashedUser[];
  from?: string;
}

/** BasicAuthRule taking any of the narrower input shapes below (each a subset of its input). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- zod pipes check the input type contravariantly
const toHeld = BasicAuthRule as unknown as z.ZodType<BasicAuth, any>;

/** Basic auth as a Domain manifest gives it: a realm and a credentials reference; never a password in the manifest. */
export const ManifestBasicAuth = z
  .strictObject({ realm: Realm.optional(), credentialsRef: CredentialsRef })
  .pipe(toHeld)
  .describe('Basic auth for the hosts: user:password lines from credentialsRef (a file of mode 0600, or an environment variable of the operator), held hashed');

/**
 * Basic auth as MCP gives it: users with their password, hashed at once.
 * No credentialsRef: an MCP caller does not get to make the operator read
 * its files or environment.
 */
export const McpBasicAuth = z
  .strictObject({ realm: Realm.optional(), users: z.array(z.strictObject({ user: BasicAuthUser, password: Password })).min(1).max(100) })
  .pipe(toHeld)
  .describe('Basic auth for the host: users and passwords (hashed at once; answers show user names only)');
