/**
 * @module Optional providers the MCP server can be given: certificates (list,
 * issue, renew) and containers (list, explain). Their tools are registered
 * only when the provider is injected, so the tool list never advertises what
 * this process cannot do.
 */

/** One certificate as the cert store sees it. */
export interface CertSummary {
  name: string;
  dnsNames: string[];
  /** ISO 8601 expiry. */
  notAfter: string;
  path: string;
  /** Valid now and served. */
  ready?: boolean;
  /** acme:<issuer> (<who asked>), file (imported or dropped in), fallback. */
  source?: string;
  /** The certificate's issuer (its Issuer DN). */
  issuer?: string;
  lastError?: string;
  /** When a backed-off order may run again. */
  nextAttempt?: string;
}

export interface CertProvider {
  list(): Promise<CertSummary[]>;
  /** Orders a certificate for `domains` (first is the subject); returns a summary of what was done. */
  issue?(input: { domains: string[]; dryRun?: boolean; force?: boolean }): Promise<{ summary: string; cert?: CertSummary }>;
  /** Renews the certificate called `name` (`force`: even when not due, past the backoff and the order budget). */
  renew?(input: { name: string; force?: boolean; dryRun?: boolean }): Promise<{ summary: string; cert?: CertSummary }>;
}

/** One container as the watcher sees it, with the reason it is or is not routed. */
export interface ContainerSummary {
  id: string;
  name: string;
  state: string;
  domains: string[];
  /** Label errors or placement problems; empty when routed. */
  problems: string[];
  /** Other news, such as tls=auto: a name covered by a wildcard certificate. */
  notes?: string[];
}

export interface ContainerProvider {
  listContainers(): Promise<ContainerSummary[]>;
  /** Everything known about one container (labels, decoded spec, servers, problems), free-form. */
  explainContainer(id: string): Promise<Record<string, unknown>>;
}
