/**
 * @module Adapters between the resources and the ACME module, typed by shape
 * only (resources/ does not import acme/): an Issuer becomes the ACME
 * module's issuer spec plus its Cloudflare token reference, and a
 * CertificateManager runs the ACME manager's ensure() in the background
 * (issuance takes minutes) and reports each outcome when it lands.
 */
import type { Logger } from 'pino';
import type { CertificateSpec, IssuerResource, SecretRef } from '../model/resources.ts';
import type { CertificateManager, CertificateRequest } from './acme-contract.ts';
import type { ResourceReport } from './status.ts';

/** The ACME module's issuer input (src/acme/issuers.ts IssuerSpec). */
export interface AcmeIssuerSpec {
  name: string;
  directory: string;
  email: string;
  eab?: { keyId: string; hmacKeyFile: string };
}

/** An Issuer resource as the ACME module's issuer spec and the token reference for the DNS solver. */
export function issuerToAcme(issuer: IssuerResource): { spec: AcmeIssuerSpec; apiTokenRef: SecretRef } {
  const acme = issuer.spec.acme;
  const spec: AcmeIssuerSpec = { name: issuer.metadata.name, directory: acme.server, email: acme.email };
  if (acme.externalAccountBinding) spec.eab = { keyId: acme.externalAccountBinding.keyID, hmacKeyFile: acme.externalAccountBinding.hmacKeyRef.file };
  return { spec, apiTokenRef: acme.solver.dns01.cloudflare.apiTokenRef };
}

/** The ACME module's certificate request: one name, optionally with its wildcard. */
export interface AcmeCertRequest {
  domain: string;
  wildcard?: boolean;
  renewBeforeMs?: number;
  origin?: string;
}

/**
 * Maps dnsNames to the ACME module's model (a name plus optionally `*.name`);
 * any other combination is an error message.
 */
export function toAcmeRequest(dnsNames: CertificateSpec['dnsNames'], renewBeforeMs?: number): AcmeCertRequest | { error: string } {
  const bases = new Set(dnsNames.map((n) => (n.startsWith('*.') ? n.slice(2) : n)));
  if (bases.size !== 1) return { error: `dnsNames ${JSON.stringify(dnsNames)}: one certificate covers one name and optionally its wildcard (*.name)` };
  const [domain] = bases as Set<string>;
  const req: AcmeCertRequest = { domain: domain!, wildcard: dnsNames.some((n) => n.startsWith('*.')) };
  if (renewBeforeMs !== undefined) req.renewBeforeMs = renewBeforeMs;
  return req;
}

/** The part of the ACME module's CertManager the bridge uses. */
export interface AcmeCertManagerLike {
  ensure(
    names: AcmeCertRequest[],
  ): Promise<
    Array<{ name: string; status: { ready: boolean; notAfter?: string; lastError?: string; domains?: string[]; issuer?: string; source?: string } } | { name: string; error: string }>
  >;
}

type AcmeResult = Awaited<ReturnType<AcmeCertManagerLike['ensure']>>[number];

/** One ensure() result as a Ready report for the Certificate `name`. */
export function resultToReport(name: string, result: AcmeResult | undefined): ResourceReport {
  if (!result) return { name, status: 'False', reason: 'IssueFailed', message: 'the ACME module returned no result' };
  if ('error' in result) return { name, status: 'False', reason: /backing off|order budget spent/.test(result.error) ? 'BackingOff' : 'IssueFailed', message: result.error };
  if (result.status.ready) {
    const st = result.status;
    const what = [st.domains?.length ? `for ${st.domains.join(', ')}` : '', st.issuer ? `by ${st.issuer}` : '', st.source ? `(${st.source})` : ''].filter(Boolean).join(' ');
    return { name, status: 'True', reason: 'Issued', message: `issued${what ? ` ${what}` : ''}; valid until ${st.notAfter ?? 'unknown'}` };
  }
  return { name, status: 'False', reason: 'NotReady', message: result.status.lastError ?? 'not issued yet' };
}

export interface AcmeBridgeDeps {
  /** The ACME manager serving an Issuer, or undefined when that Issuer is not usable (yet). */
  managerFor(issuerName: string): AcmeCertManagerLike | undefined;
  /** Why the Issuer is not Ready (Cloudflare's or the CA's answer), when known. */
  problemFor?(issuerName: string): string | undefined;
  logger: Logger;
}

/**
 * A CertificateManager over per-issuer ACME managers. ensure() returns at
 * once with the last known outcome of each certificate (Issuing the first
 * time); one background run per certificate at a time; each finished run
 * is reported through the controller's callback.
 */
export function createAcmeCertificateBridge(deps: AcmeBridgeDeps): CertificateManager {
  const inFlight = new Set<string>();
  const last = new Map<string, ResourceReport>();
  return {
    async ensure(certs: CertificateRequest[], report: (r: ResourceReport) => void): Promise<ResourceReport[]> {
      const out: ResourceReport[] = [];
      for (const cert of certs) {
        const req = toAcmeRequest(cert.dnsNames, cert.renewBeforeMs);
        if ('error' in req) {
          out.push({ name: cert.name, status: 'False', reason: 'UnsupportedDnsNames', message: req.error });
          continue;
        }
        const manager = deps.managerFor(cert.issuerName);
        if (!manager) {
          const why = deps.problemFor?.(cert.issuerName);
          out.push({ name: cert.name, status: 'False', reason: 'IssuerNotReady', message: `Issuer ${cert.issuerName} is not ready: ${why ?? 'its ACME account is not registered yet'}` });
          continue;
        }
        out.push(last.get(cert.name) ?? { name: cert.name, status: 'Unknown', reason: 'Issuing', message: `ordering a certificate for ${cert.dnsNames.join(', ')}` });
        if (inFlight.has(cert.name)) continue;
        inFlight.add(cert.name);
        manager
          .ensure([{ ...req, origin: `Certificate/${cert.name}` }])
          .then(
            (results) => resultToReport(cert.name, results[0]),
            (err: unknown) => ({ name: cert.name, status: 'False' as const, reason: 'IssueFailed', message: (err as Error).message }),
          )
          .then((r) => {
            last.set(cert.name, r);
            report(r);
          })
          .catch((err: unknown) => deps.logger.warn({ err, certificate: cert.name }, 'certificate report failed'))
          .finally(() => inFlight.delete(cert.name));
      }
      for (const name of [...last.keys()]) if (!certs.some((c) => c.name === name)) last.delete(name);
      return out;
    },
  };
}
