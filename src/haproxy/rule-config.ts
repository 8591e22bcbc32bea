/**
 * @module The fixed config lines that apply the per-host rules (model/rules.ts)
 * from their maps, rendered once at start: a rule changes by a map entry over
 * the Runtime API, never by a new config. A host without entries in a rule
 * map matches none of these lines, so a host without rules is served exactly
 * as before. A new rule adds its lines here, reading its own map.
 */
import { RESPONSE_HEADERS, RULES_FILE, headerRuleName, ruleMapFile } from '../model/rules.ts';
import { MAX_PATH_SEGMENTS } from '../model/route-key.ts';

/** What the rule lines need from the render input. */
export interface RuleRenderInput {
  mapFile: string;
  httpBind: string;
  httpsBind: string;
}

/** `var(txn.host),concat(:<rule>),map(<rules.map>)`: the host's entry of a rule (fails when absent). */
function lookup(input: RuleRenderInput, name: string): string {
  return `var(txn.host),concat(:${name}),map(${ruleMapFile(input.mapFile, RULES_FILE)})`;
}

/** `:port` for a bind on a port other than the scheme's default (redirects keep clients on the ports HAProxy listens on). */
function portSuffix(bind: string, defaultPort: string): string {
  const port = bind.slice(bind.lastIndexOf(':') + 1);
  return port === defaultPort ? '' : `:${port}`;
}

/** The frontend's first request rule: the Host header's name, lowercased, in txn.host; every later rule reads the variable. */
export const SET_HOST = '    http-request set-var(txn.host) req.hdr(host),host_only,lower';

/** Request rules, before routing: the host in txn.host, then redirects (HAProxy answers them itself; no server is involved). Each map is looked up once per request, into a variable. */
export function ruleRequestLines(input: RuleRenderInput, tls: boolean): string[] {
  const lines = [
    SET_HOST,
    ...(tls ? [] : [`    http-request set-var(txn.rhttps) ${lookup(input, 'redirect-https')}`]),
    // redirect-to values are `<code>/<host>`.
    `    http-request set-var(txn.rto) ${lookup(input, 'redirect-to')}`,
  ];
  const scheme = tls ? 'https' : 'http';
  const here = tls ? portSuffix(input.httpsBind, '443') : portSuffix(input.httpBind, '80');
  for (const code of ['301', '308']) {
    if (!tls) lines.push(`    http-request redirect prefix https://%[var(txn.host)]${portSuffix(input.httpsBind, '443')} code ${code} if { var(txn.rhttps) -m str ${code} }`);
    lines.push(`    http-request redirect prefix ${scheme}://%[var(txn.rto),field(2,/)]${here} code ${code} if { var(txn.rto),field(1,/) -m str ${code} }`);
  }
  return lines;
}

/** Response rules: after-response, so HAProxy's own answers (redirects, 503) carry the headers too. HSTS only over TLS (RFC 6797 8.1). */
export function ruleResponseLines(input: RuleRenderInput, tls: boolean): string[] {
  const headers: Array<[header: string, rule: string]> = RESPONSE_HEADERS.map((h) => [h, headerRuleName(h)]);
  if (tls) headers.unshift(['Strict-Transport-Security', 'hsts']);
  return headers.map(([header, rule]) => `    http-after-response set-header ${header} %[${lookup(input, rule)},b64dec] if { ${lookup(input, rule)} -m found }`);
}

/**
 * Path routes, after the host's pool is set from domains.map: `host/path/`
 * looked up in paths.map (map_beg: longest prefix) replaces txn.pool when a
 * prefix matches (a failed lookup leaves the variable as it was). Then the
 * chosen pool's strip count (rules.map `pool_N:strip`) removes that many
 * leading segments: prefixes are whole segments, so that is the prefix;
 * what is left keeps its query and is at least "/".
 */
export function pathRouteLines(input: RuleRenderInput): string[] {
  const lines = [
    '    http-request set-var(txn.path) path',
    `    http-request set-var(txn.pool) var(txn.host),concat(,txn.path,/),map_beg(${ruleMapFile(input.mapFile, 'paths')})`,
  ];
  lines.push(`    http-request set-var(txn.strip) var(txn.pool),concat(:strip),map(${ruleMapFile(input.mapFile, RULES_FILE)})`);
  for (let n = 1; n <= MAX_PATH_SEGMENTS; n++) {
    lines.push(`    http-request set-path %[path,regsub(^${'/[^/]+'.repeat(n)}/?,/)] if { var(txn.strip) -m int eq ${n} }`);
  }
  return lines;
}
