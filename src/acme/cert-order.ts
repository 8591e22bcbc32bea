/**
 * @module Placing one ACME order for a certificate entry, guarded by the
 * backoff and the order budget (so a broken setup cannot burn the CA's rate
 * limits), writing the PEM and hot-loading it. The caller serialises: every
 * function here mutates the entry and saves the shared state file.
 */
import type { Logger } from 'pino';
import type { DnsSolver } from '../dns/types.ts';
import type { CertLoader } from '../model/plan.ts';
import { loadOrCreateAccountKey } from './account.ts';
import { iso } from './cert-status.ts';
import type { ResolvedIssuer } from './issuers.ts';
import { orderCertificate } from './order.ts';
import { certFacts, pemPath, readCertPem, writeCertPem } from './pem-output.ts';
import { assertBudget, assertNotBackingOff, backoffMs, recentOrders, renewAtMs, type RenewalPolicy } from './renewal.ts';
import type { AcmeStateFile, AcmeStateStore, CertEntry } from './state.ts';

/** What an order needs: the manager's deps but its clock, schedule and policy. */
export interface OrderDeps {
  logger: Logger;
  /** Operator state directory; ACME files go to <stateDir>/acme/. */
  stateDir: string;
  /** HAProxy's certificate directory (the `crt <dir>` of the bind). */
  certDir: string;
  issuer: ResolvedIssuer;
  dns: DnsSolver;
  /** Loads written PEMs into HAProxy (a plan action of the reconcile runner); without it PEMs are written but not hot-loaded. */
  hotload?: CertLoader;
  /** Extra CA (PEM) for the ACME server's HTTPS (tests: Pebble's listener CA). */
  tlsCa?: string;
  /** acme-client's minimum status-polling delay in ms (default 5000; tests use less). */
  acmePollMinMs?: number;
}

export interface CertOrderer {
  /** The account key, created on first use (register shares it). */
  accountKey(): Promise<Buffer>;
  /** Places one order for `e`; returns whether the new PEM was hot-loaded. */
  order(e: CertEntry, force?: boolean): Promise<boolean>;
  /** Loads `pem` into HAProxy; a failure marks the entry hot-load pending (retried by the next check). */
  hotload(e: CertEntry, pem: string): Promise<boolean>;
  /** True when the PEM on disk is the one the state describes (serial and every name). */
  pemMatches(e: CertEntry): Promise<boolean>;
}

/**
 * The wait a refusal asks for: Cloudflare's Retry-After, or the "retry after
 * <time>" of an ACME rate-limit problem (Let's Encrypt's wording).
 */
function retryAfterOf(err: unknown, now: number): { retryAfterMs?: number } {
  const hinted = (err as { retryAfterMs?: unknown }).retryAfterMs;
  if (typeof hinted === 'number') return { retryAfterMs: hinted };
  const m = /retry after (\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\s*UTC|Z)?)/i.exec((err as Error).message ?? '');
  const at = m ? Date.parse(m[1]!.replace(' UTC', 'Z').replace(' ', 'T')) : NaN;
  return Number.isFinite(at) ? { retryAfterMs: Math.max(0, at - now) } : {};
}

export function createCertOrderer(
  deps: OrderDeps,
  ctx: { now: () => number; policy: RenewalPolicy; store: AcmeStateStore; loaded: () => Promise<AcmeStateFile> },
): CertOrderer {
  const { now, policy, store, loaded } = ctx;
  const log = deps.logger;
  let key: Buffer | undefined;
  const accountKey = async (): Promise<Buffer> => (key ??= await loadOrCreateAccountKey(deps.stateDir, deps.issuer.name));

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
   * Refuses (unless forced) while `e` backs off or its budget is spent; a
   * refusal by budget sets when to try again. Returns the attempt's time.
   */
  async function admit(e: CertEntry, s: AcmeStateFile, force: boolean): Promise<number> {
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
    return t;
  }

  /**
   * Credentials, DNS API and the CA's reachability are checked first: a
   * failure there backs off but costs no order. Only an order the CA created
   * is logged against the budget.
   */
  async function order(e: CertEntry, force = false): Promise<boolean> {
    const s = await loaded();
    e.lastAttempt = iso(await admit(e, s, force));
    await store.save(s);
    const olog = log.child({ cert: e.name });
    try {
      await deps.dns.preflight?.(e.domains);
      const orderDeps = {
        issuer: deps.issuer,
        accountKey: await accountKey(),
        dns: deps.dns,
        logger: olog,
        ...(deps.tlsCa ? { tlsCa: deps.tlsCa } : {}),
        ...(deps.acmePollMinMs ? { pollMinMs: deps.acmePollMinMs } : {}),
      };
      const issued = await orderCertificate(orderDeps, e.domains, {
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

  async function pemMatches(e: CertEntry): Promise<boolean> {
    const pem = await readCertPem(pemPath(deps.certDir, e.name));
    if (!pem || !e.serial) return false;
    const facts = certFacts(pem);
    return facts.serial === e.serial && e.domains.every((d) => facts.domains.includes(d));
  }

  return { accountKey, order, hotload, pemMatches };
}
