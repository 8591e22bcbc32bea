/**
 * @module Builds the certificate manager from settings, and the facade that
 * `cert list|issue|renew`, the MCP tools and /metrics share. Without an ACME
 * email no certificate is ordered; every PEM served is still listed.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { DnsSettings, Settings } from '../config/settings.ts';
import { resolveIssuer } from '../acme/issuers.ts';
import { createCertManager, normalizeRequest, type CertManager, type CertStatus, type IssueResult } from '../acme/manager.ts';
import { listInventory } from '../acme/inventory.ts';
import { HttpError } from '../api/http-io.ts';
import { createCloudflareDns01Solver } from '../dns/solver.ts';
import { NotFoundError, ValidationError } from '../model/errors.ts';
import { certName, checkedRequest, withOrigin } from '../model/cert-request.ts';
import { certApex, type CertProvider, type CertSummary } from '../mcp/providers.ts';
import type { DnsSolver } from '../dns/types.ts';
import type { CertLoader } from '../model/plan.ts';
import { CLOUDFLARE_TOKEN_ENV, settingNames } from '../config/options.ts';

/** The Cloudflare DNS-01 solver from the dns settings; `credentials` (an Issuer's token reference) replaces the configured ones. */
export function cloudflareSolver(dns: DnsSettings, logger: Logger, credentials?: { tokenFile?: string; envVar?: string }): Promise<DnsSolver> {
  return createCloudflareDns01Solver({
    logger,
    credentials: credentials
      ? { ...credentials, env: process.env }
      : {
          ...(dns.cloudflareCredentials ? { iniFile: dns.cloudflareCredentials } : {}),
          ...(dns.cloudflareTokenFile ? { tokenFile: dns.cloudflareTokenFile } : {}),
          envVar: CLOUDFLARE_TOKEN_ENV,
          env: process.env,
        },
    apiBaseUrl: dns.cloudflareApiUrl,
    resolvers: dns.resolvers,
    propagationTimeoutMs: dns.propagationTimeoutMs,
  });
}

/** Runs one step of reading certificate settings; an error is rethrown naming the setting (never a secret). */
async function namedSetting<T>(field: string, value: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new ValidationError(field, value, (error as Error).message);
  }
}

/** The setting the Cloudflare token comes from, as loadCloudflareToken picks it. */
export function tokenSetting(dns: DnsSettings): [string, string] {
  if (dns.cloudflareCredentials) return [settingNames('cloudflareCredentials'), dns.cloudflareCredentials];
  if (dns.cloudflareTokenFile) return [settingNames('cloudflareTokenFile'), dns.cloudflareTokenFile];
  return [`env ${CLOUDFLARE_TOKEN_ENV} (or ${settingNames('cloudflareTokenFile')})`, '(not shown)'];
}

/**
 * Reads and checks every certificate setting (issuer, EAB key, Cloudflare
 * credentials, CA file) before anything starts; resolves a factory for the
 * manager, which needs the certificate loader (the operations layer). A bad
 * setting throws a ValidationError naming the flag, the variable, the config
 * key and the value.
 */
export async function prepareCertsFromSettings(settings: Settings, logger: Logger): Promise<((hotload: CertLoader) => CertManager) | undefined> {
  const { acme } = settings;
  if (!acme.email) return undefined;
  const email = acme.email;
  const [issuerField, issuerValue] = acme.eab ? [settingNames('acmeEabHmacFile'), acme.eab.hmacKeyFile] : [settingNames('acmeDirectory'), acme.directory];
  const issuer = await namedSetting(issuerField, issuerValue, () => resolveIssuer({ name: 'default', directory: acme.directory, email, ...(acme.eab ? { eab: acme.eab } : {}) }));
  const [tokenField, tokenValue] = tokenSetting(settings.dns);
  const dns = await namedSetting(tokenField, tokenValue, () => cloudflareSolver(settings.dns, logger.child({ module: 'dns01' })));
  const caFile = acme.caFile;
  const tlsCa = caFile ? await namedSetting(settingNames('acmeCaFile'), caFile, () => readFile(caFile, 'utf8').catch((e: NodeJS.ErrnoException) => Promise.reject(new Error(`cannot read (${e.code ?? 'error'})`)))) : undefined;
  return (hotload) =>
    createCertManager({
      logger: logger.child({ module: 'acme' }),
      stateDir: settings.stateDir,
      certDir: settings.certDir,
      issuer,
      dns,
      hotload,
      schedule: acme.renewSchedule,
      ...(tlsCa ? { tlsCa } : {}),
    });
}

