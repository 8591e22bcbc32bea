/**
 * @module The access rules of a host (issue 24): an IP allowlist (403 to
 * other clients), basic auth (401 with a realm) and a rate limit per client
 * address (429 with Retry-After). Their zod schemas as servers.json, the
 * Domain resource and MCP hold them, their text forms for labels, and the
 * HAProxy maps they become (read by haproxy/access-config.ts). Basic auth is
 * held hashed only (model/basic-auth.ts); its credentials come from a file or
 * an environment variable, read while parsing (model/basic-auth-input.ts).
 */
import { z } from 'zod';
import { allowlistMaps, parseCidr } from './cidr.ts';
import { HASH_PATTERN } from './basic-auth.ts';
import { BasicAuthRule, type BasicAuth } from './basic-auth-input.ts';

/** One network of an allowlist, as written ("10.0.0.0/8", "2001:db8::/32", "192.0.2.7"), held canonical. */
export const CidrText = z
  .string()
  .superRefine((text, ctx) => {
    const parsed = parseCidr(text);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  })
  .transform((text) => (parseCidr(text) as { text: string }).text)
  .describe('An IPv4 or IPv6 network (10.0.0.0/8, 2001:db8::/32) or one address');

export const MAX_ALLOW = 100;
export const Allowlist = z
  .array(CidrText)
  .min(1, { message: 'an allowlist needs at least one network' })
  .max(MAX_ALLOW, { message: `at most ${MAX_ALLOW} networks` })
  .describe('Client networks allowed to reach the host; others get 403');

export const MAX_RATE = 100_000;
/** The window of the sustained rate: HAProxy's stick-table periods are fixed at start. */
export const RATE_WINDOW_S = 10;
const RATE_MESSAGE = { message: `not a rate (1-${MAX_RATE} requests per second)` };
const rate = z.number(RATE_MESSAGE).int(RATE_MESSAGE).min(1, RATE_MESSAGE).max(MAX_RATE, RATE_MESSAGE);
export const RateLimit = z
  .strictObject({
    rate: rate.describe(`Requests per second per client address, averaged over ${RATE_WINDOW_S} s`),
    burst: rate.optional().describe('Most requests per client address in any one second (default: the rate)'),
  })
  .refine((r) => r.burst === undefined || r.burst >= r.rate, { message: 'burst is below the rate (it is the most in one second, at least the rate)' })
  .describe('Rate limit per client address; requests over it get 429 with Retry-After');
export type RateLimit = z.infer<typeof RateLimit>;

/** The access fields of a route's rules. */
export const AccessRules = {
  allow: Allowlist.optional(),
  basicAuth: BasicAuthRule.optional(),
  rateLimit: RateLimit.optional(),
};
export interface AccessFields {
  allow?: string[];
  basicAuth?: BasicAuth;
  rateLimit?: RateLimit;
}

/** `haproxy.allow`: networks separated by commas or spaces. */
export const AllowText = z
  .string()
  .transform((text) => text.split(/[\s,]+/).filter(Boolean))
  .pipe(Allowlist);

const RATE_TEXT = /^([0-9]{1,6})\/s(?:\s+burst=([0-9]{1,6}))?$/;
/** `haproxy.rate-limit`: "10/s" or "10/s burst=30". */
export const RateLimitText = z
  .string()
  .trim()
  .regex(RATE_TEXT, { message: 'not a rate limit (for example 10/s, or 10/s burst=30)' })
  .transform((text) => {
    const [, r, b] = RATE_TEXT.exec(text)!;
    return { rate: Number(r), ...(b !== undefined ? { burst: Number(b) } : {}) };
  })
  .pipe(RateLimit);

/** `haproxy.rate-limit` text of a limit (explain, export). */
export function rateLimitText(limit: RateLimit): string {
  return `${limit.rate}/s${limit.burst !== undefined && limit.burst !== limit.rate ? ` burst=${limit.burst}` : ''}`;
}

/** Access fields as held or as a view shows them (basic auth by user names). */
export interface AccessShown {
  allow?: string[];
  basicAuth?: BasicAuth | BasicAuthShown;
  rateLimit?: RateLimit;
}

/** One line per access rule of a host, for explain and export notes. */
export function describeAccess(rules: AccessShown): string[] {
  const out: string[] = [];
  if (rules.allow) out.push(`allow: only ${rules.allow.join(', ')} (others get 403)`);
  if (rules.basicAuth) {
    const users = rules.basicAuth.users.map((u) => (typeof u === 'string' ? u : u.user)).join(', ');
    const from = rules.basicAuth.from ? ` from ${rules.basicAuth.from}` : '';
    out.push(`basic auth: users ${users}${from}${rules.basicAuth.realm ? `, realm "${rules.basicAuth.realm}"` : ''} (others get 401)`);
  }
  if (rules.rateLimit) out.push(`rate limit: ${rateLimitText(rules.rateLimit)} per client address (over it: 429)`);
  return out;
}

