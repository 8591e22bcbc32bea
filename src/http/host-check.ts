/**
 * @module The Host-header rule against DNS rebinding, shared by every route
 * of the listener (/mcp, /api/v1, /metrics, /healthz, /readyz): a page whose
 * own name was re-pointed at 127.0.0.1 still sends that name as Host, so
 * only IP literals, localhost and configured names are served.
 */
import { isIP } from 'node:net';

/** The host part of a Host header, lowercased, without port or IPv6 brackets. */
export function hostOfHeader(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') === -1 ? undefined : h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

/** A judge of Host headers: IP literals, localhost and `allowedHosts` pass. */
export function createHostCheck(allowedHosts: readonly string[] = []): (header: string | undefined) => boolean {
  const allowed = new Set(['localhost', ...allowedHosts.map((h) => h.trim().toLowerCase())]);
  return (header) => {
    // Rebinding needs a DNS name; an IP literal (or no Host, HTTP/1.0) cannot be rebound.
    if (header === undefined) return true;
    const host = hostOfHeader(header);
    return isIP(host) !== 0 || allowed.has(host);
  };
}
