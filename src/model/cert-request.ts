/**
 * @module A certificate request as zod: the name (lowercased, a trailing dot
 * dropped, `*.x` read as x plus its wildcard, at least two labels), the
 * wildcard flag, the renewal lead time, who asks and whether to force. The
 * HTTP API's bodies, the MCP tools, the CLI and the ACME manager all check
 * names with `certName`, so every path reports the same field and value.
 *
 * One validation per call: a request that came out of a parse here is
 * marked, and the manager takes a marked request as it is instead of
 * parsing it again.
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

export const CERT_NAME_PROBLEM = 'not a host name with at least two labels (a wildcard is written *.example.com)';

/** A name as written, read as its apex and whether it asked for the wildcard; undefined when it is no certificate name. */
export function certName(written: string): { domain: string; wildcard: boolean } | undefined {
  let domain = written.trim().toLowerCase().replace(/\.$/, '');
  const wildcard = domain.startsWith('*.');
  if (wildcard) domain = domain.slice(2);
  return isHostname(domain) && domain.includes('.') ? { domain, wildcard } : undefined;
}

const checked = new WeakSet<NormalizedRequest>();

/** Whether `r` came out of a parse here (or `checkedRequest`, `withOrigin`): its one validation is done. */
export function isCheckedRequest(r: unknown): r is NormalizedRequest {
  return typeof r === 'object' && r !== null && checked.has(r as NormalizedRequest);
}

function mark(r: NormalizedRequest): NormalizedRequest {
  checked.add(r);
  return r;
}

/**
 * A checked request from names already checked by `certName` (the MCP
 * tool's), with who asks and whether to force: both are free of rules
 * (any text, a flag), so the result needs no second parse.
 */
export function checkedRequest(name: { domain: string; wildcard: boolean }, extra: { origin?: string; force?: boolean } = {}): NormalizedRequest {
  return mark({ domain: name.domain, wildcard: name.wildcard, ...(extra.origin ? { origin: extra.origin } : {}), ...(extra.force ? { force: true } : {}) });
}

/** A checked request with who asks added where it said nothing. */
export function withOrigin(r: NormalizedRequest, origin: string): NormalizedRequest {
  return r.origin ? r : mark({ ...r, origin });
}

function normalize(r: Partial<z.output<typeof CertRequestFields>> & { domain: string }, ctx: z.RefinementCtx): NormalizedRequest {
  const name = certName(r.domain);
  if (!name) {
    ctx.addIssue({ code: 'custom', path: ['domain'], message: CERT_NAME_PROBLEM });
    return z.NEVER;
  }
  return mark({
    domain: name.domain,
    wildcard: name.wildcard || (r.wildcard ?? false),
    ...(r.renewBeforeMs !== undefined ? { renewBeforeMs: r.renewBeforeMs } : {}),
    ...(r.origin ? { origin: r.origin } : {}),
    ...(r.force ? { force: true } : {}),
  });
}

export const CertRequest = CertRequestFields.transform(normalize);
/** POST certs/issue's body: a name and its wildcard. */
export const CertIssueRequest = CertRequestFields.pick({ domain: true, wildcard: true }).transform(normalize);
/** POST certs/renew's body: a name and whether to force. */
export const CertRenewRequest = CertRequestFields.pick({ domain: true, force: true }).transform(normalize);
