/**
 * @module The certificate manager: issues, renews and hot-loads certificates
 * for names and their wildcards, keeps per-certificate state and the order
 * budget, and runs the renewal schedule. One order runs at a time: HAProxy
 * allows one certificate transaction at a time, and one writer keeps the
 * state file, the PEM files and HAProxy in step.
 */
import acme from 'acme-client';
import type { Logger } from 'pino';
import { NotFoundError, ValidationError } from '../model/errors.ts';
import { isHostname } from '../model/names.ts';
import type { DnsSolver } from '../dns/types.ts';
import type { CertLoader } from '../model/plan.ts';
import { loadOrCreateAccountKey } from './account.ts';
import type { ResolvedIssuer } from './issuers.ts';
import { orderCertificate, registerAccount } from './order.ts';
import { certFacts, pemPath, readCertPem, writeCertPem } from './pem-output.ts';
import {
  DEFAULT_RENEWAL_POLICY,
  DEFAULT_RENEW_SCHEDULE,
  assertBudget,
  assertNotBackingOff,
  backoffMs,
  createRenewalSchedule,
  isDue,
  recentOrders,
  renewAtMs,
  validateSchedule,
  type RenewalPolicy,
} from './renewal.ts';
import { CertEntry, createAcmeStateStore, type AcmeStateFile } from './state.ts';

export interface CertManagerDeps {
  logger: Logger;
  /** Operator state directory; ACME files go to <stateDir>/acme/. */
  stateDir: string;
  /** HAProxy's certificate directory (the `crt <dir>` of the bind). */
  certDir: string;
  issuer: ResolvedIssuer;
  dns: DnsSolver;
  /** Loads written PEMs into HAProxy (a plan action of the reconcile runner); without it PEMs are written but not hot-loaded. */
  hotload?: CertLoader;
  now?: () => number;
  /** Extra CA (PEM) for the ACME server's HTTPS (tests: Pebble's listener CA). */
  tlsCa?: string;
  /** acme-client's minimum status-polling delay in ms (default 5000; tests use less). */
  acmePollMinMs?: number;
  /** Cron expression of the renewal check (default twice a day). */
  schedule?: string;
  policy?: Partial<RenewalPolicy>;
}

/** What `issue` and `ensure` take: a name, optionally with its wildcard. `*.x` means x + *.x. */
export interface CertRequest {
  domain: string;
  wildcard?: boolean;
  /** Renew this long (ms) before notAfter instead of a fraction of the lifetime. */
  renewBeforeMs?: number;
  /** Who asks (tls=auto, cli, mcp, Certificate/<name>); shown as the certificate's source. */
  origin?: string;
  /** Skip the backoff and the order budget (an explicit, audited operator decision). */
  force?: boolean;
}

export interface CertStatus {
  name: string;
  domains: string[];
  wildcard: boolean;
  path: string;
  ready: boolean;
  notBefore?: string;
  notAfter?: string;
  renewAt?: string;
  issuer?: string;
  serial?: string;
  lastAttempt?: string;
  lastSuccess?: string;
  lastError?: string;
  nextAttempt?: string;
  failures: number;
  /** Failed attempts ever, counted here (the /metrics failure counter). */
  failuresTotal?: number;
  hotloadPending: boolean;
  ordersInWindow: number;
  /** Where the certificate comes from: acme:<issuer> (<origin>), or file / fallback for unmanaged PEMs. */
  source?: string;
  /** True when the operator orders and renews it. */
  managed?: boolean;
}

export interface IssueResult {
  name: string;
  /** The name asked for, when another certificate's wildcard covers it (ensure). */
  requested?: string;
  action: 'issued' | 'renewed' | 'unchanged';
  hotloaded: boolean;
  status: CertStatus;
}

