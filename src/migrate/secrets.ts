/**
 * @module Recognises the original's secret files without ever returning
 * their contents: conf/mcp-token.env (a bare token or KEY=value lines) and
 * certbot's cloudflare.ini (`dns_cloudflare_api_token = TOKEN`). Pure.
 */
import { parseTokenFile } from '../mcp/auth.ts';

/**
 * True when mcp-token.env text holds a token the operator will accept: the
 * same parser the MCP listener uses, so "found" means the token keeps working.
 */
export function hasMcpToken(text: string): boolean {
  return parseTokenFile(text) !== undefined;
}

/** True when cloudflare.ini text sets a non-empty dns_cloudflare_api_token. */
export function hasCloudflareToken(text: string): boolean {
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*dns_cloudflare_api_token\s*[=:]\s*(.*)$/.exec(raw);
    if (m && unquote(m[1]!.trim()) !== '') return true;
  }
  return false;
}

function unquote(v: string): string {
  return /^(["']).*\1$/.test(v) ? v.slice(1, -1) : v;
}
