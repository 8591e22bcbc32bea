/**
 * @module Builds the certificate manager from settings, and the facade that
 * `cert list|issue|renew`, the MCP tools and /metrics share. Without an ACME
 * email no certificate is ordered; every PEM served is still listed.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.ts';
import { resolveIssuer } from '../acme/issuers.ts';
import { createCertManager, normalizeRequest, type CertManager, type CertStatus, type IssueResult } from '../acme/manager.ts';
import { listInventory } from '../acme/inventory.ts';
import { HttpError } from '../api/http-io.ts';
import { certRuntimeFrom } from '../acme/hotload.ts';
import { createCloudflareDns01Solver } from '../dns/solver.ts';
import { NotFoundError, ValidationError } from '../model/errors.ts';
import type { CertProvider, CertSummary } from '../mcp/providers.ts';
import type { RuntimeClient } from '../haproxy/runtime-client.ts';
import { CLOUDFLARE_TOKEN_ENV } from './options.ts';
import { settingNames } from '../config/options.ts';

/** Runs one step of reading certificate settings; an error is rethrown naming the setting (never a secret). */
async function namedSetting<T>(field: string, value: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new ValidationError(field, value, (error as Error).message);
  }
}

/** The setting the Cloudflare token comes from, as loadCloudflareToken picks it. */
function tokenSetting(x: Settings['extra']): [string, string] {
  if (x.cloudflareCredentials) return [settingNames('cloudflareCredentials'), x.cloudflareCredentials];
  if (x.cloudflareTokenFile) return [settingNames('cloudflareTokenFile'), x.cloudflareTokenFile];
  return [`env ${CLOUDFLARE_TOKEN_ENV} (or ${settingNames('cloudflareTokenFile')})`, '(not shown)'];
}

/**
 * Reads and checks every certificate setting (issuer, EAB key, Cloudflare
 * credentials, CA file) before anything starts; resolves a factory for the
 * manager, which needs the Runtime API client. A bad setting throws a
 * ValidationError naming the flag, the variable, the config key and the value.
 */
export async function prepareCertsFromSettings(settings: Settings, logger: Logger): Promise<((runtime: RuntimeClient) => CertManager) | undefined> {
  const x = settings.extra;
  if (!x.acmeEmail) return undefined;
  const [issuerField, issuerValue] = x.acmeEabKeyId ? [settingNames('acmeEabHmacFile'), x.acmeEabHmacFile ?? ''] : [settingNames('acmeDirectory'), x.acmeDirectory ?? ''];
  const issuer = await namedSetting(issuerField, issuerValue, () =>
    resolveIssuer({
      name: 'default',
      directory: x.acmeDirectory,
      email: x.acmeEmail,
      ...(x.acmeEabKeyId ? { eab: { keyId: x.acmeEabKeyId, hmacKeyFile: x.acmeEabHmacFile ?? '' } } : {}),
    }),
  );
  const [tokenField, tokenValue] = tokenSetting(x);
  const dns = await namedSetting(tokenField, tokenValue, () =>
    createCloudflareDns01Solver({
      logger: logger.child({ module: 'dns01' }),
      credentials: {
        ...(x.cloudflareCredentials ? { iniFile: x.cloudflareCredentials } : {}),
        ...(x.cloudflareTokenFile ? { tokenFile: x.cloudflareTokenFile } : {}),
        envVar: CLOUDFLARE_TOKEN_ENV,
        env: process.env,
      },
      apiBaseUrl: x.cloudflareApiUrl,
      resolvers: x.dnsResolvers ? x.dnsResolvers.split(',').map((s) => s.trim()).filter(Boolean) : [],
      propagationTimeoutMs: Number(x.dnsPropagationTimeout),
    }),
  );
  const caFile = x.acmeCaFile;
  const tlsCa = caFile ? await namedSetting(settingNames('acmeCaFile'), caFile, () => readFile(caFile, 'utf8').catch((e: NodeJS.ErrnoException) => Promise.reject(new Error(`cannot read (${e.code ?? 'error'})`)))) : undefined;
  return (runtime) =>
    createCertManager({
      logger: logger.child({ module: 'acme' }),
      stateDir: settings.stateDir,
      certDir: settings.certDir,
      issuer,
      dns,
      runtime: certRuntimeFrom(runtime),
      schedule: x.renewSchedule,
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
      return opts.manager.issue({ origin: 'cli', ...req });
    },
    async renew(req) {
      const name = normalizeRequest(req.domain).domain;
      for (const m of managers()) {
        if ((await m.list()).some((c) => c.name === name)) return m.renew(req);
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
      const apex = domains.find((d) => !d.startsWith('*.')) ?? domains[0]!.slice(2);
      const wildcard = domains.includes(`*.${apex}`);
      if (dryRun) return { summary: `dry run: would order a certificate for ${apex}${wildcard ? ` and *.${apex}` : ''}${force ? ' (forced past backoff and budget)' : ''}` };
      return bounded(`order for ${apex}`, () => facade.issue({ domain: apex, wildcard, origin: 'mcp', ...(force ? { force: true } : {}) }));
    },
    async renew({ name, force, dryRun }) {
      if (dryRun) return { summary: `dry run: would renew ${name}${force ? ' (forced: even if not due, past backoff and budget)' : ' if due'}` };
      return bounded(`renewal of ${name}`, () => facade.renew({ domain: name, ...(force !== undefined ? { force } : {}) }));
    },
  };
}
