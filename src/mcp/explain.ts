/**
 * @module How HAProxy would route one host: the map entry, pool, servers
 * with live health and provenance, the server family per protocol, the
 * certificate SNI would pick, and every reason traffic would fail. Shared by
 * the MCP tool haproxy_explain_route and the CLI's `explain` (over the
 * operator's HTTP API). Read-only.
 */
import { z } from 'zod';
import { OperatorError } from '../model/errors.ts';
import type { DomainView, Operations, ParsedOperations, ServerHealth, ServerView } from '../operations/types.ts';
import type { CertProvider, CertSummary } from './providers.ts';
import { DomainArg, ServerOut } from './schemas.ts';
import { describeRules, mergeHostRules } from '../model/rules.ts';

/** What an explanation is asked for: one host. haproxy_explain_route takes it as is, the HTTP API as its query. */
export const ExplainInput = z.strictObject({ host: DomainArg.describe('Host name as a client sends it, without port, e.g. app.example.com') });

export interface ExplainDeps {
  /** Health on `parsed`: the host was validated by explainRoute's caller. */
  ops: Pick<Operations, 'getDomain'> & Partial<Pick<Operations, 'listDomains'>> & { parsed: Pick<ParsedOperations, 'health'> };
  /** Without it the certificate is not checked (certificatesChecked: false). */
  certs?: Pick<CertProvider, 'list'>;
  now?: () => number;
}

export const CertOut = z.object({
  name: z.string(),
  dnsNames: z.array(z.string()),
  notAfter: z.string(),
  path: z.string(),
  match: z.enum(['exact', 'wildcard']),
  expired: z.boolean(),
});

export const ExplainServerOut = ServerOut.extend({ health: z.string().optional(), checkStatus: z.string().optional(), currentSessions: z.number().optional() });

export const ExplainOut = z.object({
  host: z.string(),
  routed: z.boolean().describe('Whether domains.map has an entry for the host'),
  mapEntry: z.string().optional().describe('The domains.map line, e.g. "app.example.com pool_3"'),
  pool: z.number().optional(),
  source: z.string().optional(),
  servers: z.array(ExplainServerOut),
  families: z.object({
    http: z.string().optional().describe('Family serving plain HTTP (port 80)'),
    https: z.string().optional().describe('Family serving TLS (HTTP/1.1, HTTP/2 on 443)'),
    h3: z.string().optional().describe('Family serving HTTP/3 clients'),
  }),
  certificate: CertOut.optional().describe('The certificate SNI would select for this host'),
  certificatesChecked: z.boolean().describe('False when no certificate provider is available'),
  healthAvailable: z.boolean(),
  wouldServe: z.boolean().describe('True when plain HTTP traffic for the host would reach a server'),
  problems: z.array(z.string()).describe('Each reason traffic would fail, most serious first'),
  rules: z.array(z.string()).optional().describe('One line per rule in effect for the host (redirects, headers, access) and per path route'),
});

export type ExplainResult = z.infer<typeof ExplainOut>;

/** Picks the certificate HAProxy's SNI lookup would: an exact name first, then a one-label wildcard. */
export function pickCertificate(host: string, certs: CertSummary[], nowMs: number): z.infer<typeof CertOut> | undefined {
  const parent = host.includes('.') ? host.slice(host.indexOf('.') + 1) : undefined;
  const valid = (c: CertSummary): boolean => Date.parse(c.notAfter) > nowMs;
  const withMatch = (c: CertSummary, match: 'exact' | 'wildcard') => ({ ...c, match, expired: !valid(c) });
  const exact = certs.filter((c) => c.dnsNames.some((n) => n.toLowerCase() === host));
  const wild = parent ? certs.filter((c) => c.dnsNames.some((n) => n.toLowerCase() === `*.${parent}`)) : [];
  const best = (list: CertSummary[]) => [...list].sort((a, b) => Number(valid(b)) - Number(valid(a)) || Date.parse(b.notAfter) - Date.parse(a.notAfter))[0];
  const e = best(exact);
  if (e) return withMatch(e, 'exact');
  const w = best(wild);
  return w ? withMatch(w, 'wildcard') : undefined;
}

function servesTraffic(s: ServerView, health?: ServerHealth): boolean {
  if (s.effectiveState !== 'ready' || s.effectiveWeight === 0) return false;
  return !health || health.status.startsWith('UP') || health.status === 'no check';
}

/**
 * Explains the route of `host` (already validated as a host name). Never
 * throws for an unknown host or unavailable health: those become problems.
 * Throws only when the certificate provider fails.
 */
