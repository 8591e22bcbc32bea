/**
 * @module What every client command gets: output lines, the environment,
 * standard input, a clock, and a lazy connection to the operator (made only
 * after local checks pass, so a bad file is reported even when the operator
 * is down).
 */
import type { Readable } from 'node:stream';
import type { CertCliIo } from '../acme/cli.ts';
import { createApiClient, type ApiClient } from './client.ts';
import { resolveConnection } from './connection.ts';

export type CliIo = CertCliIo;

export interface CliContext {
  io: CliIo;
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdin: Readable;
  now: () => Date;
  /** Resolves --listen / --mcp-token-file / --config and returns a client; throws ValidationError on a bad setting. */
  connect(): Promise<ApiClient>;
}

/** Prints multi-line text through the line-based io, without a doubled final newline. */
export function emit(write: (line: string) => void, text: string): void {
  write(text.endsWith('\n') ? text.slice(0, -1) : text);
}

export function createContext(opts: { io: CliIo; env: NodeJS.ProcessEnv; cwd: string; stdin: Readable; now: () => Date; flags: Record<string, string | true> }): CliContext {
  return {
    io: opts.io,
    env: opts.env,
    cwd: opts.cwd,
    stdin: opts.stdin,
    now: opts.now,
    connect: async () => createApiClient(await resolveConnection(opts.flags, opts.env, opts.cwd)),
  };
}
