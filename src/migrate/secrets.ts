/**
 * @module Recognises the original's secret files without ever returning
 * their contents: conf/mcp-token.env (a bare token or KEY=value lines) and
 * certbot's cloudflare.ini (`dns_cloudflare_api_token = TOKEN`). Pure.
 */

/** True when mcp-token.env text holds a non-empty token (bare, or as the value of a KEY=value line). */
export function hasMcpToken(text: string): boolean {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const value = line.includes('=') ? line.slice(line.indexOf('=') + 1) : line;
    if (unquote(value.trim()) !== '') return true;
  }
  return false;
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