export async function explainRoute(deps: ExplainDeps, host: string): Promise<ExplainResult> {
  const now = deps.now ?? Date.now;
  const problems: string[] = [];
  const domain = deps.ops.getDomain(host);
  let certificate: z.infer<typeof CertOut> | undefined;
  if (deps.certs) {
    certificate = pickCertificate(host, await deps.certs.list(), now());
    if (!certificate) problems.push(`no certificate covers ${host}: HTTPS clients get the default certificate and a name mismatch`);
    else if (certificate.expired) problems.push(`certificate ${certificate.name} expired at ${certificate.notAfter}`);
  }
  if (!domain) {
    problems.unshift(`no domains.map entry for ${host}: HAProxy does not route it to any pool`);
    return { host, routed: false, servers: [], families: {}, certificatesChecked: !!deps.certs, healthAvailable: false, wouldServe: false, problems, ...(certificate ? { certificate } : {}) };
  }
  let health: ServerHealth[] = [];
  let healthAvailable = true;
  try {
    health = await deps.ops.parsed.health(host);
  } catch (err) {
    healthAvailable = false;
    problems.push(`live health unavailable: ${err instanceof OperatorError || err instanceof Error ? err.message : String(err)}`);
  }
  const byName = new Map(health.map((h) => [h.name, h]));
  const servers = domain.servers.map((s) => {
    const h = byName.get(s.name);
    return { ...s, ...(h ? { health: h.status, checkStatus: h.checkStatus, currentSessions: h.currentSessions } : {}) };
  });
  const has = (f: string) => domain.servers.some((s) => s.family === f);
  const families = {
    ...(has('http') ? { http: 'http' } : {}),
    ...(has('ssl') ? { https: 'ssl' } : has('http') ? { https: 'http' } : {}),
    ...(has('h3') ? { h3: 'h3' } : has('ssl') ? { h3: 'ssl' } : has('http') ? { h3: 'http' } : {}),
  };
  const httpServers = domain.servers.filter((s) => s.family === 'http');
  const up = httpServers.filter((s) => servesTraffic(s, byName.get(s.name)));
  if (domain.servers.length === 0) problems.unshift(`pool ${domain.backend} has no servers: clients get 503`);
  else if (httpServers.length === 0) problems.unshift('no http-family server: plain HTTP requests get 503');
  else if (up.length === 0) problems.unshift(`no http-family server is ready, weighted and up: plain HTTP requests get 503`);
  for (const s of domain.servers) {
    const h = byName.get(s.name);
    if (s.override?.state) problems.push(`${s.name}: manual override state=${s.override.state} by ${s.override.by ?? 'unknown'} holds until haproxy_clear_override`);
    if (s.effectiveWeight === 0) problems.push(`${s.name}: weight 0, gets no new traffic`);
    if (h && h.status.startsWith('DOWN')) problems.push(`${s.name}: health check failing (${h.checkStatus})`);
  }
  return {
    host,
    routed: true,
    mapEntry: `${host} ${domain.backend}`,
    pool: domain.pool,
    source: domain.source,
    servers,
    families,
    ...(certificate ? { certificate } : {}),
    certificatesChecked: !!deps.certs,
    healthAvailable,
    wouldServe: up.length > 0,
    problems,
    ...ruleLines(deps, host, domain),
  };
}

/** A line per rule in effect for the host (its routes' rules merged) and per path route of the host (when the deps list domains). */
function ruleLines(deps: ExplainDeps, host: string, domain: DomainView): { rules?: string[] } {
  const routes = deps.ops.listDomains?.().filter((d) => d.domain === host || d.domain.startsWith(`${host}/`)) ?? [domain];
  const merged = mergeHostRules(routes.map((d) => [d.domain, d.rules ?? {}])).get(host) ?? {};
  const paths = routes
    .filter((d) => d.domain !== host)
    .map((d) => `path ${d.domain.slice(host.length)} -> ${d.backend}${d.rules?.stripPrefix ? ' (prefix stripped)' : ''} (longest prefix wins)`);
  const lines = [...describeRules(merged), ...paths];
  return lines.length ? { rules: lines } : {};
}

/** The one-line verdict plus the problems, as the MCP tool's text copy shows it. */
export function explainSummary(o: ExplainResult): string {
  const rules = o.rules?.length ? `\nrules:\n- ${o.rules.join('\n- ')}` : '';
  return (o.wouldServe ? `${o.host}: served by ${o.mapEntry}` : `${o.host}: would FAIL`) + (o.problems.length ? `\n- ${o.problems.join('\n- ')}` : '') + rules;
}
