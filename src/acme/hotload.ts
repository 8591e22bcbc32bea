/**
 * @module Hot-loads a PEM into the running HAProxy through the Runtime API, no
 * reload: `new ssl cert` when HAProxy does not know the file, `set` + `commit`,
 * and `add ssl crt-list` when the directory's list lacks it. A refused step
 * aborts the transaction and raises HotloadError with HAProxy's reply.
 */
import type { Logger } from 'pino';
import { RuntimeCommandError } from '../model/errors.ts';
import {
  abortSslCert,
  addSslCrtList,
  commitSslCert,
  isCertReplyOk,
  newSslCert,
  parseShowSslCertList,
  setSslCert,
  showSslCert,
  showSslCrtList,
  validateCrtListDir,
  type CertCommandKind,
} from '../haproxy/cert-commands.ts';

/** The Runtime API as the cert code needs it: each command string sent as-is, one reply per command. */
export interface CertRuntime {
  execute(commands: string[]): Promise<string[]>;
}

/** The shape of the operator's runtime client that `certRuntimeFrom` needs. */
export interface PromptAndOneShotClient {
  execute(commands: readonly string[]): Promise<string[]>;
  oneShot(command: string): Promise<string>;
}

/**
 * Adapts a runtime client whose `execute` is line-based (prompt mode) to a
 * CertRuntime: a command holding a payload (a newline) goes over `oneShot`
 * on a fresh connection, the others through `execute`.
 */
export function certRuntimeFrom(client: PromptAndOneShotClient): CertRuntime {
  return {
    async execute(commands) {
      const replies: string[] = [];
      for (const c of commands) replies.push(c.includes('\n') ? await client.oneShot(c) : ((await client.execute([c]))[0] ?? ''));
      return replies;
    },
  };
}

/** HAProxy refused a certificate command; the message holds its reply (never the PEM). */
export class HotloadError extends RuntimeCommandError {}

function firstLine(reply: string): string {
  return reply.trim().split('\n').slice(0, 3).join(' / ').slice(0, 300);
}

/** Loads `pem` as `path` (inside `certDir`) into HAProxy; returns whether it was new to HAProxy. */
export async function hotloadCert(deps: { runtime: CertRuntime; logger: Logger }, certDir: string, path: string, pem: string): Promise<{ created: boolean }> {
  const dir = validateCrtListDir(certDir);
  async function one(kind: CertCommandKind | 'show', command: string): Promise<string> {
    const [reply = ''] = await deps.runtime.execute([command]);
    if (kind !== 'show' && !isCertReplyOk(kind, reply)) {
      const shown = kind === 'set' ? `set ssl cert ${path}` : command;
      if (kind === 'set' || kind === 'commit') {
        await deps.runtime.execute([abortSslCert(path)]).catch(() => undefined);
      }
      throw new HotloadError(`haproxy refused "${shown}": ${firstLine(reply)}`, shown);
    }
    return reply;
  }
  const known = parseShowSslCertList(await one('show', showSslCert())).includes(path);
  if (!known) await one('new', newSslCert(path));
  await one('set', setSslCert(path, pem));
  await one('commit', commitSslCert(path));
  const listed = parseShowSslCertList(await one('show', showSslCrtList(dir))).some((l) => l.split(/\s/)[0] === path);
  if (!listed) await one('crt-list', addSslCrtList(dir, path));
  deps.logger.info({ path, created: !known, addedToCrtList: !listed }, 'certificate hot-loaded');
  return { created: !known };
}
