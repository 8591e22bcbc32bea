/**
 * @module The certificate manager: issues, renews and hot-loads certificates
 * for names and their wildcards, and runs the renewal schedule. One order runs
 * at a time: HAProxy allows one certificate transaction at a time, and one
 * writer keeps the state file, the PEM files and HAProxy in step. Placing an
 * order (backoff, budget, PEM, hot-load) is cert-order.ts; what is reported
 * is cert-status.ts.
 */
import acme from 'acme-client';
import { NotFoundError } from '../model/errors.ts';
import { createCertOrderer, type OrderDeps } from './cert-order.ts';
import { entryFor, normalizeRequest, type CertRequest } from './cert-request.ts';
import { certStatus, type CertStatus, type IssueResult, type RenewalReport } from './cert-status.ts';
import { registerAccount } from './order.ts';
import { pemPath, readCertPem } from './pem-output.ts';
import { DEFAULT_RENEWAL_POLICY, DEFAULT_RENEW_SCHEDULE, createRenewalSchedule, isDue, validateSchedule, type RenewalPolicy } from './renewal.ts';
import { createAcmeStateStore, type AcmeStateFile, type CertEntry } from './state.ts';

export { normalizeRequest } from './cert-request.ts';
export type { CertStatus, IssueResult } from './cert-status.ts';

export interface CertManagerDeps extends OrderDeps {
  now?: () => number;
  /** Cron expression of the renewal check (default twice a day). */
  schedule?: string;
  policy?: Partial<RenewalPolicy>;
}

export interface CertManager {
  /** The issuer's name (acme:<name> in the source column). */
  readonly issuerName: string;
  list(): Promise<CertStatus[]>;
  issue(req: CertRequest): Promise<IssueResult>;
  renew(req: { domain: string; force?: boolean }): Promise<IssueResult>;
  /** Registers or finds the ACME account at the CA (an Issuer is Ready only after this). */
  register(): Promise<string>;
  ensure(names: Array<string | CertRequest>): Promise<Array<IssueResult | { name: string; error: string }>>;
  checkRenewals(): Promise<RenewalReport[]>;
  start(): void;
  stop(): void;
}

