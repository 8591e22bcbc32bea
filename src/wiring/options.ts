/**
 * @module Settings of the modules wired around the foundation (ACME,
 * Cloudflare, Podman, metrics), added to the foundation's option table.
 */
import type { OptionDef } from '../config/options.ts';
import { OPTIONS } from '../config/options.ts';

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

export const WIRING_OPTIONS: readonly OptionDef[] = [
  { key: 'containers', type: 'bool', default: 'true', help: 'watch labelled Podman containers (false: never touch Podman)' },
  { key: 'containerSelector', type: 'string', help: 'only watch containers carrying this key=value label (several operators on one host)' },
  { key: 'drainTimeout', type: 'int', default: '10000', min: 0, max: 3600000, help: 'how long a stopping container is drained before its server is removed, ms' },
];

/** Every option: the foundation's plus the wired modules'. */
export const ALL_OPTIONS: readonly OptionDef[] = [...OPTIONS, ...ACME_OPTIONS, ...WIRING_OPTIONS];

export const CLOUDFLARE_TOKEN_ENV = 'HAPROXY_OPERATOR_CLOUDFLARE_API_TOKEN';
