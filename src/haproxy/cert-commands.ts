/**
 * @module Pure builders for HAProxy's certificate runtime commands (`new`,
 * `set`, `commit`, `abort`, `show ssl cert`, `add ssl crt-list`) and the
 * judgement of their replies. Paths are validated so no space, `;`, newline or
 * quote reaches the socket, and PEM payloads are normalised because HAProxy
 * ends a `<<` payload at the first empty line: a blank line between blocks
 * would silently drop the rest of the chain.
 */
import { ValidationError } from '../model/errors.ts';

/** HAProxy rejects a command longer than its buffer (tune.bufsize, 16 KB); stay below. */
export const MAX_PAYLOAD_BYTES = 15_000;

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

/** `new ssl cert <path>`: creates an empty certificate store for a file HAProxy did not load. */
export function newSslCert(path: string): string {
  return `new ssl cert ${validateCertPath(path)}`;
}

/**
 * `set ssl cert <path> <<`, a newline, the normalised PEM (no blank line
 * inside) and the empty line that ends the payload: the string ends in
 * "\n\n", so it is complete whether or not the sender adds a newline. Send it
 * on its own connection (non-interactive mode), not in a `;` batch.
 */
export function setSslCert(path: string, pem: string): string {
  const body = normalizePem(pem);
  const command = `set ssl cert ${validateCertPath(path)} <<\n${body}\n`;
  if (Buffer.byteLength(command) > MAX_PAYLOAD_BYTES) {
    throw new ValidationError('pem', `(${Buffer.byteLength(command)} bytes)`, `payload over ${MAX_PAYLOAD_BYTES} bytes, HAProxy would drop it`);
  }
  return command;
}

/** `commit ssl cert <path>`: applies the open transaction. */
export function commitSslCert(path: string): string {
  return `commit ssl cert ${validateCertPath(path)}`;
}

/** `abort ssl cert <path>`: drops the open transaction. */
export function abortSslCert(path: string): string {
  return `abort ssl cert ${validateCertPath(path)}`;
}

/** `add ssl crt-list <dir> <path>`: makes SNI select a new certificate of a `crt <dir>` bind. */
export function addSslCrtList(dir: string, path: string): string {
  return `add ssl crt-list ${validateCrtListDir(dir)} ${validateCertPath(path)}`;
}

/** `show ssl cert` (list) or `show ssl cert <path>` (details). */
export function showSslCert(path?: string): string {
  return path === undefined ? 'show ssl cert' : `show ssl cert ${validateCertPath(path)}`;
}

/** Certificate paths listed by `show ssl cert`; a `*` prefix (open transaction) is stripped. */
export function parseShowSslCertList(reply: string): string[] {
  return reply
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'))
    .map((l) => (l.startsWith('*') ? l.slice(1) : l));
}

export type CertCommandKind = 'new' | 'set' | 'commit' | 'abort' | 'crt-list';

const SUCCESS: Record<CertCommandKind, RegExp> = {
  new: /New empty certificate store/i,
  set: /Transaction (created|updated) for certificate/i,
  commit: /Success!/,
  abort: /Transaction aborted|No ongoing transaction/i,
  'crt-list': /Success!/,
};

/** True when HAProxy's reply to a command of `kind` reports success. */
export function isCertReplyOk(kind: CertCommandKind, reply: string): boolean {
  if (kind !== 'abort' && /error|can't|cannot|unable|failed|unknown/i.test(reply) && !/Success!/.test(reply)) return false;
  return SUCCESS[kind].test(reply);
}

/** `show ssl crt-list <dir>`: the entries of a directory's certificate list. */
export function showSslCrtList(dir: string): string {
  return `show ssl crt-list ${validateCrtListDir(dir)}`;
}
