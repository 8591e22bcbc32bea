/**
 * @module Pure builders for HAProxy's certificate runtime commands (`new`,
 * `set`, `commit`, `abort`, `show ssl cert`, `add ssl crt-list`) and the
 * judgement of their replies. Paths and PEMs pass model/pem.ts first, so no
 * space, `;`, newline or quote reaches the socket and no blank line ends a
 * `<<` payload early.
 */
import { ValidationError } from '../model/errors.ts';
import { normalizePem, validateCertPath, validateCrtListDir } from '../model/pem.ts';

/** HAProxy rejects a command longer than its buffer (tune.bufsize, 16 KB); stay below. */
export const MAX_PAYLOAD_BYTES = 15_000;

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
