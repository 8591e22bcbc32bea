/**
 * @module One ACME order through acme-client's auto mode with DNS-01: create
 * the TXT records, wait for our own propagation check (acme-client's own check
 * uses the system resolver, so it is skipped), and delete every record we
 * created once the whole order is over, also when it fails.
 */
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import acme from 'acme-client';
import type { Logger } from 'pino';
import { OperatorError } from '../model/errors.ts';
import type { DnsSolver, TxtRecordRef } from '../dns/types.ts';
import { challengeName } from '../dns/solver.ts';
import type { ResolvedIssuer } from './issuers.ts';

/** The ACME server refused or failed the order (or its DNS-01 part). */
export class AcmeOrderError extends OperatorError {}

export interface OrderDeps {
  issuer: ResolvedIssuer;
  accountKey: Buffer;
  dns: DnsSolver;
  logger: Logger;
  /** Extra CA (PEM) trusted for the ACME server's HTTPS, on top of the public roots (tests: Pebble's). */
  tlsCa?: string;
  /** Minimum delay of acme-client's status polling in ms (its default 5000). */
  pollMinMs?: number;
}

export interface IssuedCertificate {
  /** Leaf first, then intermediates. */
  chainPem: string;
  keyPem: string;
}

/** The ACME server could not be reached (network, TLS, timeout): no order was placed. */
export class AcmeUnreachableError extends OperatorError {}

/** Per-request timeout towards the ACME server; acme-client sets none, so a black-holed CA hung forever. */
export const ACME_REQUEST_TIMEOUT_MS = 15_000;

/**
 * acme-client's shared axios retries a request without answer 5 times over
 * 75 s and then fails with "Cannot read properties of undefined (reading
 * 'config')". Starting each request at its last retry turns that into one
 * attempt; our own backoff decides when to try again.
 */
const NO_AXIOS_RETRY = { retryAttempt: 5 };

/**
 * An https Agent that remembers the last socket error: acme-client's axios
 * replaces a network error by a TypeError, so the cause (ECONNREFUSED, a TLS
 * verification failure) is taken from the socket.
 */
class CapturingAgent extends Agent {
  lastError: Error | undefined;
  override createConnection(...args: Parameters<Agent['createConnection']>): ReturnType<Agent['createConnection']> {
    const socket = super.createConnection(...args);
    socket?.on('error', (err: Error) => (this.lastError = err));
    return socket;
  }
}

function describeNetworkError(agent: CapturingAgent, startedAt: number): string {
  const e = agent.lastError as (Error & { code?: string }) | undefined;
  if (e?.code === 'ECONNABORTED' || (!e && Date.now() - startedAt >= ACME_REQUEST_TIMEOUT_MS - 100)) return `no answer within ${ACME_REQUEST_TIMEOUT_MS} ms`;
  return e ? [e.code, e.message].filter(Boolean).join(': ') : 'the connection failed without an answer';
}

/** The account key's client; every request it makes gets our CA, a timeout and no hidden retries. */
export function makeClient(deps: Pick<OrderDeps, 'issuer' | 'accountKey' | 'tlsCa' | 'pollMinMs'>): acme.Client {
  const client = new acme.Client({
    directoryUrl: deps.issuer.directoryUrl,
    accountKey: deps.accountKey,
    ...(deps.issuer.eab ? { externalAccountBinding: deps.issuer.eab } : {}),
    backoffMin: deps.pollMinMs ?? 5000,
  });
  // acme-client shares one axios instance per process; per-request options
  // keep a private CA from leaking into every other client.
  const agent = new CapturingAgent({ ...(deps.tlsCa ? { ca: [...rootCertificates, deps.tlsCa] } : {}), keepAlive: true });
  const http = (client as unknown as { http: { request: (url: string, method: string, opts?: Record<string, unknown>) => Promise<unknown> } }).http;
  const original = http.request.bind(http);
  http.request = async (url, method, opts = {}) => {
    const startedAt = Date.now();
    agent.lastError = undefined;
    try {
      return await original(url, method, { ...opts, ...NO_AXIOS_RETRY, timeout: ACME_REQUEST_TIMEOUT_MS, httpsAgent: agent });
    } catch (err) {
      if ((err as { response?: unknown }).response !== undefined) throw err;
      throw new AcmeUnreachableError(`cannot reach the ACME server ${deps.issuer.directoryUrl} (${method.toUpperCase()} ${url}): ${describeNetworkError(agent, startedAt)}`, { cause: err });
    }
  };
  return client;
}

/**
 * Registers the account at the CA, or finds the one this key already has
 * (RFC 8555 7.3: a second newAccount with the same key answers the existing
 * account). Throws AcmeUnreachableError or the CA's refusal.
 */
export async function registerAccount(deps: Pick<OrderDeps, 'issuer' | 'accountKey' | 'tlsCa'>): Promise<string> {
  const client = makeClient(deps);
  try {
    await client.createAccount({ termsOfServiceAgreed: true, contact: [`mailto:${deps.issuer.email}`] });
  } catch (err) {
    if (err instanceof OperatorError) throw err;
    throw new AcmeOrderError(`issuer ${deps.issuer.name} (${deps.issuer.directoryUrl}): account registration refused: ${(err as Error).message}`, { cause: err });
  }
  return client.getAccountUrl();
}

/**
 * Orders a certificate for `domains` (first is the common name) with a new
 * ECDSA P-256 key. Throws AcmeOrderError naming the issuer and domains.
 * `onOrderAccepted` runs once the CA has created the order (what the budget
 * counts). TXT records are removed only after every authorization finished:
 * apex and wildcard share one record name, and removing one value while the
 * CA still validates the other made wildcard orders fail.
 */
export async function orderCertificate(deps: OrderDeps, domains: string[], hooks: { onOrderAccepted?: () => Promise<void> } = {}): Promise<IssuedCertificate> {
  const log = deps.logger;
  const client = makeClient(deps);
  const createOrder = client.createOrder.bind(client);
  client.createOrder = async (payload) => {
    const order = await createOrder(payload);
    await hooks.onOrderAccepted?.();
    return order;
  };
  const [keyPem, csr] = await acme.crypto.createCsr({ commonName: domains[0]!, altNames: domains }, await acme.crypto.createPrivateEcdsaKey('P-256'));
  const created: TxtRecordRef[] = [];

  try {
    const chain = await client.auto({
      csr,
      email: deps.issuer.email,
      termsOfServiceAgreed: true,
      challengePriority: ['dns-01'],
      skipChallengeVerification: true,
      challengeCreateFn: async (authz, challenge, keyAuthorization) => {
        if (challenge.type !== 'dns-01') throw new AcmeOrderError(`${authz.identifier.value}: the CA offered no dns-01 challenge`);
        const ref = await deps.dns.createTxt(challengeName(authz.identifier.value), keyAuthorization);
        created.push(ref);
        await deps.dns.waitForPropagation(ref);
      },
      // Removal waits for the whole order (see above): done in `finally`.
      challengeRemoveFn: async () => undefined,
    });
    return { chainPem: chain, keyPem: keyPem.toString() };
  } catch (err) {
    if (err instanceof OperatorError) throw err;
    throw new AcmeOrderError(
      `issuer ${deps.issuer.name} (${deps.issuer.directoryUrl}): order for ${domains.join(', ')} failed: ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    // Only the records this order created, by id: another order's value for the same name stays.
    for (const ref of created) {
      await deps.dns.deleteTxt(ref).catch((e: unknown) => {
        log.error({ record: ref.name, id: ref.id, error: (e as Error).message }, 'could not delete TXT record; delete it by hand');
      });
    }
  }
}
