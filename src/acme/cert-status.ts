/**
 * @module What the certificate manager reports: a certificate's status (for
 * list, the CLI, MCP, /metrics and the status page), the result of an issue
 * or renew, and one line of a renewal check. Kept apart from the manager so
 * readers of a status need not import the ordering machinery.
 */
import { pemPath } from './pem-output.ts';
import { recentOrders, renewAtMs, type RenewalPolicy } from './renewal.ts';
import type { CertEntry } from './state.ts';

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

export const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The status of one state entry at time `now`. Ready needs a live notAfter and
 * a finished hot-load: a PEM on disk that HAProxy does not serve is not ready.
 */
export function certStatus(e: CertEntry, ctx: { certDir: string; issuerName: string; policy: RenewalPolicy; now: number }): CertStatus {
  const at = renewAtMs(e, ctx.policy);
  return {
    name: e.name,
    domains: e.domains,
    wildcard: e.wildcard,
    path: pemPath(ctx.certDir, e.name),
    ready: !!e.notAfter && Date.parse(e.notAfter) > ctx.now && !e.hotloadPending,
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
    ordersInWindow: recentOrders(e, ctx.now, ctx.policy).length,
    source: `acme:${ctx.issuerName}${e.origin ? ` (${e.origin})` : ''}`,
    managed: true,
  };
}
