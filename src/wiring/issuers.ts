/**
 * @module The ACME managers behind Issuer resources, one per Issuer (each in
 * its own state directory, since a manager owns its state file). An Issuer is
 * Ready only once Cloudflare accepted its token and the CA registered or
 * found its account; those checks run in the background, are retried with a
 * backoff, and again at once when the spec, the CA bundle or the token changes.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.ts';
import { resolveIssuer } from '../acme/issuers.ts';
import { createCertManager, type CertManager } from '../acme/manager.ts';
import { backoffMs, DEFAULT_RENEWAL_POLICY } from '../acme/renewal.ts';
import { cloudflareSolver } from './certs.ts';
import type { DnsSolver } from '../dns/types.ts';
import { issuerToAcme } from '../resources/acme-bridge.ts';
import type { IssuerRegistry } from '../resources/acme-contract.ts';
import type { ResourceReport } from '../resources/status.ts';
import type { IssuerResource } from '../model/resources.ts';
import type { CertLoader } from '../model/plan.ts';

interface Entry {
  manager: CertManager;
  dns: DnsSolver;
  fingerprint: string;
  credential?: string;
  report: ResourceReport;
  ready: boolean;
  checking: boolean;
  failures: number;
  retryAt: number;
  started: boolean;
}

export interface IssuerRegistryDeps {
  settings: Settings;
  /** Loads written PEMs into HAProxy (the operations layer); without it PEMs are written but not hot-loaded. */
  hotload?: CertLoader;
  logger: Logger;
  now?: () => number;
  /** Retry delay of a failed check (default: the certificates' backoff, 5 min doubling). */
  retryMs?: (failures: number) => number;
  /** acme-client's status polling delay (tests use less than its 5 s). */
  acmePollMinMs?: number;
}

export interface ManagedIssuers extends IssuerRegistry {
  /** The manager of a Ready Issuer, or undefined. */
  managerFor(name: string): CertManager | undefined;
  /** Why an Issuer is not Ready (its condition message), or undefined. */
  problemFor(name: string): string | undefined;
  /** Every manager, Ready or not (their certificates are listed). */
  all(): CertManager[];
  stop(): void;
}

async function readCa(path: string | undefined, field: string): Promise<string | undefined> {
  if (!path) return undefined;
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`${field}=${JSON.stringify(path)}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export function createIssuerRegistry(deps: IssuerRegistryDeps): ManagedIssuers {
  const { settings, logger } = deps;
  const now = deps.now ?? Date.now;
  const retryMs = deps.retryMs ?? ((n: number) => backoffMs(n, DEFAULT_RENEWAL_POLICY));
  const entries = new Map<string, Entry>();

  async function build(issuer: IssuerResource, fingerprint: string, tlsCa: string | undefined): Promise<Entry> {
    const name = issuer.metadata.name;
    const { spec, apiTokenRef } = issuerToAcme(issuer);
    const log = logger.child({ module: 'acme', issuer: name });
    const dns = await cloudflareSolver(settings.dns, log, { ...(apiTokenRef.file ? { tokenFile: apiTokenRef.file } : {}), ...(apiTokenRef.env ? { envVar: apiTokenRef.env } : {}) });
    const manager = createCertManager({
      logger: log,
      stateDir: join(settings.stateDir, 'issuers', name),
      certDir: settings.certDir,
      issuer: await resolveIssuer(spec),
      dns,
      ...(deps.hotload ? { hotload: deps.hotload } : {}),
      schedule: settings.acme.renewSchedule,
      ...(tlsCa ? { tlsCa } : {}),
      ...(deps.acmePollMinMs ? { acmePollMinMs: deps.acmePollMinMs } : {}),
    });
    const report: ResourceReport = { name, status: 'Unknown', reason: 'Registering', message: `checking the Cloudflare token and the ACME account at ${spec.directory}` };
    return { manager, dns, fingerprint, report, ready: false, checking: false, failures: 0, retryAt: 0, started: false };
  }

  /** Cloudflare's verdict on the token, then the account at the CA; the outcome is pushed through `report`. */
  async function check(name: string, e: Entry, report?: (r: ResourceReport) => void): Promise<void> {
    e.checking = true;
    let next: ResourceReport;
    try {
      await e.dns.verify?.();
      try {
        const url = await e.manager.register();
        next = { name, status: 'True', reason: 'Registered', message: `ACME account ${url}; Cloudflare accepted the token` };
      } catch (err) {
        next = { name, status: 'False', reason: 'AccountNotRegistered', message: (err as Error).message };
      }
    } catch (err) {
      next = { name, status: 'False', reason: 'TokenRefused', message: (err as Error).message };
    }
    e.checking = false;
    if (entries.get(name) !== e) return; // replaced meanwhile
    e.ready = next.status === 'True';
    e.failures = e.ready ? 0 : e.failures + 1;
    e.retryAt = e.ready ? Infinity : now() + retryMs(e.failures);
    e.report = next;
    if (e.ready && !e.started) {
      e.manager.start();
      e.started = true;
    }
    logger[e.ready ? 'info' : 'warn']({ issuer: name, reason: next.reason, message: next.message }, 'issuer checked');
    report?.(next);
  }

  return {
    managerFor: (name) => (entries.get(name)?.ready ? entries.get(name)!.manager : undefined),
    problemFor: (name) => {
      const e = entries.get(name);
      return e && !e.ready ? e.report.message : undefined;
    },
    all: () => [...entries.values()].map((e) => e.manager),
    stop() {
      for (const e of entries.values()) e.manager.stop();
      entries.clear();
    },
    async sync(issuers, report) {
      const reports: ResourceReport[] = [];
      const seen = new Set<string>();
      for (const issuer of issuers) {
        const name = issuer.metadata.name;
        seen.add(name);
        let e = entries.get(name);
        try {
          const caPath = issuer.spec.acme.caBundleRef?.file ?? settings.acme.caFile;
          const tlsCa = await readCa(caPath, issuer.spec.acme.caBundleRef ? 'spec.acme.caBundleRef.file' : '--acme-ca-file');
          const fingerprint = createHash('sha256').update(JSON.stringify(issuer.spec)).update(tlsCa ?? '').digest('hex');
          if (e?.fingerprint !== fingerprint) {
            e?.manager.stop();
            entries.delete(name);
            e = await build(issuer, fingerprint, tlsCa);
            entries.set(name, e);
          }
          // A changed token is checked again at once, Ready or not; else only a failed check is retried, after its backoff.
          const credential = await e.dns.refresh?.();
          const changed = e.credential !== undefined && credential !== e.credential;
          e.credential = credential;
          if (!e.checking && (changed || (!e.ready && now() >= e.retryAt))) void check(name, e, report);
          reports.push(e.report);
        } catch (err) {
          if (e) e.ready = false;
          reports.push({ name, status: 'False', reason: 'InvalidIssuer', message: (err as Error).message });
        }
      }
      for (const [name, e] of entries) {
        if (seen.has(name)) continue;
        e.manager.stop();
        entries.delete(name);
      }
      return reports;
    },
  };
}
