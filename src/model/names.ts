/**
 * @module Validated scalar types shared by every input path (MCP, labels,
 * manifests, servers.json, runtime commands). A value that passes these
 * schemas is safe to put on the HAProxy Runtime API: no spaces, `;`, quotes,
 * newlines or control characters can get through.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** True when `host` is a lowercase DNS name (no port, no trailing dot). */
export function isHostname(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  return host.split('.').every((label) => LABEL.test(label));
}

/** A C0 control character or DEL (U+0000-U+001F, U+007F). */
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Refuses control characters and surrounding whitespace (not trimmed): host names and route keys. */
export function refuseUnclean(text: z.ZodString): z.ZodString {
  return text
    .refine((h) => !CONTROL.test(h), { message: 'contains a control character (tab, newline, NUL...)', abort: true })
    .refine((h) => h.trim() === h, { message: 'has leading or trailing whitespace (not trimmed: send the bare host name)', abort: true });
}

/**
 * A host name as routed by the map: lowercase DNS name, no port, no trailing
 * dot. Uppercase is folded to lowercase (HAProxy lowercases the Host header
 * too); surrounding whitespace and control characters are refused, not
 * trimmed, as Kubernetes' DNS-1123 check does: a value that needed cleaning
 * is a mistake the sender should see.
 */
export const Hostname = refuseUnclean(z.string())
  .toLowerCase()
  .refine(isHostname, { message: 'not a valid host name (letters, digits, hyphens and dots; no port, no spaces)' })
  .describe('Host name, for example app.example.com (lowercased; no port)');
export type Hostname = z.infer<typeof Hostname>;

/** An IPv4 or IPv6 literal (no brackets, no zone id). */
export const IpAddress = z
  .string()
  .trim()
  .refine((ip) => isIPv4(ip) || (isIPv6(ip) && !ip.includes('%')), { message: 'not an IPv4 or IPv6 address' })
  .describe('Server IP address (IPv4 or IPv6)');
export type IpAddress = z.infer<typeof IpAddress>;

/**
 * Numbers, and strings of ASCII digits (label values, query strings), as a
 * number; anything else stays as it is and fails the number check. Replaces
 * z.coerce.number, which took `true` as 1, `null`, `''` and `[]` as 0 and
 * `[80]` as 80, so `slot: true` emptied slot 1 and `weight: null` took a
 * server out of load balancing.
 */
function digitsToNumber(value: unknown): unknown {
  return typeof value === 'string' && /^-?[0-9]{1,15}$/.test(value) ? Number(value) : value;
}

/** A whole number in [min, max], from a number or a string of digits; every failure says `message`. */
export function wholeNumber(message: string, min: number, max: number) {
  const m = { message };
  return z.preprocess(digitsToNumber, z.number(m).int(m).min(min, m).max(max, m));
}

export const Port = wholeNumber('not a port (1-65535)', 1, 65535).describe('TCP port, 1-65535');
export type Port = z.infer<typeof Port>;

export const Weight = wholeNumber('not a weight (0-256)', 0, 256).describe('HAProxy server weight, 0-256 (0 takes the server out of load balancing)');
export type Weight = z.infer<typeof Weight>;

/** Administrative state of a server, as HAProxy's `set server ... state`. */
export const ServerState = z.enum(['ready', 'drain', 'maint']).describe('ready: takes traffic; drain: finishes current requests, no new ones; maint: out of service');
export type ServerState = z.infer<typeof ServerState>;

/** Server families: how the request arrived decides which family serves it. */
export const Family = z.enum(['http', 'ssl', 'h3']).describe('http: plain HTTP to the server; ssl: TLS to the server; h3: for HTTP/3 clients (TLS to the server)');
export type Family = z.infer<typeof Family>;

/** An HTTP health-check path: absolute, printable ASCII without spaces. */
export const CheckPath = z
  .string()
  .regex(/^\/[\x21-\x7e]{0,255}$/, { message: 'not an HTTP path (starts with /, printable ASCII, no spaces)' })
  .refine((p) => !p.includes(';') && !p.includes('"') && !p.includes("'") && !p.includes('\\') && !p.includes('#'), {
    message: 'contains a character HAProxy would interpret (; " \' \\ #)',
  })
  .describe('HTTP health-check path, for example /healthz');
export type CheckPath = z.infer<typeof CheckPath>;

/** Who asked for a server: decides precedence and what may remove it. */
export const Provenance = z
  .string()
  .regex(/^(manual|container:[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}|manifest:[a-zA-Z0-9][a-zA-Z0-9_.\/-]{0,252}|import)$/, {
    message: 'not a provenance (manual, container:<id>, manifest:<kind>/<name>, import)',
  });
export type Provenance = z.infer<typeof Provenance>;