/** What `cert list|issue|renew`, the MCP tools and /metrics use: every certificate, orders through the right manager. */
export type CertsFacade = Pick<CertManager, 'list' | 'issue' | 'renew'>;

const NOT_CONFIGURED =
  'certificate issuance is not configured: set --acme-email and Cloudflare credentials (--cloudflare-credentials or --cloudflare-token-file)';

/**
 * Lists the inventory (every manager's certificates and every other PEM);
 * issues through the settings' manager; renews through whichever manager
 * holds the name (the settings' one first, then each Issuer's).
 */
export function certsFacade(opts: { certDir: string; manager?: CertManager; issuerManagers?: () => CertManager[] }): CertsFacade {
  const managers = () => [...(opts.manager ? [opts.manager] : []), ...(opts.issuerManagers?.() ?? [])];
  return {
    list: () => listInventory({ certDir: opts.certDir, managers }),
    async issue(req) {
      if (!opts.manager) throw new HttpError(501, NOT_CONFIGURED);
      return opts.manager.issue(withOrigin(normalizeRequest(req), 'cli'));
    },
    async renew(req) {
      const r = normalizeRequest(req);
      const name = r.domain;
      for (const m of managers()) {
        if ((await m.list()).some((c) => c.name === name)) return m.renew(r);
      }
      throw new NotFoundError(`certificate ${name}: not managed here (cert list shows every certificate and its source); issue it first (cert issue ${name})`);
    },
  };
}

/** An MCP client gives up after about 60 s: an order still running then goes on in the background. */
export const MCP_ANSWER_WITHIN_MS = 40_000;

function toSummary(s: CertStatus): CertSummary {
  return {
    name: s.name,
    dnsNames: s.domains,
    notAfter: s.notAfter ?? '',
    path: s.path,
    ready: s.ready,
    ...(s.source ? { source: s.source } : {}),
    ...(s.issuer ? { issuer: s.issuer } : {}),
    ...(s.lastError ? { lastError: s.lastError } : {}),
    ...(s.nextAttempt && s.failures > 0 ? { nextAttempt: s.nextAttempt } : {}),
  };
}

/**
 * MCP provider over the facade. An order that takes longer than
 * `answerWithinMs` is answered with "still running": it finishes in the
 * background and its outcome shows in haproxy_list_certs and the log.
 */
export function certProvider(facade: CertsFacade, opts: { logger?: Logger; answerWithinMs?: number } = {}): CertProvider {
  const within = opts.answerWithinMs ?? MCP_ANSWER_WITHIN_MS;
  async function bounded(what: string, run: () => Promise<IssueResult>): Promise<{ summary: string; cert?: CertSummary }> {
    const started = run();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), within)));
    try {
      const r = await Promise.race([started, late]);
      if (r === 'late') {
        started.then(
          (done) => opts.logger?.info({ cert: done.name, action: done.action }, 'background certificate order finished'),
          (err: unknown) => opts.logger?.warn({ what, error: (err as Error).message }, 'background certificate order failed'),
        );
        return { summary: `${what}: still running after ${Math.round(within / 1000)} s; it goes on in the background; haproxy_list_certs shows the outcome (ready, last error)` };
      }
      return { summary: `${r.action} ${r.name} (hot-loaded: ${r.hotloaded})`, cert: toSummary(r.status) };
    } finally {
      clearTimeout(timer);
    }
  }
  return {
    list: async () => (await facade.list()).map(toSummary),
    async issue({ domains, dryRun, force }) {
      const apex = certApex(domains);
      const wildcard = domains.includes(`*.${apex}`);
      if (dryRun) return { summary: `dry run: would order a certificate for ${apex}${wildcard ? ` and *.${apex}` : ''}${force ? ' (forced past backoff and budget)' : ''}` };
      // The tool's parse checked every name with the manager's rule (CertDomain): the request is built checked.
      return bounded(`order for ${apex}`, () => facade.issue(checkedRequest({ domain: apex, wildcard }, { origin: 'mcp', force })));
    },
    async renew({ name, force, dryRun }) {
      if (dryRun) return { summary: `dry run: would renew ${name}${force ? ' (forced: even if not due, past backoff and budget)' : ' if due'}` };
      const managed = certName(name);
      if (!managed) throw new NotFoundError(`certificate ${name}: not managed here (only ordered certificates renew; haproxy_list_certs shows each one's source)`);
      return bounded(`renewal of ${name}`, () => facade.renew(checkedRequest(managed, { force })));
    },
  };
}
