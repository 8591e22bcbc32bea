/**
 * @module Joins the Cloudflare client and the propagation checker into the
 * DnsSolver the ACME order uses, and builds one from settings. The token is
 * re-read before each order, so a corrected token file is used without a
 * restart.
 */
import type { Logger } from 'pino';
import { createCloudflareClient, type CloudflareClient } from './cloudflare.ts';
import { loadCloudflareToken, type CredentialSources } from './credentials.ts';
import { createPropagationChecker, type PropagationChecker } from './propagation.ts';
import type { DnsSolver } from './types.ts';

/** The challenge record of a name (`*.a.test` and `a.test` share `_acme-challenge.a.test`). */
export function challengeName(domain: string): string {
  return `_acme-challenge.${domain.replace(/^\*\./, '')}`;
}

/** A DnsSolver that writes records through `provider()` and waits with `propagation`. */
export function createDns01Solver(deps: { provider: CloudflareClient | (() => CloudflareClient); propagation: PropagationChecker }): DnsSolver {
  const provider = typeof deps.provider === 'function' ? deps.provider : () => deps.provider as CloudflareClient;
  return {
    createTxt: (name, value) => provider().createTxt(name, value),
    deleteTxt: (ref) => provider().deleteTxt(ref),
    waitForPropagation: (ref) => deps.propagation.waitForTxt(ref.name, ref.value, ref.zoneName),
    async preflight(domains) {
      for (const name of new Set(domains.map(challengeName))) await provider().findZone(name);
    },
    verify: () => provider().verifyToken(),
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
  const log = opts.logger.child({ module: 'dns' });
  const build = async () => {
    const token = await loadCloudflareToken(opts.credentials);
    return { id: token.fingerprint(), client: createCloudflareClient({ token, logger: log, ...(opts.apiBaseUrl ? { apiBaseUrl: opts.apiBaseUrl } : {}) }) };
  };
  let current = await build();
  const propagation = createPropagationChecker({
    logger: log,
    ...(opts.resolvers ? { resolvers: opts.resolvers } : {}),
    ...(opts.propagationTimeoutMs ? { timeoutMs: opts.propagationTimeoutMs } : {}),
    ...(opts.propagationIntervalMs ? { intervalMs: opts.propagationIntervalMs } : {}),
  });
  const solver = createDns01Solver({ provider: () => current.client, propagation });
  return {
    ...solver,
    async refresh() {
      const next = await build();
      if (next.id !== current.id) {
        log.info({ source: opts.credentials.tokenFile ?? opts.credentials.iniFile ?? opts.credentials.envVar }, 'cloudflare token changed; using the new one');
        current = next;
      }
      return current.id;
    },
  };
}
