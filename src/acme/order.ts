/**
 * @module One ACME order through acme-client's auto mode with DNS-01: create
 * the TXT records, wait for our own propagation check (acme-client's own check
 * uses the system resolver, so it is skipped), and delete every record we
 * created afterwards, also when the order fails.
 */
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import acme from 'acme-client';
import type { Logger } from 'pino';
import { OperatorError } from '../model/errors.ts';
import type { DnsSolver, TxtRecordRef } from '../dns/types.ts';
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

/** The account key's client with our CA agent attached to every request it makes. */
function makeClient(deps: OrderDeps): acme.Client {
  const client = new acme.Client({
    directoryUrl: deps.issuer.directoryUrl,
    accountKey: deps.accountKey,
    ...(deps.issuer.eab ? { externalAccountBinding: deps.issuer.eab } : {}),
    backoffMin: deps.pollMinMs ?? 5000,
  });
  if (deps.tlsCa) {
    // acme-client shares one axios instance per process; a per-client agent
    // keeps a test CA from leaking into every other client.
    const agent = new Agent({ ca: [...rootCertificates, deps.tlsCa], keepAlive: true });
    const http = (client as unknown as { http: { request: (url: string, method: string, opts?: Record<string, unknown>) => Promise<unknown> } }).http;
    const original = http.request.bind(http);
    http.request = (url, method, opts = {}) => original(url, method, { ...opts, httpsAgent: agent });
  }
  return client;
}

/**
 * Orders a certificate for `domains` (first is the common name) with a new
 * ECDSA P-256 key. Throws AcmeOrderError naming the issuer and domains; every
 * TXT record created is deleted before this returns or throws.
 */
export async function orderCertificate(deps: OrderDeps, domains: string[]): Promise<IssuedCertificate> {
  const log = deps.logger;
  const client = makeClient(deps);
  const [keyPem, csr] = await acme.crypto.createCsr({ commonName: domains[0]!, altNames: domains }, await acme.crypto.createPrivateEcdsaKey('P-256'));
  const created = new Map<string, TxtRecordRef>();
  const keyOf = (authz: { identifier: { value: string } }, keyAuth: string) => `${authz.identifier.value}|${keyAuth}`;

  async function remove(key: string): Promise<void> {
    const ref = created.get(key);
    if (!ref) return;
    await deps.dns.deleteTxt(ref);
    created.delete(key);
  }

  try {
    const chain = await client.auto({
      csr,
      email: deps.issuer.email,
      termsOfServiceAgreed: true,
      challengePriority: ['dns-01'],
      skipChallengeVerification: true,
      challengeCreateFn: async (authz, challenge, keyAuthorization) => {
        if (challenge.type !== 'dns-01') throw new AcmeOrderError(`${authz.identifier.value}: the CA offered no dns-01 challenge`);
        const name = `_acme-challenge.${authz.identifier.value.replace(/^\*\./, '')}`;
        const ref = await deps.dns.createTxt(name, keyAuthorization);
        created.set(keyOf(authz, keyAuthorization), ref);
        await deps.dns.waitForPropagation(ref);
      },
      challengeRemoveFn: async (authz, _challenge, keyAuthorization) => {
        await remove(keyOf(authz, keyAuthorization));
      },
    });
    return { chainPem: chain, keyPem: keyPem.toString() };
  } catch (err) {
    if (err instanceof OperatorError) throw err;
    throw new AcmeOrderError(
      `issuer ${deps.issuer.name} (${deps.issuer.directoryUrl}): order for ${domains.join(', ')} failed: ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    // acme-client swallows errors of challengeRemoveFn; retry what is left once more so no record lingers.
    for (const key of [...created.keys()]) {
      await remove(key).catch((e: unknown) => {
        log.error({ record: created.get(key)?.name, id: created.get(key)?.id, error: (e as Error).message }, 'could not delete TXT record; delete it by hand');
      });
    }
  }
}
