/**
 * @module Certificate paths and PEM text as the operator accepts them.
 * Paths are validated so no space, `;`, newline or quote can reach the
 * Runtime API, and PEMs are normalised because HAProxy ends a `<<` payload
 * at the first empty line: a blank line between blocks would silently drop
 * the rest of the chain. Used by the PEM writer (acme/) and the certificate
 * commands (haproxy/).
 */
import { ValidationError } from './errors.ts';

/** The self-signed PEM written when the certificate directory holds none (a `crt <dir>` bind needs one); listed as source `fallback`. */
export const FALLBACK_NAME = '00-fallback-selfsigned.pem';

const SAFE_PATH = /^\/[A-Za-z0-9._\/+=@-]*$/;

/** Throws ValidationError unless `path` is an absolute path made only of safe characters. */
export function validateCertPath(path: string, field = 'certPath'): string {
  if (typeof path !== 'string' || path.length === 0 || path.length > 1024) {
    throw new ValidationError(field, path, 'not an absolute path of 1 to 1024 characters');
  }
  if (!SAFE_PATH.test(path)) {
    throw new ValidationError(field, path, 'must be absolute and use only letters, digits and . _ / + = @ - (no spaces, ; or newlines)');
  }
  if (path.split('/').some((seg) => seg === '..' || seg === '.')) {
    throw new ValidationError(field, path, 'must not contain . or .. segments');
  }
  return path;
}

/** A crt-list name for a directory is the directory without a trailing slash. */
export function validateCrtListDir(dir: string, field = 'certDir'): string {
  const trimmed = dir.length > 1 ? dir.replace(/\/+$/, '') : dir;
  return validateCertPath(trimmed, field);
}

/**
 * Returns the PEM with CRLF turned into LF, every blank or whitespace-only
 * line removed, and exactly one trailing newline. Throws ValidationError when
 * the text holds no PEM block or has text outside BEGIN/END pairs.
 */
export function normalizePem(pem: string, field = 'pem'): string {
  const lines = pem
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim().length > 0);
  if (!lines.some((l) => /^-----BEGIN [A-Z0-9 ]+-----$/.test(l))) {
    throw new ValidationError(field, '(PEM text redacted)', 'holds no PEM block (-----BEGIN ...-----)');
  }
  let inside = false;
  for (const line of lines) {
    if (/^-----BEGIN [A-Z0-9 ]+-----$/.test(line)) {
      if (inside) throw new ValidationError(field, '(PEM text redacted)', 'a BEGIN line inside another PEM block');
      inside = true;
    } else if (/^-----END [A-Z0-9 ]+-----$/.test(line)) {
      if (!inside) throw new ValidationError(field, '(PEM text redacted)', 'an END line without BEGIN');
      inside = false;
    } else if (!inside) {
      throw new ValidationError(field, '(PEM text redacted)', 'text outside a PEM block');
    } else if (!/^[A-Za-z0-9+\/=:, -]+$/.test(line)) {
      throw new ValidationError(field, '(PEM text redacted)', 'a PEM line with characters outside base64 and headers');
    }
  }
  if (inside) throw new ValidationError(field, '(PEM text redacted)', 'a PEM block without END line');
  return `${lines.join('\n')}\n`;
}