/** Creates the manager; nothing runs until a method or `start()` is called. */
export function createCertManager(deps: CertManagerDeps): CertManager {
  const log = deps.logger;
  const now = deps.now ?? Date.now;
  const policy: RenewalPolicy = { ...DEFAULT_RENEWAL_POLICY, ...deps.policy };
  const store = createAcmeStateStore(deps.stateDir);
  const schedule = createRenewalSchedule({ cronTime: validateSchedule(deps.schedule ?? DEFAULT_RENEW_SCHEDULE), onTick: () => scheduledCheck(), logger: log });
  const acmeLog = log.child({ module: 'acme-client' });
  acme.setLogger((msg: string) => acmeLog.debug(msg));
  let state: AcmeStateFile | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let retryTimer: NodeJS.Timeout | undefined;
  let started = false;

  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  }
  async function loaded(): Promise<AcmeStateFile> {
    state ??= await store.load();
    return state;
  }
  const { accountKey, order, hotload, pemMatches } = createCertOrderer(deps, { now, policy, store, loaded });
  const statusOf = (e: CertEntry): CertStatus => certStatus(e, { certDir: deps.certDir, issuerName: deps.issuer.name, policy, now: now() });

  async function issue(req: CertRequest): Promise<IssueResult> {
    const r = normalizeRequest(req);
    return exclusive(async () => {
      const s = await loaded();
      const e = entryFor(s, r);
      if (!isDue(e, now(), policy) && (await pemMatches(e))) {
        return { name: e.name, action: 'unchanged' as const, hotloaded: false, status: statusOf(e) };
      }
      const renewing = !!e.notAfter;
      const hotloaded = await order(e, r.force);
      return { name: e.name, action: renewing ? ('renewed' as const) : ('issued' as const), hotloaded, status: statusOf(e) };
    });
  }

  async function renew(req: { domain: string; force?: boolean }): Promise<IssueResult> {
    const r = normalizeRequest(req);
    return exclusive(async () => {
      const s = await loaded();
      const e = s.certs[r.domain];
      if (!e) throw new NotFoundError(`certificate ${r.domain}: not managed here; issue it first (cert issue ${r.domain})`);
      if (!r.force && !isDue(e, now(), policy) && (await pemMatches(e))) {
        return { name: e.name, action: 'unchanged' as const, hotloaded: false, status: statusOf(e) };
      }
      const hotloaded = await order(e, !!r.force);
      return { name: e.name, action: 'renewed' as const, hotloaded, status: statusOf(e) };
    });
  }

  /** A ready certificate of another name whose wildcard covers `domain` (x.a.test by *.a.test). */
  async function coveringEntry(domain: string): Promise<CertEntry | undefined> {
    const parent = domain.slice(domain.indexOf('.') + 1);
    const e = (await loaded()).certs[parent];
    return e && e.domains.includes(`*.${parent}`) && statusOf(e).ready ? e : undefined;
  }

  async function ensure(names: Array<string | CertRequest>): Promise<Array<IssueResult | { name: string; error: string }>> {
    const out: Array<IssueResult | { name: string; error: string }> = [];
    for (const n of names) {
      try {
        const req = normalizeRequest(n);
        const cover = req.wildcard ? undefined : await coveringEntry(req.domain);
        if (cover) {
          out.push({ name: cover.name, requested: req.domain, action: 'unchanged', hotloaded: false, status: statusOf(cover) });
          continue;
        }
        out.push(await issue(req));
      } catch (err) {
        out.push({ name: typeof n === 'string' ? n : n.domain, error: (err as Error).message });
      }
    }
    return out;
  }

  async function checkRenewals(): Promise<RenewalReport[]> {
    return exclusive(async () => {
      const s = await loaded();
      const reports: RenewalReport[] = [];
      for (const e of Object.values(s.certs)) {
        const t = now();
        const onDisk = await pemMatches(e);
        if (!isDue(e, t, policy) && onDisk) {
          if (e.hotloadPending) {
            const pem = (await readCertPem(pemPath(deps.certDir, e.name)))!;
            const ok = await hotload(e, pem);
            reports.push(ok ? { name: e.name, action: 'hotloaded' } : { name: e.name, action: 'failed', error: e.lastError ?? '' });
          } else reports.push({ name: e.name, action: 'not-due' });
          continue;
        }
        if (e.nextAttempt && Date.parse(e.nextAttempt) > t && e.failures > 0) {
          reports.push({ name: e.name, action: 'backoff', error: e.lastError ?? '' });
          continue;
        }
        try {
          await order(e);
          reports.push({ name: e.name, action: 'renewed' });
        } catch (err) {
          reports.push({ name: e.name, action: 'failed', error: (err as Error).message });
        }
      }
      return reports;
    });
  }

  /** The scheduled check, then a one-shot timer for the earliest backoff retry before the next cron run. */
  async function scheduledCheck(): Promise<RenewalReport[]> {
    const reports = await checkRenewals();
    if (!started) return reports;
    const s = await loaded();
    const retries = Object.values(s.certs)
      .filter((e) => e.failures > 0 && e.nextAttempt)
      .map((e) => Date.parse(e.nextAttempt!));
    const next = schedule.nextRun()?.getTime() ?? Infinity;
    const earliest = Math.min(...retries);
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = undefined;
    if (earliest < next) {
      retryTimer = setTimeout(() => void scheduledCheck().catch(() => undefined), Math.max(0, earliest - now()));
      retryTimer.unref();
    }
    return reports;
  }

  return {
    issuerName: deps.issuer.name,
    list: async () => Object.values((await loaded()).certs).map(statusOf),
    async register() {
      return registerAccount({ issuer: deps.issuer, accountKey: await accountKey(), ...(deps.tlsCa ? { tlsCa: deps.tlsCa } : {}) });
    },
    issue,
    renew,
    ensure,
    checkRenewals,
    start() {
      started = true;
      schedule.start();
      log.info({ nextRun: schedule.nextRun()?.toISOString() }, 'certificate renewal schedule started');
    },
    stop() {
      started = false;
      schedule.stop();
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = undefined;
    },
  };
}
