/**
 * @module Parses a Runtime API address: "127.0.0.1:9999", "[::1]:9999",
 * "unix:/path/to/sock" or an absolute socket path.
 */
import { isIP } from 'node:net';
import { ValidationError } from '../model/errors.ts';

export type RuntimeAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export function parseRuntimeAddress(value: string, field = 'runtimeApi'): RuntimeAddress {
  const text = value.trim();
  if (text.startsWith('unix:') || text.startsWith('/')) {
    const path = text.startsWith('unix:') ? text.slice(5).replace(/^\/\//, '') : text;
    if (!path.startsWith('/')) throw new ValidationError(field, value, 'unix socket path must be absolute');
    return { kind: 'unix', path };
  }
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(text);
  if (!m || isIP(m[1]!) === 0) throw new ValidationError(field, value, 'expected IP:PORT, [IPv6]:PORT, unix:/path or /path');
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new ValidationError(field, value, 'port out of range 1-65535');
  return { kind: 'tcp', host: m[1]!, port };
}

export function formatRuntimeAddress(address: RuntimeAddress): string {
  if (address.kind === 'unix') return `unix:${address.path}`;
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
