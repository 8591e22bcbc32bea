/**
 * @module Joins the Cloudflare client and the propagation checker into the
 * DnsSolver the ACME order uses, and builds one from settings.
 */
import type { Logger } from 'pino';
import { createCloudflareClient, type CloudflareClient } from './cloudflare.ts';
import { loadCloudflareToken, type CredentialSources } from './credentials.ts';
import { createPropagationChecker, type PropagationChecker } from './propagation.ts';
import type { DnsSolver } from './types.ts';

/** A DnsSolver that writes records through `provider` and waits with `propagation`. */
export function createDns01Solver(deps: { provider: CloudflareClient; propagation: PropagationChecker }): DnsSolver {
  return {
    createTxt: (name, value) => deps.provider.createTxt(name, value),
    deleteTxt: (ref) => deps.provider.deleteTxt(ref),
    waitForPropagation: (ref) => deps.propagation.waitForTxt(ref.name, ref.value, ref.zoneName),
  };
}

export interface CloudflareSolverOptions {
  logger: Logger;
  /** Where the token comes from (ini file, token file or env var). */
  credentials: CredentialSources;
  /** Cloudflare API base URL (default https://api.cloudflare.com/client/v4). */
  apiBaseUrl?: string;
  /** Resolvers for the propagation check (`ip[:port]`); empty: the zone's authoritative NS. */
  resolvers?: string[];
  propagationTimeoutMs?: number;
  propagationIntervalMs?: number;
}

/** Reads the token and builds the Cloudflare DNS-01 solver; throws CredentialsError or ValidationError on bad settings. */
export async function createCloudflareDns01Solver(opts: CloudflareSolverOptions): Promise<DnsSolver> {
  const token = await loadCloudflareToken(opts.credentials);
  const log = opts.logger.child({ module: 'dns' });
  const provider = createCloudflareClient({ token, logger: log, ...(opts.apiBaseUrl ? { apiBaseUrl: opts.apiBaseUrl } : {}) });
  const propagation = createPropagationChecker({
    logger: log,
    ...(opts.resolvers ? { resolvers: opts.resolvers } : {}),
    ...(opts.propagationTimeoutMs ? { timeoutMs: opts.propagationTimeoutMs } : {}),
    ...(opts.propagationIntervalMs ? { intervalMs: opts.propagationIntervalMs } : {}),
  });
  return createDns01Solver({ provider, propagation });
}
