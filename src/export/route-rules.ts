/**
 * @module A host's routes and rules as Gateway API HTTPRoutes: its path
 * routes become rules matching a PathPrefix (strip-prefix: a URLRewrite
 * ReplacePrefixMatch "/"), response headers and HSTS a ResponseHeaderModifier,
 * a host redirect a RequestRedirect with the hostname, and the HTTPS redirect
 * a second HTTPRoute on port 80 whose RequestRedirect sets the scheme (the
 * serving route then attaches to port 443 only). What the Gateway API cannot
 * say (308: its redirects are 301 or 302; rules it has no filter for, such as
 * the access rules) is a note naming the rule: never dropped silently.
 */
import { describeRules, type RulesShown } from '../model/rules.ts';
import { meta, type ExportObject, type ExportOptions } from './objects.ts';

export interface BackendRef {
  name: string;
  port: number;
  weight: number;
}

/** One route of the host: its path prefix (none for the host itself), its rules and its backends. */
export interface RouteEntry {
  path?: string;
  rules: RulesShown;
  refs: BackendRef[];
}

// Rule fields the export turns into filters; any other (present) field is listed as not exported.
const EXPORTED: ReadonlySet<keyof RulesShown> = new Set(['redirectHttps', 'redirectTo', 'redirectCode', 'hsts', 'headers', 'stripPrefix']);

type Filter = Record<string, unknown>;

function redirect(fields: Record<string, unknown>): Filter {
  return { type: 'RequestRedirect', requestRedirect: { ...fields, statusCode: 301 } };
}

/** The status note: the Gateway API redirects with 301 or 302 only, so a 308 (HAProxy's default) becomes 301. */
function codeNote(host: string, rules: RulesShown, what: string): string[] {
  return (rules.redirectCode ?? 308) === 308 ? [`${what} of ${host} answers 308 here; the Gateway API allows 301 or 302: exported as 301 (a POST may become a GET)`] : [];
}

function responseFilter(rules: RulesShown): Filter[] {
  const set = [
    ...(rules.hsts ? [{ name: 'Strict-Transport-Security', value: rules.hsts }] : []),
    ...Object.entries(rules.headers ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([name, value]) => ({ name, value })),
  ];
  return set.length ? [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set } }] : [];
}

function routeRule(entry: RouteEntry, shared: Filter[]): Record<string, unknown> {
  const rewrite: Filter[] = entry.path && entry.rules.stripPrefix ? [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }] : [];
  const filters = [...shared, ...rewrite];
  return {
    ...(entry.path ? { matches: [{ path: { type: 'PathPrefix', value: entry.path } }] } : {}),
    ...(filters.length ? { filters } : {}),
    backendRefs: entry.refs,
  };
}

function httpRoute(name: string, host: string, parentRefs: object[], rules: object[], opts: ExportOptions, notes: string[]): ExportObject {
  return { object: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: meta(name, opts), spec: { parentRefs, hostnames: [host], rules } }, notes };
}

/**
 * The HTTPRoutes of one host. `rules` are the host's merged rules; `name`
 * claims a route name for a purpose ("" for the serving route, "https" for
 * the redirect); `notes` are the host's notes so far (servers left out...).
 */
export function hostHttpRoutes(host: string, entries: RouteEntry[], rules: RulesShown, name: (purpose: string) => string, opts: ExportOptions, notes: string[]): ExportObject[] {
  const gateway = { name: opts.gateway };
  for (const field of Object.keys(rules) as Array<keyof RulesShown>) {
    if (EXPORTED.has(field) || rules[field] === undefined) continue;
    const text = describeRules({ [field]: rules[field] } as RulesShown)[0] ?? `${field} = ${JSON.stringify(rules[field])}`;
    notes.push(`rule ${text.replace(/:.*/, '')} of ${host} has no Gateway API filter: not exported (${text})`);
  }
  if (rules.redirectTo) {
    notes.push(...codeNote(host, rules, 'the redirect to ' + rules.redirectTo), `every request for ${host} is redirected to ${rules.redirectTo}: its servers get no traffic`);
    return [httpRoute(name(''), host, [gateway], [{ filters: [redirect({ hostname: rules.redirectTo })] }], opts, notes)];
  }
  const shared = responseFilter(rules);
  const ordered = [...entries].sort((a, b) => (b.path?.length ?? 0) - (a.path?.length ?? 0));
  const serving = ordered.map((e) => routeRule(e, shared));
  if (!entries.some((e) => !e.path)) notes.push(`${host} has only path routes: other paths get the Gateway's 404 (HAProxy answers 503 "no route")`);
  if (!rules.redirectHttps) {
    if (rules.hsts) notes.push(`HSTS of ${host} is also sent over plain HTTP by this route (HAProxy sends it over HTTPS only; browsers ignore it on HTTP)`);
    return [httpRoute(name(''), host, [gateway], serving, opts, notes)];
  }
  const redirectNotes = codeNote(host, rules, 'the HTTPS redirect');
  return [
    httpRoute(name(''), host, [{ ...gateway, port: 443 }], serving, opts, notes),
    httpRoute(name('https'), host, [{ ...gateway, port: 80 }], [{ filters: [redirect({ scheme: 'https' })] }], opts, redirectNotes),
  ];
}
