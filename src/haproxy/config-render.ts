/**
 * @module Renders haproxy.cfg from settings. Pure: the same input gives the
 * same text, byte for byte (golden-file tested). Routing never needs a new
 * config: hosts live in the map file and servers in pre-made disabled slots
 * that the Runtime API fills.
 */
import { backendName, serverName } from '../model/state.ts';
import type { Family } from '../model/names.ts';
import { DEFAULT_HOLD_MS, holdMapFile } from '../model/hold.ts';
import { holdLuaFile } from './hold-lua.ts';
import { pathRouteLines, ruleRequestLines, ruleResponseLines } from './rule-config.ts';
import { accessRequestRules, accessTables } from './access-config.ts';
import { ruleMapFile } from '../model/rules.ts';

export interface RenderInput {
  /** Absolute path of domains.map, as HAProxy will load it (runtime `add map` uses the same path). */
  mapFile: string;
  /** Directory of PEM files served by SNI. */
  certDir: string;
  /** Runtime API TCP address "ip:port" (level admin). */
  runtimeApi: string;
  /** Unix socket for the Runtime API inside the run directory. */
  runtimeSocket: string;
  /** Bind addresses for the HTTP and HTTPS frontends, e.g. ":8080" or "127.0.0.1:8080". */
  httpBind: string;
  httpsBind: string;
  pools: number;
  slots: number;
  /** Bind UDP QUIC on the HTTPS port; only when `haproxy -vv` shows +QUIC. */
  quic: boolean;
  /** QUIC through OpenSSL's compat layer (+QUIC_OPENSSL_COMPAT): HAProxy refuses a QUIC bind without `limited-quic`. */
  limitedQuic?: boolean;
  /** Public port advertised in alt-svc when QUIC is bound. */
  quicPort: number;
  /** Host name that routes to the operator's MCP endpoint through `mcpSocket` with PROXY protocol. */
  mcpHost?: string;
  mcpSocket?: string;
  /** Health-check timings for every slot. */
  checkInterMs: number;
  /** `timeout connect`, ms; default 100. */
  connectTimeoutMs?: number;
  /** Max connections per process. */
  maxconn: number;
}

const FAMILIES: readonly Family[] = ['http', 'ssl', 'h3'];

function slotLine(pool: number, family: Family, slot: number, input: RenderInput): string {
  const base = `    server ${serverName(pool, family, slot)} 127.0.0.1:1 disabled weight 1`;
  const check = `check inter ${input.checkInterMs} fastinter ${Math.max(100, Math.round(input.checkInterMs / 4))} downinter ${input.checkInterMs} rise 1 fall 2`;
  // h3 clients are served over TLS/TCP: HAProxy 2.6 cannot speak QUIC to a server.
  if (family === 'http') return `${base} ${check}`;
  return `${base} ssl verify none alpn h2,http/1.1 ${check} check-ssl`;
}

function poolBackend(pool: number, family: Family, input: RenderInput): string {
  const lines = [
    `backend ${backendName(pool, family)}`,
    '    balance roundrobin',
    // The check request path comes from the per-server check map; servers
    // without a path have their health check disabled at runtime.
    '    option httpchk',
    `    http-check send meth GET uri-lf %[srv_name,map(${checksMapFile(input.mapFile)},/)] ver HTTP/1.1 hdr Host localhost`,
    '    http-check expect status 200-399',
  ];
  for (let slot = 1; slot <= input.slots; slot++) lines.push(slotLine(pool, family, slot, input));
  return lines.join('\n');
}

/** The map of server name -> HTTP check path, kept beside domains.map. */
export function checksMapFile(mapFile: string): string {
  return mapFile.replace(/[^/]*$/, 'checks.map');
}

const HOST = 'req.hdr(host),host_only,lower';
const IDEMPOTENT = 'GET HEAD OPTIONS PUT DELETE TRACE';

/**
 * A request for a routed host whose pools have no usable server waits in
 * lua.hold for at most the host's hold.map time; then the use_backend rules
 * see the pools again. A pool without a usable server never gets the request:
 * no_route answers 503 naming the host.
 */