export interface RenewalReport {
  name: string;
  action: 'renewed' | 'not-due' | 'backoff' | 'failed' | 'hotloaded';
  error?: string;
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

/** Normalises a request: lowercases, turns `*.x` into x + wildcard, validates the name. */
export function normalizeRequest(req: CertRequest | string): { domain: string; wildcard: boolean; renewBeforeMs?: number; origin?: string; force?: boolean } {
  const r = typeof req === 'string' ? { domain: req } : req;
  if (typeof r.domain !== 'string') throw new ValidationError('domain', r.domain, 'not a host name');
  let domain = r.domain.trim().toLowerCase().replace(/\.$/, '');
  let wildcard = r.wildcard ?? false;
  if (typeof wildcard !== 'boolean') throw new ValidationError('wildcard', wildcard, 'not a boolean');
  if (domain.startsWith('*.')) {
    domain = domain.slice(2);
    wildcard = true;
  }
  if (!isHostname(domain) || !domain.includes('.')) {
    throw new ValidationError('domain', r.domain, 'not a host name with at least two labels (a wildcard is written *.example.com)');
  }
  if (r.renewBeforeMs !== undefined && (!Number.isInteger(r.renewBeforeMs) || r.renewBeforeMs <= 0)) {
    throw new ValidationError('renewBeforeMs', r.renewBeforeMs, 'not a positive whole number of milliseconds');
  }
  return {
    domain,
    wildcard,
    ...(r.renewBeforeMs !== undefined ? { renewBeforeMs: r.renewBeforeMs } : {}),
    ...(r.origin ? { origin: r.origin } : {}),
    ...(r.force ? { force: true } : {}),
  };
}

/**
 * The wait a refusal asks for: Cloudflare's Retry-After, or the "retry after
 * <time>" of an ACME rate-limit problem (Let's Encrypt's wording).
 */
export function retryAfterOf(err: unknown, now: number): { retryAfterMs?: number } {
  const hinted = (err as { retryAfterMs?: unknown }).retryAfterMs;
  if (typeof hinted === 'number') return { retryAfterMs: hinted };
  const m = /retry after (\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\s*UTC|Z)?)/i.exec((err as Error).message ?? '');
  const at = m ? Date.parse(m[1]!.replace(' UTC', 'Z').replace(' ', 'T')) : NaN;
  return Number.isFinite(at) ? { retryAfterMs: Math.max(0, at - now) } : {};
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
  let accountKey: Buffer | undefined;
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
  const iso = (ms: number) => new Date(ms).toISOString();

  function statusOf(e: CertEntry): CertStatus {
    const at = renewAtMs(e, policy);
    const t = now();
    return {
      name: e.name,
      domains: e.domains,
      wildcard: e.wildcard,
      path: pemPath(deps.certDir, e.name),
      ready: !!e.notAfter && Date.parse(e.notAfter) > t && !e.hotloadPending,
      ...(e.notBefore ? { notBefore: e.notBefore } : {}),
      ...(e.notAfter ? { notAfter: e.notAfter } : {}),
      ...(at !== undefined ? { renewAt: iso(at) } : {}),
      ...(e.issuer ? { issuer: e.issuer } : {}),
      ...(e.serial ? { serial: e.serial } : {}),
      ...(e.lastAttempt ? { lastAttempt: e.lastAttempt } : {}),
      ...(e.lastSuccess ? { lastSuccess: e.lastSuccess } : {}),
      ...(e.lastError ? { lastError: e.lastError } : {}),
      ...(e.nextAttempt ? { nextAttempt: e.nextAttempt } : {}),
      failures: e.failures,
      failuresTotal: e.failuresTotal,
      hotloadPending: e.hotloadPending,
      ordersInWindow: recentOrders(e, t, policy).length,
      source: `acme:${deps.issuer.name}${e.origin ? ` (${e.origin})` : ''}`,
      managed: true,
    };
  }

  async function hotload(e: CertEntry, pem: string): Promise<boolean> {
    if (!deps.hotload) return false;
    try {
      await deps.hotload.loadCert({ dir: deps.certDir, path: pemPath(deps.certDir, e.name), pem });
      e.hotloadPending = false;
      return true;
    } catch (err) {
      e.hotloadPending = true;
      e.lastError = `hot-load: ${(err as Error).message}`;
      log.error({ cert: e.name, error: e.lastError }, 'certificate written but not hot-loaded; will retry on the next check');
      return false;
    } finally {
      await store.save(await loaded());
    }
  }

