/**
 * @module Builds the certificate manager from settings and adapts it to
 * the MCP certificate provider. Without an ACME email no certificate is
 * ordered; the PEMs already in the cert directory are still listed.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.ts';
import { resolveIssuer } from '../acme/issuers.ts';
import { createCertManager, type CertManager } from '../acme/manager.ts';
import { createCloudflareDns01Solver } from '../dns/solver.ts';
import { OperatorError, ValidationError } from '../model/errors.ts';
import type { CertProvider, CertSummary } from '../mcp/providers.ts';
import type { CertLoader } from '../model/plan.ts';
import type { DnsSettings } from '../config/settings.ts';
import { CLOUDFLARE_TOKEN_ENV, settingNames } from '../config/options.ts';

/** The Cloudflare DNS-01 solver from the dns settings; `credentials` (an Issuer's token reference) replaces the configured ones. */
export function cloudflareSolver(dns: DnsSettings, logger: Logger, credentials?: { tokenFile?: string; envVar?: string }) {
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
function tokenSetting(dns: DnsSettings): [string, string] {
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

/** Reads every PEM of the cert directory (the ones HAProxy serves, whoever wrote them). */
export async function listPemCerts(certDir: string): Promise<CertSummary[]> {
  const out: CertSummary[] = [];
  for (const file of (await readdir(certDir)).filter((f) => f.endsWith('.pem')).sort()) {
    const path = join(certDir, file);
    try {
      const cert = new X509Certificate(await readFile(path));
      const dnsNames = (cert.subjectAltName ?? '').split(', ').filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
      out.push({ name: file.replace(/\.pem$/, ''), dnsNames, notAfter: new Date(cert.validTo).toISOString(), path });
    } catch {
      // not a certificate we can read; HAProxy would refuse it too
    }
  }
  return out;
}

/** MCP provider: lists PEMs; issues and renews through the manager, or explains how to enable it. */
export function certProvider(certDir: string, manager: CertManager | undefined): CertProvider {
  const disabled = () => {
    throw new OperatorError('certificate issuance is not configured: set --acme-email and Cloudflare credentials (--cloudflare-credentials or --cloudflare-token-file)');
  };
  const summary = (s: { name: string; domains: string[]; notAfter?: string; path: string }): CertSummary => ({ name: s.name, dnsNames: s.domains, notAfter: s.notAfter ?? '', path: s.path });
  return {
    list: () => listPemCerts(certDir),
    async issue({ domains, dryRun }) {
      if (!manager) return disabled();
      const apex = domains.find((d) => !d.startsWith('*.')) ?? domains[0]!.slice(2);
      const wildcard = domains.includes(`*.${apex}`);
      if (dryRun) return { summary: `dry run: would order a certificate for ${apex}${wildcard ? ` and *.${apex}` : ''}` };
      const r = await manager.issue({ domain: apex, wildcard });
      return { summary: `${r.action} ${r.name} (hot-loaded: ${r.hotloaded})`, cert: summary(r.status as never) };
    },
    async renew({ name, force, dryRun }) {
      if (!manager) return disabled();
      if (dryRun) return { summary: `dry run: would renew ${name}${force ? ' (forced)' : ' if due'}` };
      const r = await manager.renew({ domain: name, ...(force !== undefined ? { force } : {}) });
      return { summary: `${r.action} ${r.name} (hot-loaded: ${r.hotloaded})`, cert: summary(r.status as never) };
    },
  };
}
