/**
 * @module Per-host rules (issue 24): redirects, response headers, and the
 * access rules, as one zod schema that labels, the Domain resource, MCP and
 * servers.json all use, plus the HAProxy maps the rules become.
 *
 * Design. A route's rules sit on its DomainSpec: `rules` from its source
 * (labels, manifest), `rulesOverride` from MCP (wins field by field until
 * cleared). A host's effective rules merge its routes' (the host entry first,
 * then its path routes, first defined wins). Each rule reaches HAProxy as the
 * entries of a RuleMap: lines of a map file beside domains.map (most rules
 * share rules.map, keyed `<host>:<rule>`) that the rendered config
 * (haproxy/rule-config.ts) reads on every request, and that the reconciler
 * keeps equal to `entries(state)` with add/set/del map over the Runtime API,
 * so a rule change never reloads. The store writes every rule file at save,
 * so a restarted HAProxy loads the same.
 *
 * Adding a rule: a field in RouteRules and its line in RULE_TEXT; a RuleMap
 * in RULE_MAPS (its key and value patterns are what commands.ts lets onto the
 * socket: no spaces, `;`, `#` or quotes; base64 text otherwise, decoded in
 * HAProxy with b64dec); the config lines reading it in
 * haproxy/rule-config.ts; a label in podman/rule-labels.ts. A rule with its
 * own file (another match type) also needs the file created by
 * scripts/install.sh. The Domain resource, MCP and explain take the schema
 * as it is.
 */
import { z } from 'zod';
import { Hostname } from './names.ts';
import type { DesiredState, DomainSpec } from './state.ts';
import { ACCESS_MAPS, AccessRules, describeAccess, redactHashes, type BasicAuthShown } from './access-rules.ts';
import { isPathRoute, splitRoute } from './route-key.ts';

/** Response headers a host may set; names in HAProxy config are static, so each has its own map. */
export const RESPONSE_HEADERS = ['X-Frame-Options', 'X-Content-Type-Options', 'Referrer-Policy', 'Content-Security-Policy', 'Permissions-Policy'] as const;
export type ResponseHeader = (typeof RESPONSE_HEADERS)[number];

const HEADER_VALUE_PATTERN = '^[\\x20-\\x7e]{1,1024}$';
const HeaderValue = z
  .string()
  .regex(new RegExp(HEADER_VALUE_PATTERN), { message: 'not a header value (printable ASCII, 1-1024 characters)' })
  .refine((v) => v.trim() === v, { message: 'has leading or trailing spaces' })
  .meta({ pattern: HEADER_VALUE_PATTERN });

export const HSTS_PATTERN = '^max-age=[0-9]{1,9}(; ?includeSubDomains)?(; ?preload)?$';
export const HstsValue = z
  .string()
  .regex(new RegExp(HSTS_PATTERN), { message: 'not an HSTS value (max-age=SECONDS, optionally ; includeSubDomains and ; preload)' })
  .meta({ pattern: HSTS_PATTERN })
  .describe('Strict-Transport-Security for HTTPS answers, e.g. max-age=31536000; includeSubDomains');

/** The allowed header names, any case, to their canonical spelling. */
export function canonicalHeader(name: string): ResponseHeader | undefined {
  return RESPONSE_HEADERS.find((h) => h.toLowerCase() === name.toLowerCase());
}

const HEADERS_MESSAGE = `allowed: ${RESPONSE_HEADERS.join(', ')} (HSTS is its own rule)`;
const ResponseHeaders = z
  .strictObject(Object.fromEntries(RESPONSE_HEADERS.map((h) => [h, HeaderValue.optional()])) as Record<ResponseHeader, z.ZodOptional<typeof HeaderValue>>, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `not an allowed response header: ${issue.keys.join(', ')}; ${HEADERS_MESSAGE}` : undefined),
  })
  .describe(`Response headers for the host; ${HEADERS_MESSAGE}`);

export const RedirectCode = z.literal([301, 308], { message: 'not a redirect status (301 or 308)' });

const DNS_LABEL = '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?';
const RedirectHost = Hostname.meta({ pattern: `^${DNS_LABEL}(\\.${DNS_LABEL})*$` });

/** Every rule of a route; all optional (absent: off). */
export const RouteRules = z.strictObject({
  redirectHttps: z.boolean().optional().describe('Plain-HTTP requests for the host get a redirect to https:// (same path and query)'),
  redirectTo: RedirectHost.optional().describe('Every request for the host is redirected to this host, keeping scheme, path and query'),
  redirectCode: RedirectCode.optional().describe('Status of both redirects: 308 (default, keeps the method) or 301'),
  hsts: HstsValue.optional(),
  headers: ResponseHeaders.optional(),
  ...AccessRules,
  stripPrefix: z.boolean().optional().describe("A path route's prefix is removed before the request reaches its servers (/api/x -> /x)"),
});
export type RouteRules = z.infer<typeof RouteRules>;

