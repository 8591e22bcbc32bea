/**
 * @module Optional providers the MCP server can be given: certificates (list,
 * issue, renew) and containers (list, explain), with their inputs and
 * outputs as zod schemas (the tools in tools-extensions.ts derive from them).
 * Their tools are registered only when the provider is injected, so the tool
 * list never advertises what this process cannot do.
 */
import { z } from 'zod';
import { CERT_NAME_PROBLEM, certName } from '../model/cert-request.ts';
import { DryRunArg } from '../model/operations.ts';

/** One certificate as the cert store sees it. */
export const CertSummary = z.object({
  name: z.string(),
  dnsNames: z.array(z.string()),
  /** ISO 8601 expiry. */
  notAfter: z.string(),
  path: z.string(),
  /** Valid now and served. */
  ready: z.boolean().optional(),
  source: z.string().optional().describe('acme:<issuer> (who asked), file (imported or dropped in the cert directory), fallback'),
  /** The certificate's issuer (its Issuer DN). */
  issuer: z.string().optional(),
  lastError: z.string().optional(),
  /** When a backed-off order may run again. */
  nextAttempt: z.string().optional(),
});
export type CertSummary = z.infer<typeof CertSummary>;

/** What an issue or renew did (the tool adds dryRun). */
export const CertChange = z.object({ summary: z.string(), cert: CertSummary.optional() });
export type CertChange = z.infer<typeof CertChange>;

const Force = z.boolean().default(false).describe('Order even inside the backoff after failures or past the order budget (recorded in the audit log)');

/** A DNS name a certificate may cover: a host name of two labels or more, or its one-label wildcard (the manager's rule, `certName`). */
export const CertDomain = z
  .string()
  .trim()
  .toLowerCase()
  .overwrite((v) => v.replace(/\.$/, ''))
  .refine((v) => certName(v) !== undefined, { message: CERT_NAME_PROBLEM })
  .describe('DNS name, e.g. example.com or *.example.com');

const CertName = z
  .string()
  .regex(/^[A-Za-z0-9*][A-Za-z0-9*._-]{0,252}$/, { message: 'not a certificate name (as listed by haproxy_list_certs)' })
  .describe('Certificate name as listed by haproxy_list_certs');

/** Orders a certificate for `domains` (the first is the subject). */
export const CertIssueArgs = z.object({
  domains: z
    .array(CertDomain)
    .min(1)
    .max(100)
    .superRefine(oneNameAndItsWildcard)
    .describe('Names to cover: one name, its wildcard, or both (example.com, *.example.com)'),
  force: Force,
  dryRun: DryRunArg,
});

/** The name a certificate is ordered for: the first plain name, else the first wildcard's base. */
export function certApex(domains: readonly string[]): string {
  return domains.find((d) => !d.startsWith('*.')) ?? domains[0]!.slice(2);
}

/**
 * A managed certificate covers one name and optionally its wildcard; any
 * other name was silently left out of the order before, so it is refused
 * with its index and the way to get it.
 */
function oneNameAndItsWildcard(domains: string[], ctx: z.RefinementCtx): void {
  if (domains.length === 0) return;
  const apex = certApex(domains);
  domains.forEach((d, i) => {
    if (d !== apex && d !== `*.${apex}`) {
      ctx.addIssue({ code: 'custom', path: [i], input: d, message: `a certificate covers one name and its wildcard (${apex}, *.${apex}); order ${d} as its own certificate` });
    }
  });
}
/** Renews the certificate called `name` (`force`: even when not due, past the backoff and the order budget). */
export const CertRenewArgs = z.object({
  name: CertName,
  force: Force.describe('Renew even when not due, inside the backoff or past the order budget (recorded in the audit log)'),
  dryRun: DryRunArg,
});

/** Input types (defaults optional): the tools pass their parsed arguments, other callers may leave force and dryRun out. */
export interface CertProvider {
  list(): Promise<CertSummary[]>;
  issue?(args: z.input<typeof CertIssueArgs>): Promise<CertChange>;
  renew?(args: z.input<typeof CertRenewArgs>): Promise<CertChange>;
}

/** One container as the watcher sees it, with the reason it is or is not routed. */
export const ContainerSummary = z.object({
  id: z.string(),
  name: z.string(),
  state: z.string(),
  domains: z.array(z.string()),
  /** Label errors or placement problems; empty when routed. */
  problems: z.array(z.string()),
  /** Other news, such as tls=auto: a name covered by a wildcard certificate. */
  notes: z.array(z.string()).optional(),
});
export type ContainerSummary = z.infer<typeof ContainerSummary>;

export interface ContainerProvider {
  listContainers(): Promise<ContainerSummary[]>;
  /** Everything known about one container (labels, decoded spec, servers, problems), free-form. */
  explainContainer(id: string): Promise<Record<string, unknown>>;
}
