/**
 * @module A certificate request (a name, optionally with its wildcard) and
 * how it becomes an entry of the ACME state: validated and normalised once,
 * at the edge, so the manager and the state file only ever see clean names.
 */
import { CertRequest as CertRequestSchema, isCheckedRequest, type CertRequestInput, type NormalizedRequest } from '../model/cert-request.ts';
import { parseOrThrow } from '../model/zod-errors.ts';
import { CertEntry, type AcmeStateFile } from './state.ts';

/** What `issue` and `ensure` take: a name, optionally with its wildcard. `*.x` means x + *.x (model/cert-request.ts). */
export type CertRequest = CertRequestInput;
export type { NormalizedRequest };

/**
 * Normalises and validates a request with the zod schema every path shares;
 * errors name the field and the value. A request already checked (the API's
 * body, the MCP tool's names) is taken as it is: one validation per call.
 */
export function normalizeRequest(req: CertRequest | NormalizedRequest | string): NormalizedRequest {
  if (isCheckedRequest(req)) return req;
  return parseOrThrow(CertRequestSchema, typeof req === 'string' ? { domain: req } : req);
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