/** The rules in effect for one route: the MCP override over the source's, field by field. */
export function effectiveRules(domain: Pick<DomainSpec, 'rules' | 'rulesOverride'>): RouteRules {
  const merged: RouteRules = { ...domain.rules, ...domain.rulesOverride };
  for (const key of Object.keys(merged) as Array<keyof RouteRules>) if (merged[key] === undefined) delete merged[key];
  return merged;
}

/** The host part of a route key (`a.test` or `a.test/api`). */
export const routeHost = (route: string): string => splitRoute(route).host;

/**
 * Each host's rules from its routes' (key -> rules): its own route first,
 * then its path routes in order; the first route that sets a field wins.
 */
export function mergeHostRules<R extends RulesShown>(routes: Iterable<[route: string, rules: R]>): Map<string, R> {
  const out = new Map<string, R>();
  for (const [route, rules] of [...routes].sort(([a], [b]) => a.localeCompare(b))) {
    const host = routeHost(route);
    out.set(host, { ...rules, ...out.get(host) });
  }
  return out;
}

// Desired states are never changed in place (copy-on-write), so one merge per state serves every rule map of a pass.
const merged = new WeakMap<DesiredState, Map<string, RouteRules>>();

/** Each host's rules in a desired state (mergeHostRules). */
export function hostRules(state: DesiredState): Map<string, RouteRules> {
  let out = merged.get(state);
  if (!out) merged.set(state, (out = mergeHostRules(Object.entries(state.domains).map(([route, d]) => [route, effectiveRules(d)]))));
  return out;
}

/** Text that may hold spaces, `;` or quotes, as a map value HAProxy decodes with `b64dec`. */
export function encodeValue(text: string): string {
  return Buffer.from(text, 'latin1').toString('base64');
}

const HOST = '[a-z0-9.-]{1,253}';
const BASE64 = /^[A-Za-z0-9+/]{1,2000}={0,2}$/;

/**
 * One rule's entries in HAProxy. Most rules share rules.map, keyed
 * `<host>:<rule>` (one file for HAProxy to load, one line per rule in
 * install.sh); a rule whose lookup needs another match type (map_beg, map_ip)
 * has a file of its own.
 */
export interface RuleMap {
  name: string;
  /** File stem, beside domains.map as `<file>.map`. */
  file: string;
  /** The entries HAProxy must hold, for the whole desired state, in the order the file lists them. */
  entries(state: DesiredState): Array<[key: string, value: string]>;
  /** What a key and a value may be (checked again in commands.ts before they reach the socket). */
  key: RegExp;
  value: RegExp;
}

/** The file most rules share. */
export const RULES_FILE = 'rules';

/** A rule with one entry per host that has it, in rules.map as `<host>:<name>`. */
function perHost(name: string, value: RegExp, valueOf: (rules: RouteRules) => string | undefined): RuleMap {
  return {
    name,
    file: RULES_FILE,
    key: new RegExp(`^${HOST}:${name}$`),
    value,
    entries(state) {
      const out: Array<[string, string]> = [];
      for (const [host, rules] of hostRules(state)) {
        const v = valueOf(rules);
        if (v !== undefined) out.push([`${host}:${name}`, v]);
      }
      return out.sort(([a], [b]) => a.localeCompare(b));
    },
  };
}

const CODE = /^(301|308)$/;
/** The status of a rule's redirect: 308 unless the rules say 301. */
export const redirectCode = (rules: Pick<RouteRules, 'redirectCode'>) => String(rules.redirectCode ?? 308);

/** Rule names of the response headers: `header-x-frame-options`. */
export const headerRuleName = (header: ResponseHeader) => `header-${header.toLowerCase()}`;

// The plain pool's backend name is model/state.ts backendName(pool, 'http'), written out: state.ts imports this module.

/** paths.map: `host/path/` -> the path route's pool (map_beg: the longest prefix wins; the trailing / makes it match whole segments). */
const PATHS: RuleMap = {
  name: 'paths',
  file: 'paths',
  key: new RegExp(`^${HOST}(/[A-Za-z0-9._~%@+-]{1,100}){1,8}/$`),
  value: /^pool_[0-9]{1,6}$/,
  entries: (state) =>
    Object.keys(state.domains)
      .filter(isPathRoute)
      .sort()
      .map((route) => [`${route}/`, `pool_${state.domains[route]!.pool}`]),
};

