/**
 * @module The table of operator settings: one row per option, giving its
 * flag (--kebab-case), environment variable (HAPROXY_OPERATOR_UPPER_SNAKE),
 * config-file key (camelCase), default and help. Secrets are only read from
 * files or the environment, never from flags (they would show in `ps`).
 */

export type OptionType = 'string' | 'int' | 'list' | 'bool';

export interface OptionDef {
  key: string;
  type: OptionType;
  /** Default as text; `undefined` means unset. Paths relative to the state dir are resolved later. */
  default?: string;
  help: string;
  choices?: readonly string[];
  min?: number;
  max?: number;
}

export const OPTIONS: readonly OptionDef[] = [
  { key: 'config', type: 'string', help: 'YAML config file; its keys are the camelCase names of these options' },
  { key: 'mode', type: 'string', default: 'managed', choices: ['managed', 'external'], help: 'managed: run and supervise HAProxy; external: only talk to its Runtime API' },
  { key: 'stateDir', type: 'string', default: './state', help: 'directory for everything the operator writes' },
  { key: 'confDir', type: 'string', help: 'where haproxy.cfg, domains.map and servers.json live (default: the state dir)' },
  { key: 'certDir', type: 'string', help: 'PEM directory served by SNI (default: <state dir>/certs)' },
  { key: 'runDir', type: 'string', help: 'directory of the HAProxy sockets (default: <state dir>/run)' },
  { key: 'haproxyBin', type: 'string', default: 'haproxy', help: 'HAProxy binary (managed mode)' },
  { key: 'bindAddress', type: 'string', default: '', help: 'address HAProxy binds its frontends on (empty: all)' },
  { key: 'httpPort', type: 'int', default: '8080', min: 1, max: 65535, help: 'HTTP frontend port (80 in production)' },
  { key: 'httpsPort', type: 'int', default: '8443', min: 1, max: 65535, help: 'HTTPS frontend port (443 in production)' },
  { key: 'runtimeApi', type: 'string', default: '127.0.0.1:9999', help: 'HAProxy Runtime API address (IP:PORT or unix:/path)' },
  { key: 'pools', type: 'int', default: '100', min: 1, max: 5000, help: 'number of pool backends (pool_1..pool_N)' },
  { key: 'slots', type: 'int', default: '10', min: 1, max: 100, help: 'server slots per pool and family' },
  { key: 'checkInterval', type: 'int', default: '2000', min: 100, max: 600000, help: 'health-check interval of slots, ms' },
  { key: 'connectTimeout', type: 'int', default: '100', min: 10, max: 60000, help: 'HAProxy timeout connect to servers, ms; also the pause before a retry on the same server during a redeploy (the smaller of this and 1 s). Containers on this host connect in microseconds; raise it for servers farther than ~50 ms' },
  { key: 'maxconn', type: 'int', default: '4096', min: 16, max: 1000000, help: 'HAProxy maxconn' },
  { key: 'listen', type: 'string', default: '127.0.0.1:8000', help: 'operator HTTP listener: /mcp, /metrics, /healthz, /readyz' },
  { key: 'mcpHost', type: 'string', help: 'host name routed by HAProxy to the operator MCP endpoint (PROXY protocol keeps the real client address)' },
  { key: 'mcpTokenFile', type: 'string', help: 'file holding the MCP bearer token (a bare token or KEY=value lines, as the original mcp-token.env); or env HAPROXY_OPERATOR_MCP_TOKEN; default <conf dir>/mcp-token.env when it exists (import puts it there)' },
  { key: 'trustedNetworks', type: 'list', default: '127.0.0.0/8,::1/128,100.64.0.0/10', help: 'source ranges that need no MCP token (comma separated CIDRs)' },
  { key: 'podmanSocket', type: 'string', help: 'Podman API socket (default: CONTAINER_HOST, DOCKER_HOST, /run/podman/podman.sock, $XDG_RUNTIME_DIR/podman/podman.sock)' },
  { key: 'resourcesDir', type: 'string', help: 'directory of Domain/Certificate/Issuer manifests to watch; apply -f writes there (default: <state dir>/resources, created at start)' },
  { key: 'resyncInterval', type: 'int', default: '30000', min: 1000, max: 86400000, help: 'full resync period, ms' },
  { key: 'logLevel', type: 'string', default: 'info', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], help: 'log level' },
];

