/** @module What the installed HAProxy can do, read from `haproxy -vv`. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface HaproxyCapabilities {
  version: string;
  quic: boolean;
}

/** Parses `haproxy -vv` output: QUIC only when the feature list shows +QUIC. */
export function parseCapabilities(output: string): HaproxyCapabilities {
  const version = /HAProxy version (\S+)/.exec(output)?.[1] ?? 'unknown';
  return { version, quic: /(^|\s)\+QUIC(\s|$)/m.test(output) };
}

export async function detectCapabilities(bin: string): Promise<HaproxyCapabilities> {
  const { stdout, stderr } = await run(bin, ['-vv'], { timeout: 10000 });
  return parseCapabilities(stdout + stderr);
}