/** `pool_N:strip` -> how many leading path segments to remove, for path routes with stripPrefix (looked up by the chosen pool). */
const STRIP: RuleMap = {
  name: 'strip',
  file: RULES_FILE,
  key: /^pool_[0-9]{1,6}:strip$/,
  value: /^[1-8]$/,
  entries: (state) =>
    Object.entries(state.domains)
      .filter(([route, d]) => isPathRoute(route) && effectiveRules(d).stripPrefix)
      .map(([route, d]): [string, string] => [`pool_${d.pool}:strip`, String(splitRoute(route).path!.split('/').length - 1)])
      .sort(([a], [b]) => a.localeCompare(b)),
};

export const RULE_MAPS: readonly RuleMap[] = [
  perHost('redirect-https', CODE, (r) => (r.redirectHttps ? redirectCode(r) : undefined)),
  perHost('redirect-to', new RegExp(`^(301|308)/${HOST}$`), (r) => (r.redirectTo ? `${redirectCode(r)}/${r.redirectTo}` : undefined)),
  perHost('hsts', BASE64, (r) => (r.hsts ? encodeValue(r.hsts) : undefined)),
  ...RESPONSE_HEADERS.map((h) => perHost(headerRuleName(h), BASE64, (r) => (r.headers?.[h] !== undefined ? encodeValue(r.headers[h]) : undefined))),
  ...ACCESS_MAPS.map(({ entries, ...m }) => ({ ...m, entries: (state: DesiredState) => entries(hostRules(state)) })),
  PATHS,
  STRIP,
];

/** A rule map value as people read it (base64 values decoded), for plans and drift reports. */
export function ruleValueText(name: string, value: string): string {
  return ruleMap(name)?.value === BASE64 ? Buffer.from(value, 'base64').toString('latin1') : redactHashes(value);
}

/** The rule map of a name; undefined for names that are none. */
export function ruleMap(name: string): RuleMap | undefined {
  return RULE_MAPS.find((m) => m.name === name);
}

/** The distinct rule map files (stems), in RULE_MAPS order. */
export function ruleFiles(): string[] {
  return [...new Set(RULE_MAPS.map((m) => m.file))];
}

/** A rule map file's path, beside domains.map. */
export function ruleMapFile(mapFile: string, file: string): string {
  return mapFile.replace(/[^/]*$/, `${file}.map`);
}

/** A rule map file's content: `key value` lines of every rule it holds. */
export function renderRuleFile(file: string, state: DesiredState): string {
  const lines = RULE_MAPS.filter((m) => m.file === file).flatMap((m) => m.entries(state).map(([k, v]) => `${k} ${v}`));
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** One line per rule, for explain, change summaries and status: typed by field, so a new rule must say how it reads. */
const RULE_TEXT: { [K in keyof Required<RouteRules>]: (rules: RulesShown) => string | undefined } = {
  redirectHttps: (r) => (r.redirectHttps ? `redirect-https: plain HTTP gets ${redirectCode(r)} to https:// (same path and query)` : undefined),
  redirectTo: (r) => (r.redirectTo ? `redirect-to: every request gets ${redirectCode(r)} to ${r.redirectTo} (same scheme, path and query)` : undefined),
  redirectCode: () => undefined,
  hsts: (r) => (r.hsts ? `hsts: HTTPS answers carry Strict-Transport-Security: ${r.hsts}` : undefined),
  allow: (r) => describeAccess({ allow: r.allow })[0],
  basicAuth: (r) => describeAccess({ basicAuth: r.basicAuth })[0],
  rateLimit: (r) => describeAccess({ rateLimit: r.rateLimit })[0],
  headers: (r) => {
    const set = Object.entries(r.headers ?? {}).filter(([, v]) => v !== undefined);
    return set.length ? `headers: answers carry ${set.map(([h, v]) => `${h}: ${v}`).join('; ')}` : undefined;
  },
  stripPrefix: (r) => (r.stripPrefix ? 'strip-prefix: the path prefix is removed before the request reaches the servers' : undefined),
};

/** Rules as held, or as a view shows them (model/access-rules.ts accessView: basic auth without hashes). */
export type RulesShown = Omit<RouteRules, 'basicAuth'> & { basicAuth?: RouteRules['basicAuth'] | BasicAuthShown };

/** The rules as lines of text, in schema order; none for a route without rules. */
export function describeRules(rules: RulesShown): string[] {
  return (Object.keys(RULE_TEXT) as Array<keyof RouteRules>).map((k) => RULE_TEXT[k](rules)).filter((l): l is string => l !== undefined);
}