function routeRules(input: RenderInput, tls: boolean): string[] {
  const usable = (suffix: string) => `{ var(txn.pool)${suffix},nbsrv -m int gt 0 }`;
  const empty = tls ? `!${usable(',concat(,,_ssl)')} !${usable('')}` : `!${usable('')}`;
  const rules = [
    ...ruleRequestLines(input, tls),
    ...accessRequestRules((file) => ruleMapFile(input.mapFile, file)),
    `    http-request set-var(txn.pool) var(txn.host),map(${input.mapFile})`,
    ...pathRouteLines(input),
    `    http-request set-var(txn.hold) var(txn.host),map_str_int(${holdMapFile(input.mapFile)}) if { var(txn.pool) -m found }`,
    `    http-request lua.hold ${tls ? 'tls' : 'http'} if { var(txn.hold) -m int gt 0 } ${empty}`,
    // A request the server dropped unanswered is retried (retry-on) only when replaying it is safe.
    `    http-request disable-l7-retry if !{ method ${IDEMPOTENT} }`,
  ];
  if (input.mcpHost) {
    rules.push(`    use_backend mcp_operator if { req.hdr(host),host_only,lower -m str ${input.mcpHost} }`);
  }
  if (tls) {
    if (input.quic) {
      rules.push('    use_backend %[var(txn.pool),concat(,,_h3)] if { fc_http_major 3 } { var(txn.pool),concat(,,_h3),nbsrv -m int gt 0 }');
    }
    rules.push('    use_backend %[var(txn.pool),concat(,,_ssl)] if { var(txn.pool),concat(,,_ssl),nbsrv -m int gt 0 }');
  }
  rules.push(`    use_backend %[var(txn.pool)] if ${usable('')}`);
  rules.push('    default_backend no_route', ...ruleResponseLines(input, tls));
  return rules;
}

/** The UDP bind beside a TCP bind "host:port" (host empty, IPv4 or [IPv6]). */
function quicBind(httpsBind: string): string {
  const cut = httpsBind.lastIndexOf(':');
  const host = httpsBind.slice(0, cut);
  return `${host.startsWith('[') ? 'quic6' : 'quic4'}@${host}:${httpsBind.slice(cut + 1)}`;
}

/** Renders the whole haproxy.cfg. */
export function renderConfig(input: RenderInput): string {
  const out: string[] = [];
  const connectMs = input.connectTimeoutMs ?? 100;
  out.push(
    '# Rendered by haproxy-operator. Routing changes go through the Runtime API;',
    '# this file only changes when settings change.',
    'global',
    '    master-worker',
    `    lua-load ${holdLuaFile(input.mapFile)}`,
    `    maxconn ${input.maxconn}`,
    `    stats socket ipv4@${input.runtimeApi} level admin expose-fd listeners`,
    `    stats socket ${input.runtimeSocket} mode 600 level admin expose-fd listeners`,
    // The operator keeps one connection open; idle for a day is fine.
    '    stats timeout 1d',
    '    hard-stop-after 30s',
    '    tune.ssl.default-dh-param 2048',
    ...(input.quic && input.limitedQuic ? ['    limited-quic'] : []),
    '',
    'defaults',
    '    mode http',
    // Servers are containers on this host: a connect takes microseconds, and
    // one that times out is retried at once. The short timeout matters for
    // the pause before retrying a lone server, min(timeout connect, 1 s).
    `    timeout connect ${connectMs}ms`,
    '    timeout client 60s',
    '    timeout server 60s',
    '    timeout http-request 10s',
    '    timeout http-keep-alive 10s',
    '    timeout check 2s',
    // A request sent to a server whose process just exited (before Podman's
    // stop event drained it) is retried on the same address every retry
    // pause (100 ms by default), so it reaches the restarted container within
    // one pause of its port answering; the retries span the default hold. It
    // is redispatched on the last retry (a replacement on a new address is
    // found then).
    `    retries ${Math.max(3, Math.ceil(DEFAULT_HOLD_MS / Math.min(connectMs, 1000)))}`,
    '    option redispatch -1',
    '    retry-on conn-failure empty-response',
    '',
    'frontend http',
    `    bind ${input.httpBind}`,
    ...routeRules(input, false),
    '',
    'frontend https',
    `    bind ${input.httpsBind} ssl crt ${input.certDir} alpn h2,http/1.1`,
  );
  if (input.quic) {
    out.push(`    bind ${quicBind(input.httpsBind)} ssl crt ${input.certDir} alpn h3`);
    // After-response: HAProxy's own answers (503 no route) advertise it too.
    out.push(`    http-after-response set-header alt-svc "h3=\\":${input.quicPort}\\"; ma=86400"`);
  }
  out.push(...routeRules(input, true), '');
  out.push(
    'backend no_route',
    `    http-request return status 503 content-type text/plain lf-string "no server available for host %[${HOST}]\\n" if { var(txn.pool) -m found }`,
    `    http-request return status 503 content-type text/plain lf-string "no route for host %[${HOST}]\\n"`,
    '',
  );
  if (input.mcpHost && input.mcpSocket) {
    out.push(
      'backend mcp_operator',
      // PROXY v2 over a socket only HAProxy and the operator can reach: the
      // operator judges the real client address from it, not from headers.
      `    server operator unix@${input.mcpSocket} send-proxy-v2`,
      '',
    );
  }
  out.push(...accessTables());
  for (let pool = 1; pool <= input.pools; pool++) {
    for (const family of FAMILIES) out.push(poolBackend(pool, family, input), '');
  }
  return out.join('\n');
}