/** One access rule map (a model/rules.ts RuleMap, its entries from each host's access rules). */
export interface AccessMap {
  name: string;
  file: string;
  key: RegExp;
  value: RegExp;
  entries(hosts: Map<string, AccessFields>): Array<[key: string, value: string]>;
}

const HOST = '[a-z0-9.-]{1,253}';
const NET = '[0-9a-f.:]{2,39}/[0-9]{1,3}';
/** The file rules share (model/rules.ts RULES_FILE); keys there end in `:<rule>`. */
const SHARED = 'rules';
/** Allowlist networks need `map_ip`: a file of their own. */
export const ALLOW_NETS_FILE = 'allow-nets';

function perHost(hosts: Map<string, AccessFields>, valueOf: (r: AccessFields, host: string) => Array<[string, string]>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [host, rules] of hosts) out.push(...valueOf(rules, host));
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function allowlists(hosts: Map<string, AccessFields>) {
  const lists = new Map<string, string[]>();
  for (const [host, r] of hosts) if (r.allow) lists.set(host, r.allow);
  return allowlistMaps(lists);
}

/** Base64 of text with spaces or quotes: HAProxy decodes it with `b64dec`. */
const base64 = (text: string) => Buffer.from(text, 'latin1').toString('base64');

/** The access maps; haproxy/access-config.ts reads them. */
export const ACCESS_MAPS: readonly AccessMap[] = [
  // map_ip: every distinct allowlist network, valued by itself (the longest match names it).
  { name: 'allow-nets', file: ALLOW_NETS_FILE, key: new RegExp(`^${NET}$`), value: new RegExp(`^${NET}$`), entries: (h) => allowlists(h).nets.map((n) => [n, n]) },
  // `host:allow`: the host has an allowlist; `host@net:allow`: clients whose longest match is net may reach it.
  { name: 'allow', file: SHARED, key: new RegExp(`^${HOST}(@${NET})?:allow$`), value: /^1$/, entries: (h) => allowlists(h).pairs.map((p) => [`${p}:allow`, '1']) },
  {
    name: 'auth-realm',
    file: SHARED,
    key: new RegExp(`^${HOST}:auth-realm$`),
    value: /^[A-Za-z0-9+/]{1,100}={0,2}$/,
    entries: (h) => perHost(h, (r, host) => (r.basicAuth ? [[`${host}:auth-realm`, base64(r.basicAuth.realm ?? host)]] : [])),
  },
  {
    name: 'auth-user',
    file: SHARED,
    key: new RegExp(`^${HOST}@[A-Za-z0-9._@+-]{1,64}:auth-user$`),
    value: new RegExp(HASH_PATTERN),
    entries: (h) => perHost(h, (r, host) => (r.basicAuth?.users ?? []).map((u) => [`${host}@${u.user}:auth-user`, u.hash])),
  },
  // burst (most in 1 s) and RATE_WINDOW_S x rate (most in the window), checked against two stick tables.
  {
    name: 'rate-limit',
    file: SHARED,
    key: new RegExp(`^${HOST}:rate-limit$`),
    value: /^[0-9]{1,6}:[0-9]{1,7}$/,
    entries: (h) => perHost(h, (r, host) => (r.rateLimit ? [[`${host}:rate-limit`, `${r.rateLimit.burst ?? r.rateLimit.rate}:${r.rateLimit.rate * RATE_WINDOW_S}`]] : [])),
  },
];

/** Basic auth as views show it (MCP answers, explain, export): users and where they came from, never a hash. */
export const BasicAuthView = z.object({
  realm: z.string().optional(),
  users: z.array(z.string()).describe('User names (passwords are held hashed and never shown)'),
  from: z.string().optional(),
});

/** Access fields as views show them; the same keys as the rules, basic auth without hashes. */
export const AccessView = {
  allow: z.array(z.string()).optional(),
  basicAuth: BasicAuthView.optional(),
  rateLimit: z.object({ rate: z.number(), burst: z.number().optional() }).optional(),
};

export type BasicAuthShown = z.infer<typeof BasicAuthView>;

/** `rules` with basic auth's hashes left out, for a view. */
export function accessView<T extends AccessFields>(rules: T): Omit<T, 'basicAuth'> & { basicAuth?: BasicAuthShown } {
  const { basicAuth, ...rest } = rules;
  if (!basicAuth) return rest;
  const { realm, users, from } = basicAuth;
  return { ...rest, basicAuth: { ...(realm !== undefined ? { realm } : {}), users: users.map((u) => u.user), ...(from !== undefined ? { from } : {}) } };
}

const HASH_TEXT = new RegExp(HASH_PATTERN.slice(1, -1), 'g');
/** Text (a runtime command, its error, a plan step) with every basic-auth hash replaced: they never reach a log, an error or an MCP answer. */
export function redactHashes(text: string): string {
  return text.replace(HASH_TEXT, '(hash redacted)');
}