  /**
   * Places one order for `e`. Unless `force`, refused while the certificate
   * backs off or its budget is spent. Credentials, DNS API and the CA's
   * reachability are checked first: a failure there backs off but costs no
   * order. Only an order the CA created is logged against the budget.
   */
  async function order(e: CertEntry, force = false): Promise<boolean> {
    const s = await loaded();
    const t = now();
    e.orders = recentOrders(e, t, policy);
    const credential = deps.dns.refresh ? await deps.dns.refresh().catch(() => e.credential) : undefined;
    if (credential !== undefined && e.credential !== undefined && credential !== e.credential && e.failures > 0) {
      log.info({ cert: e.name }, 'DNS credentials changed: backoff reset');
      e.failures = 0;
      delete e.nextAttempt;
    }
    if (credential !== undefined) e.credential = credential;
    if (!force) {
      try {
        assertBudget(e, t, policy);
      } catch (err) {
        e.lastError = (err as Error).message;
        const oldest = Math.min(...e.orders.map((o) => Date.parse(o)));
        e.nextAttempt = iso(oldest + policy.budgetWindowMs);
        await store.save(s);
        throw err;
      }
      assertNotBackingOff(e, t);
    } else if (e.orders.length >= policy.budgetMaxOrders || e.failures > 0) {
      log.warn({ cert: e.name, ordersInWindow: e.orders.length, failures: e.failures }, 'forced order: backoff and order budget overridden');
    }
    e.lastAttempt = iso(t);
    await store.save(s);
    const olog = log.child({ cert: e.name });
    try {
      await deps.dns.preflight?.(e.domains);
      accountKey ??= await loadOrCreateAccountKey(deps.stateDir, deps.issuer.name);
      const issued = await orderCertificate(orderDeps(olog), e.domains, {
        // Persisted as soon as the CA has the order, so a crash still counts it.
        onOrderAccepted: async () => {
          e.orders.push(iso(now()));
          await store.save(s);
        },
      });
      const written = await writeCertPem(deps.certDir, e.name, issued.chainPem, issued.keyPem);
      Object.assign(e, {
        notBefore: written.facts.notBefore,
        notAfter: written.facts.notAfter,
        issuer: written.facts.issuer,
        serial: written.facts.serial,
        lastSuccess: iso(now()),
        failures: 0,
        hotloadPending: !!deps.hotload,
      });
      delete e.lastError;
      e.nextAttempt = iso(renewAtMs(e, policy)!);
      await store.save(s);
      olog.info({ notAfter: e.notAfter, domains: e.domains }, 'certificate issued');
      return await hotload(e, written.pem);
    } catch (err) {
      e.failures += 1;
      e.failuresTotal += 1;
      e.lastError = (err as Error).message;
      e.nextAttempt = iso(now() + backoffMs(e.failures, policy, retryAfterOf(err, now())));
      await store.save(s);
      olog.error({ error: e.lastError, failures: e.failures, nextAttempt: e.nextAttempt }, 'certificate order failed');
      throw err;
    }
  }

  function orderDeps(logger: Logger) {
    return {
      issuer: deps.issuer,
      accountKey: accountKey!,
      dns: deps.dns,
      logger,
      ...(deps.tlsCa ? { tlsCa: deps.tlsCa } : {}),
      ...(deps.acmePollMinMs ? { pollMinMs: deps.acmePollMinMs } : {}),
    };
  }

  function entryFor(s: AcmeStateFile, req: ReturnType<typeof normalizeRequest>): CertEntry {
    const existing = s.certs[req.domain];
    // Never narrow a certificate: a plain request for a name whose wildcard
    // is already wanted (by another container or resource) keeps the wildcard.
    const wildcard = req.wildcard || !!existing?.wildcard;
    const domains = wildcard ? [req.domain, `*.${req.domain}`] : [req.domain];
    if (existing) {
      if (existing.domains.join(',') !== domains.join(',') && existing.failures > 0) {
        // A changed spec deserves a fresh try: the failure was about the old one.
        existing.failures = 0;
        delete existing.nextAttempt;
      }
      existing.domains = domains;
      existing.wildcard = wildcard;
      if (req.renewBeforeMs !== undefined) existing.renewBeforeMs = req.renewBeforeMs;
      existing.origin ??= req.origin;
      return existing;
    }
    const created = CertEntry.parse({
      name: req.domain,
      domains,
      wildcard,
      ...(req.renewBeforeMs ? { renewBeforeMs: req.renewBeforeMs } : {}),
      ...(req.origin ? { origin: req.origin } : {}),
    });
    s.certs[req.domain] = created;
    return created;
  }

  async function pemMatches(e: CertEntry): Promise<boolean> {
    const pem = await readCertPem(pemPath(deps.certDir, e.name));
    if (!pem || !e.serial) return false;
    const facts = certFacts(pem);
    return facts.serial === e.serial && e.domains.every((d) => facts.domains.includes(d));
  }

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
    const r = normalizeRequest(req.domain);
    return exclusive(async () => {
      const s = await loaded();
      const e = s.certs[r.domain];
      if (!e) throw new NotFoundError(`certificate ${r.domain}: not managed here; issue it first (cert issue ${r.domain})`);
      if (!req.force && !isDue(e, now(), policy) && (await pemMatches(e))) {
        return { name: e.name, action: 'unchanged' as const, hotloaded: false, status: statusOf(e) };
      }
      const hotloaded = await order(e, !!req.force);
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
      accountKey ??= await loadOrCreateAccountKey(deps.stateDir, deps.issuer.name);
      return registerAccount({ issuer: deps.issuer, accountKey, ...(deps.tlsCa ? { tlsCa: deps.tlsCa } : {}) });
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