export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function envName(key: string): string {
  return `HAPROXY_OPERATOR_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** Every name a setting goes by, for error messages: `--flag (env VAR, config key key)`. */
export function settingNames(key: string): string {
  return `--${flagName(key)} (env ${envName(key)}, config key ${key})`;
}

/** Certificates: the ACME account and the Cloudflare DNS-01 solver (settings.acme, settings.dns). */
export const ACME_OPTIONS: readonly OptionDef[] = [
  { key: 'acmeEmail', type: 'string', help: 'ACME account contact email; setting it enables certificate issuance' },
  { key: 'acmeDirectory', type: 'string', default: 'letsencrypt', help: 'ACME directory: letsencrypt, letsencrypt-staging or an https:// URL (Google Trust Services: https://dv.acme-v02.api.pki.goog/directory)' },
  { key: 'acmeEabKeyId', type: 'string', help: 'External Account Binding key id (Google Trust Services, ZeroSSL)' },
  { key: 'acmeEabHmacFile', type: 'string', help: 'file holding the EAB HMAC key (base64url)' },
  { key: 'acmeCaFile', type: 'string', help: 'extra CA bundle trusted for the ACME server (a private CA, Pebble in tests)' },
  { key: 'cloudflareCredentials', type: 'string', help: "certbot's cloudflare.ini (dns_cloudflare_api_token = TOKEN), used as it is" },
  { key: 'cloudflareTokenFile', type: 'string', help: 'file holding the Cloudflare API token; or env HAPROXY_OPERATOR_CLOUDFLARE_API_TOKEN' },
  { key: 'cloudflareApiUrl', type: 'string', default: 'https://api.cloudflare.com/client/v4', help: 'Cloudflare API base URL' },
  { key: 'dnsResolvers', type: 'list', help: 'resolvers (ip[:port]) for the DNS-01 propagation check; empty: the zone\'s authoritative name servers' },
  { key: 'dnsPropagationTimeout', type: 'int', default: '120000', min: 1000, max: 3600000, help: 'how long to wait for the TXT record to be visible, ms' },
  { key: 'renewSchedule', type: 'string', default: '17 3,15 * * *', help: 'cron schedule of the renewal check (default twice a day)' },
];

/** Container discovery (settings.containers). */
export const CONTAINER_OPTIONS: readonly OptionDef[] = [
  { key: 'containers', type: 'bool', default: 'true', help: 'watch labelled Podman containers (false: never touch Podman)' },
  { key: 'drainTimeout', type: 'int', default: '10000', min: 0, max: 3600000, help: 'how long a stopping container is drained before its server is removed, ms' },
  { key: 'containerSelector', type: 'string', help: 'only watch containers carrying this key=value label (several operators on one host)' },
  { key: 'podmanEventsLog', type: 'string', default: 'auto', help: "Podman's events log (events_logger=file), followed for an early notice of container events: the API's stream delivers them 1 to 250 ms later. auto: /run/libpod/events/events.log as root, $XDG_RUNTIME_DIR/libpod/tmp/events/events.log rootless (followed from when Podman creates it); off: the API alone" },
];

/** Options only the import command takes; settings.importer; main.ts adds them to that command's flags. */
export const IMPORT_OPTIONS: readonly OptionDef[] = [
  { key: 'from', type: 'string', help: 'import: root of the original install (holds conf/ and certs/), e.g. /opt/haproxy' },
  { key: 'dryRun', type: 'bool', default: 'false', help: 'import: print the report, write nothing' },
  { key: 'cloudflareIni', type: 'string', help: "import: certbot's Cloudflare credentials to check (default: the first of <from>/cloudflare.ini, <from>/conf/, <from>/.secrets/, <from>/secrets/, ~/.secrets/cloudflare.ini; never printed)" },
];

/** Options only `render-config` takes (settings.render). */
export const RENDER_OPTIONS: readonly OptionDef[] = [
  { key: 'haproxyVersion', type: 'string', help: "render-config: the target HAProxy's version (e.g. 3.2.0), instead of running haproxy -vv" },
  { key: 'haproxyFeatures', type: 'string', default: '', help: "render-config: with --haproxy-version, the target's feature words from haproxy -vv (e.g. +QUIC,+QUIC_OPENSSL_COMPAT)" },
  { key: 'fromRuntime', type: 'bool', default: 'false', help: 'render-config: ask the HAProxy running at --runtime-api for its version and features (show version, show dev)' },
];

/** Every option of `run`: the foundation's plus the wired modules'. */
export const ALL_OPTIONS: readonly OptionDef[] = [...OPTIONS, ...ACME_OPTIONS, ...CONTAINER_OPTIONS];

export const CLOUDFLARE_TOKEN_ENV = 'HAPROXY_OPERATOR_CLOUDFLARE_API_TOKEN';
