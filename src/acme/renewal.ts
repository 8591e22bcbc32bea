/**
 * @module Renewal policy (pure: when a certificate is due, how long to back
 * off after failures, whether the order budget allows another order) and the
 * `cron` schedule that runs the renewal check.
 */
import { CronJob, validateCronExpression } from 'cron';
import type { Logger } from 'pino';
import { ConflictError, ValidationError } from '../model/errors.ts';
import type { CertEntry } from './state.ts';

export interface RenewalPolicy {
  /** Renew when less than this fraction of the lifetime remains (default 1/3). */
  renewBeforeFraction: number;
  /** First retry delay after a failure in ms (default 5 min), doubled per failure. */
  backoffBaseMs: number;
  /** Longest retry delay in ms (default 12 h). */
  backoffMaxMs: number;
  /** Orders allowed per name within `budgetWindowMs` (default 5). */
  budgetMaxOrders: number;
  /** Rolling window of the budget in ms (default 7 days). */
  budgetWindowMs: number;
}

export const DEFAULT_RENEWAL_POLICY: RenewalPolicy = {
  renewBeforeFraction: 1 / 3,
  backoffBaseMs: 5 * 60_000,
  backoffMaxMs: 12 * 3600_000,
  budgetMaxOrders: 5,
  budgetWindowMs: 7 * 24 * 3600_000,
};

/** Twice a day at minute 17 (off the hour, as Let's Encrypt asks). */
export const DEFAULT_RENEW_SCHEDULE = '17 3,15 * * *';

/** The order budget is spent: refusing protects the CA limits (traefik#6818-style loops). */
export class OrderBudgetError extends ConflictError {}

/** A certificate is never renewed earlier than this fraction of its lifetime after notBefore. */
const EARLIEST_RENEWAL_FRACTION = 1 / 3;

/**
 * When the certificate should be renewed (ms since epoch); undefined without a
 * certificate. A fraction of the lifetime by default; an explicit renewBefore
 * longer than two thirds of the lifetime (720h on a 6-day certificate) is
 * clamped, else every check would renew it again.
 */
export function renewAtMs(entry: CertEntry, policy: RenewalPolicy): number | undefined {
  if (!entry.notAfter || !entry.notBefore) return undefined;
  const notAfter = Date.parse(entry.notAfter);
  const lifetime = notAfter - Date.parse(entry.notBefore);
  const wanted = entry.renewBeforeMs ?? lifetime * policy.renewBeforeFraction;
  return notAfter - Math.min(wanted, lifetime * (1 - EARLIEST_RENEWAL_FRACTION));
}

/** True when the certificate is missing or inside its renewal window at `now`. */
export function isDue(entry: CertEntry, now: number, policy: RenewalPolicy): boolean {
  const at = renewAtMs(entry, policy);
  return at === undefined || now >= at;
}

/**
 * Delay before retry number `failures` (1-based): base * 2^(failures-1), capped,
 * with up to +-20 % jitter so certificates that failed together do not retry
 * together; a server's Retry-After wins when longer (still capped).
 */
export function backoffMs(failures: number, policy: RenewalPolicy, opts: { retryAfterMs?: number; random?: () => number } = {}): number {
  const plain = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** Math.max(0, failures - 1));
  const jitter = 1 + ((opts.random ?? Math.random)() * 0.4 - 0.2);
  const delay = Math.max(plain * jitter, opts.retryAfterMs ?? 0);
  return Math.round(Math.min(policy.backoffMaxMs, delay));
}

/** The certificate failed recently and its backoff has not run out; `force` does not skip this (use renew --force). */
export class BackoffError extends ConflictError {}

/** Throws BackoffError while `entry` is inside its backoff after a failure. */
export function assertNotBackingOff(entry: CertEntry, now: number): void {
  if (entry.failures === 0 || !entry.nextAttempt || Date.parse(entry.nextAttempt) <= now) return;
  throw new BackoffError(
    `certificate ${entry.name}: backing off after ${entry.failures} failed attempt(s) until ${entry.nextAttempt}` +
      `${entry.lastError ? `; last error: ${entry.lastError}` : ''}`,
  );
}

/** Order times still inside the budget window. */
export function recentOrders(entry: CertEntry, now: number, policy: RenewalPolicy): string[] {
  return entry.orders.filter((t) => now - Date.parse(t) < policy.budgetWindowMs);
}

/** Throws OrderBudgetError when another order for `entry` would exceed the budget. */
export function assertBudget(entry: CertEntry, now: number, policy: RenewalPolicy): void {
  const recent = recentOrders(entry, now, policy);
  if (recent.length < policy.budgetMaxOrders) return;
  const oldest = Math.min(...recent.map((t) => Date.parse(t)));
  const days = Math.round((policy.budgetWindowMs / 86_400_000) * 10) / 10;
  throw new OrderBudgetError(
    `certificate ${entry.name}: order budget spent: ${recent.length} orders in the last ${days} days (limit ${policy.budgetMaxOrders}); ` +
      `next order allowed after ${new Date(oldest + policy.budgetWindowMs).toISOString()}`,
  );
}

export interface RenewalSchedule {
  start(): void;
  stop(): void;
  /** Next scheduled run, or undefined when stopped. */
  nextRun(): Date | undefined;
}

/** Validates a cron expression (5 fields, or 6 with seconds); ValidationError names the setting. */
export function validateSchedule(expr: string, field = 'renewSchedule'): string {
  const check = validateCronExpression(expr);
  if (!check.valid) throw new ValidationError(field, expr, `not a cron expression (${check.error?.message ?? 'invalid'})`);
  return expr;
}

/** A cron job calling `onTick`; overlapping ticks are skipped while one still runs. */
export function createRenewalSchedule(deps: { cronTime: string; onTick: () => Promise<unknown>; logger: Logger }): RenewalSchedule {
  validateSchedule(deps.cronTime);
  let running = false;
  let job: CronJob | undefined;
  return {
    start() {
      if (job) return;
      job = CronJob.from({
        cronTime: deps.cronTime,
        start: true,
        waitForCompletion: true,
        onTick: async () => {
          if (running) return;
          running = true;
          try {
            await deps.onTick();
          } catch (err) {
            deps.logger.error({ error: (err as Error).message }, 'renewal check failed');
          } finally {
            running = false;
          }
        },
      });
    },
    stop() {
      job?.stop();
      job = undefined;
    },
    nextRun() {
      return job ? job.nextDate().toJSDate() : undefined;
    },
  };
}
