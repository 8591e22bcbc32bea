/**
 * @module A certificate request (a name, optionally with its wildcard) and
 * how it becomes an entry of the ACME state: validated and normalised once,
 * at the edge, so the manager and the state file only ever see clean names.
 */
import { ValidationError } from '../model/errors.ts';
import { isHostname } from '../model/names.ts';
import { CertEntry, type AcmeStateFile } from './state.ts';

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

export type NormalizedRequest = { domain: string; wildcard: boolean; renewBeforeMs?: number; origin?: string; force?: boolean };

/** Normalises a request: lowercases, turns `*.x` into x + wildcard, validates the name. */
export function normalizeRequest(req: CertRequest | string): NormalizedRequest {
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

/** The state entry for a request: the existing one updated, or a new one added to `s`. */
export function entryFor(s: AcmeStateFile, req: NormalizedRequest): CertEntry {
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
