/**
 * @module Who may call /mcp: a bearer token, except from trusted source ranges;
 * the Host header is checked so a browser page cannot reach the loopback
 * listener through DNS rebinding, and a foreign Origin is refused so a page
 * cannot post to it either. The token is read from the original's
 * mcp-token.env (KEY=value lines or a bare token) or an environment variable,
 * compared in constant time, and never logged or returned.
 */
import { BlockList, isIP, isIPv4 } from 'node:net';
import { createHostCheck } from '../http/host-check.ts';
export { hostOfHeader } from '../http/host-check.ts';
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { ValidationError } from '../model/errors.ts';
import type { ClientAddress } from '../http/listener.ts';

/** Loopback and Tailscale's CGNAT range, as the original trusted them. */
export const DEFAULT_TRUSTED_NETWORKS = ['127.0.0.0/8', '::1/128', '100.64.0.0/10'];

/** Environment variable that may hold the token. */
export const TOKEN_ENV = 'HAPROXY_OPERATOR_MCP_TOKEN';

/** Keys in a token file, most specific first; any other single KEY=value or *TOKEN* key also works. */
const TOKEN_KEYS = ['HAPROXY_OPERATOR_MCP_TOKEN', 'HAPROXY_MCP_TOKEN', 'MCP_TOKEN', 'MCP_BEARER_TOKEN', 'BEARER_TOKEN', 'AUTH_TOKEN', 'API_TOKEN', 'TOKEN'];

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0]) return v.slice(1, -1);
  // An unquoted value ends at a comment that follows whitespace (shell rules).
  return v.replace(/\s+#.*$/, '').trim();
}

/**
 * Extracts the token from the text of a token file: `KEY=value` lines (with
 * optional `export`, quotes and comments) or a bare token on its own line.
 * Returns undefined when the text holds no token.
 */
export function parseTokenFile(text: string): string | undefined {
  const pairs = new Map<string, string>();
  const bare: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line);
    // "abc==" is a base64 token, not KEY=value: its "value" is only padding.
    if (m && !/^=+$/.test(m[2]!.trim())) pairs.set(m[1]!.toUpperCase(), unquote(m[2]!));
    else bare.push(unquote(line));
  }
  for (const key of TOKEN_KEYS) {
    const v = pairs.get(key);
    if (v) return v;
  }
  const tokenish = [...pairs.entries()].find(([k, v]) => k.includes('TOKEN') && v);
  if (tokenish) return tokenish[1];
  if (pairs.size === 1) return [...pairs.values()][0] || undefined;
  if (pairs.size === 0 && bare.length === 1 && bare[0]) return bare[0];
  return undefined;
}

/**
 * Loads the token: the file wins over the environment. Throws when a file is
 * named but unreadable or holds no token (the message names the file, never
 * its content). Returns undefined when neither source is set.
 */
export async function loadMcpToken(opts: { file?: string; env?: NodeJS.ProcessEnv }): Promise<string | undefined> {
  if (opts.file) {
    const text = await readFile(opts.file, 'utf8');
    const token = parseTokenFile(text);
    if (!token) throw new ValidationError('mcpTokenFile', opts.file, 'holds no token (expected KEY=value such as MCP_TOKEN=..., or the bare token)');
    return token;
  }
  const fromEnv = opts.env?.[TOKEN_ENV]?.trim();
  return fromEnv || undefined;
}

/** Builds a BlockList of trusted CIDRs; throws ValidationError naming a bad entry. */
export function parseTrustedNetworks(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [addr, prefixText, extra] = cidr.trim().split('/');
    const family = isIP(addr ?? '');
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (!addr || family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      throw new ValidationError('mcpTrustedNetworks', cidr, 'not a CIDR (for example 100.64.0.0/10 or ::1/128)');
    }
    list.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant-time comparison: both sides are hashed first so lengths leak nothing either. */
export function tokensEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * Why a request is cross-site, or undefined when it is not: an Origin (or a
 * browser's Sec-Fetch-Site) that is not the listener itself. Non-browser
 * clients (the CLI, MCP clients, curl) send neither header.
 */
export function crossSiteReason(headers: IncomingHttpHeaders): string | undefined {
  const site = headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return `Sec-Fetch-Site ${site}: requests from web pages are refused`;
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  let host: string | undefined;
  try {
    host = new URL(origin).host.toLowerCase();
  } catch {
    host = undefined;
  }
  if (host && host === String(headers.host ?? '').trim().toLowerCase()) return undefined;
  return `Origin ${JSON.stringify(String(origin).slice(0, 100))} is not this server: requests from web pages are refused`;
}

export interface McpAuthOptions {
  /** The bearer token; undefined: no token accepted, only trusted ranges get in. */
  token?: string;
  /** CIDRs that need no token; default DEFAULT_TRUSTED_NETWORKS. */
  trustedNetworks?: readonly string[];
  /** Host names (besides localhost and IP literals) accepted in the Host header: the MCP public host name, etc. */
  allowedHosts?: readonly string[];
}

export type AuthDecision =
  | { ok: true; principal: 'trusted-network' | 'token' }
  | { ok: false; status: 401 | 403; reason: string; headers: Record<string, string> };

export interface McpAuth {
  /** Judges one request by its proven client address, Host header and Authorization header. */
  check(headers: IncomingHttpHeaders, client: ClientAddress): AuthDecision;
  /** Whether an address falls in a trusted range. */
  isTrusted(address: string | undefined): boolean;
  readonly hasToken: boolean;
}

/** Creates the request judge; throws ValidationError on a bad CIDR. */
export function createMcpAuth(opts: McpAuthOptions): McpAuth {
  const trusted = parseTrustedNetworks(opts.trustedNetworks ?? DEFAULT_TRUSTED_NETWORKS);
  const hostAllowed = createHostCheck(opts.allowedHosts);
  const token = opts.token;

  function isTrusted(address: string | undefined): boolean {
    if (!address) return false;
    return trusted.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
  }

  return {
    hasToken: token !== undefined,
    isTrusted,
    check(headers, client): AuthDecision {
      if (!hostAllowed(headers.host)) {
        return { ok: false, status: 403, reason: `Host header ${JSON.stringify(String(headers.host).slice(0, 100))} is not an allowed host name`, headers: {} };
      }
      // A page open in a local browser is on loopback too: trust by address only for non-browser requests.
      const crossSite = crossSiteReason(headers);
      if (crossSite) return { ok: false, status: 403, reason: crossSite, headers: {} };
      if (isTrusted(client.address)) return { ok: true, principal: 'trusted-network' };
      const auth = headers.authorization;
      const m = typeof auth === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
      if (!m) {
        return { ok: false, status: 401, reason: 'bearer token required', headers: { 'WWW-Authenticate': 'Bearer realm="haproxy-operator"' } };
      }
      if (token === undefined || !tokensEqual(m[1]!, token)) {
        return {
          ok: false,
          status: 401,
          reason: 'invalid bearer token',
          headers: { 'WWW-Authenticate': 'Bearer realm="haproxy-operator", error="invalid_token"' },
        };
      }
      return { ok: true, principal: 'token' };
    },
  };
}
