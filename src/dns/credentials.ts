/**
 * @module Cloudflare API token sources: certbot's cloudflare.ini as users
 * already have it, a token file, or an environment variable. The token is
 * wrapped so that logging, JSON or string conversion never shows it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { inspect } from 'node:util';
import { OperatorError, ValidationError } from '../model/errors.ts';

/** A secret string that prints as `[redacted]` everywhere except `reveal()`. */
export class SecretToken {
  readonly #value: string;
  constructor(
    value: string,
    /** Where the token came from, safe to log (a path or a variable name). */
    readonly source: string,
  ) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  /** A short one-way digest: tells a changed token from the same one, reveals nothing usable. */
  fingerprint(): string {
    return createHash('sha256').update(`haproxy-operator:${this.#value}`).digest('hex').slice(0, 16);
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return `SecretToken([redacted] from ${this.source})`;
  }
}

/** The credentials could not be read or are in a form we do not support. */
export class CredentialsError extends OperatorError {}

export interface CredentialSources {
  /** certbot-style ini file (`dns_cloudflare_api_token = ...`). */
  iniFile?: string;
  /** A file whose whole content (trimmed) is the token. */
  tokenFile?: string;
  /** Name of an environment variable holding the token. */
  envVar?: string;
  /** The environment to read `envVar` from (injected; defaults to none). */
  env?: Record<string, string | undefined>;
}

/** Only what can never be a token is refused here; Cloudflare judges the rest (its answer is reported). */
const TOKEN_SHAPE = /^\S{1,4096}$/;

function checkToken(token: string, source: string): SecretToken {
  if (!TOKEN_SHAPE.test(token)) {
    // Never echo the value: it may be a real token with a typo.
    throw new ValidationError(source, '(redacted)', 'not a Cloudflare API token (empty, or holds white space)');
  }
  return new SecretToken(token, source);
}

/**
 * Parses certbot's cloudflare.ini text. Comments (`#`, `;`) and blank lines are
 * allowed. The legacy global-key form (email + api key) is refused with a
 * clear error because a scoped token is the only supported credential.
 */
export function parseCloudflareIni(text: string, source: string): SecretToken {
  const values = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const m = /^([A-Za-z0-9_]+)\s*[=:]\s*(.*)$/.exec(line);
    if (!m) throw new CredentialsError(`${source}: a line is neither "key = value" nor a comment (line not shown, it may hold a secret)`);
    values.set(m[1]!.toLowerCase(), m[2]!.trim().replace(/^(['"])(.*)\1$/, '$2'));
  }
  const token = values.get('dns_cloudflare_api_token');
  if (token) return checkToken(token, `${source}: dns_cloudflare_api_token`);
  if (values.has('dns_cloudflare_api_key') || values.has('dns_cloudflare_email')) {
    throw new CredentialsError(
      `${source}: the legacy dns_cloudflare_email + dns_cloudflare_api_key (global API key) form is not supported; ` +
        'create a scoped API token with Zone:DNS:Edit and set dns_cloudflare_api_token = <token>',
    );
  }
  throw new CredentialsError(`${source}: no dns_cloudflare_api_token line found`);
}

async function readSecretFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new CredentialsError(`${what} ${JSON.stringify(path)}: cannot read (${code})`);
  }
}

/**
 * Loads the Cloudflare token from the first configured source: ini file, then
 * token file, then environment variable. Throws CredentialsError naming the
 * source (never the token) when none is set or the value is unusable.
 */
export async function loadCloudflareToken(sources: CredentialSources): Promise<SecretToken> {
  if (sources.iniFile) {
    return parseCloudflareIni(await readSecretFile(sources.iniFile, 'cloudflare credentials'), sources.iniFile);
  }
  if (sources.tokenFile) {
    const text = (await readSecretFile(sources.tokenFile, 'cloudflare token file')).trim();
    return checkToken(text, sources.tokenFile);
  }
  if (sources.envVar) {
    const value = sources.env?.[sources.envVar]?.trim();
    if (!value) throw new CredentialsError(`environment variable ${sources.envVar} is not set or empty`);
    return checkToken(value, `$${sources.envVar}`);
  }
  throw new CredentialsError('no Cloudflare credentials configured (an ini file, a token file or an environment variable)');
}
