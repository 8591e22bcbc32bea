/**
 * @module A certificate request as zod: the name (lowercased, a trailing dot
 * dropped, `*.x` read as x plus its wildcard, at least two labels), the
 * wildcard flag, the renewal lead time, who asks and whether to force. The
 * HTTP API's bodies, the CLI and the ACME manager all validate with it, so
 * every path reports the same field and value.
 */
import { z } from 'zod';
import { isHostname } from './names.ts';

/** The name as written: `example.com`, `*.example.com` (its apex plus the wildcard), a trailing dot allowed. */
export const CertRequestDomain = z.string().describe('DNS name to certify, e.g. example.com; *.example.com covers example.com and *.example.com');

export const CertRequestFields = z.strictObject({
  domain: CertRequestDomain,
  wildcard: z.boolean().optional().describe('Also cover *.<domain>'),
  renewBeforeMs: z.number().int().positive().optional().describe('Renew this long (ms) before notAfter instead of a fraction of the lifetime'),
  origin: z.string().optional().describe('Who asks (tls=auto, cli, mcp, Certificate/<name>); shown as the certificate source'),
  force: z.boolean().optional().describe('Skip the backoff and the order budget (an explicit, audited decision)'),
});
export type CertRequestInput = z.input<typeof CertRequestFields>;

/** A request normalised: a clean apex name and whether its wildcard is wanted. */
export interface NormalizedRequest {
  domain: string;
  wildcard: boolean;
  renewBeforeMs?: number;
  origin?: string;
  force?: boolean;
}

export const CertRequest = CertRequestFields.transform((r, ctx): NormalizedRequest => {
  let domain = r.domain.trim().toLowerCase().replace(/\.$/, '');
  let wildcard = r.wildcard ?? false;
  if (domain.startsWith('*.')) {
    domain = domain.slice(2);
    wildcard = true;
  }
  if (!isHostname(domain) || !domain.includes('.')) {
    ctx.addIssue({ code: 'custom', path: ['domain'], message: 'not a host name with at least two labels (a wildcard is written *.example.com)' });
    return z.NEVER;
  }
  return {
    domain,
    wildcard,
    ...(r.renewBeforeMs !== undefined ? { renewBeforeMs: r.renewBeforeMs } : {}),
    ...(r.origin ? { origin: r.origin } : {}),
    ...(r.force ? { force: true } : {}),
  };
});
