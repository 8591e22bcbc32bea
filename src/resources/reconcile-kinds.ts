/**
 * @module The steps of one resources reconcile, one per kind, in the order
 * the controller runs them: Domains (routing first: it must not wait for
 * certificate work), Issuers, Certificates, then each Domain's
 * CertificateReady from its Certificate. Each step calls its part (the
 * operations layer, the ACME module) and sets conditions on the pass; a
 * failing part becomes a False condition, never an exception.
 */
import type { Logger } from 'pino';
import { getCondition, type ConditionInput } from '../model/conditions.ts';
import { parseDuration, resourceKey, type CertificateResource, type DomainResource, type IssuerResource, type Resource } from '../model/resources.ts';
import type { Operations, SyncResult } from '../operations/types.ts';
import type { CertificateManager, CertificateRequest, IssuerRegistry } from './acme-contract.ts';
import { keyOf } from './effective.ts';
import { domainCertificateReady, domainNotCovered, domainReady, domainServers, domainSource, uncoveredHosts, type HostHealth, type ResourceReport } from './status.ts';
import type { StatusEntry } from './status-store.ts';

/** The status entries a reconcile computes, and how a condition is set on one. */
export interface Pass {
  next: Map<string, StatusEntry>;
  set(key: string, cond: ConditionInput): void;
}

type Outcome<T> = { value?: T; error?: string };

async function callSafely<T>(log: Logger, what: string, fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { value: await fn() };
  } catch (err) {
    log.warn({ err }, `${what} failed`);
    return { error: (err as Error).message };
  }
}

/** The Ready condition from a part's report, else the one `report()` pushed for this generation, else `absent`. */
function fromReport(report: ResourceReport | undefined, entry: StatusEntry, absent: ConditionInput): ConditionInput {
  if (report) return { type: 'Ready', status: report.status, reason: report.reason, message: report.message, observedGeneration: entry.generation };
  // A report pushed through report() for this generation stays until a newer one arrives.
  const kept = getCondition(entry.conditions, 'Ready');
  if (kept && kept.observedGeneration === entry.generation && kept.reason !== absent.reason) return kept;
  return absent;
}

/** The hosts of `d` its Certificate resource does not cover (none when that Certificate is absent). */
export function uncoveredOf(d: DomainResource, resourceOf: (key: string) => Resource | undefined): string[] {
  const ref = d.spec.tls?.certificateRef.name;
  const cert = ref ? resourceOf(resourceKey('Certificate', ref)) : undefined;
  return cert?.kind === 'Certificate' ? uncoveredHosts(d.spec.hosts, cert.spec.dnsNames) : [];
}

/** Hands every Domain's servers to the operations layer in one sync, then sets each Domain's Ready from rejections and health. */
export async function reconcileDomains(pass: Pass, domains: DomainResource[], ops: Pick<Operations, 'syncSource' | 'health'>, log: Logger): Promise<Outcome<SyncResult>> {
  const syncCall = await callSafely(log, 'manifest server sync', () => ops.syncSource('manifest', domains.flatMap(domainServers)));
  // Domains often share hosts' health queries within one pass: ask once per host.
  const healthCache = new Map<string, Promise<HostHealth>>();
  const healthOf = (host: string): Promise<HostHealth> => {
    let h = healthCache.get(host);
    if (!h) {
      h = ops.health(host).then(
        (list) => ({ host, servers: list }),
        (err: unknown) => ({ host, error: (err as Error).message }),
      );
      healthCache.set(host, h);
    }
    return h;
  };
  for (const d of domains) {
    const key = keyOf(d);
    const gen = pass.next.get(key)!.generation;
    if (syncCall.error !== undefined) {
      pass.set(key, { type: 'Ready', status: 'False', reason: 'SyncFailed', message: syncCall.error, observedGeneration: gen });
    } else {
      const rejected = syncCall.value!.rejected.filter((r) => r.server.source === domainSource(d.metadata.name));
      const health = rejected.length > 0 ? [] : await Promise.all(d.spec.hosts.map(healthOf));
      pass.set(key, domainReady(d, gen, { rejected, health }));
    }
  }
  return syncCall;
}

/** Syncs the issuer registry with the Issuer resources and sets each one's Ready. */
export async function reconcileIssuers(pass: Pass, issuers: IssuerResource[], registry: IssuerRegistry | undefined, push: (r: ResourceReport) => void, log: Logger): Promise<void> {
  const issuerCall = registry ? await callSafely(log, 'issuer registry sync', () => registry.sync(issuers, push)) : undefined;
  for (const i of issuers) {
    const key = keyOf(i);
    const entry = pass.next.get(key)!;
    const gen = entry.generation;
    if (!registry) pass.set(key, { type: 'Ready', status: 'Unknown', reason: 'NoIssuerRegistry', message: 'this operator runs without the ACME module', observedGeneration: gen });
    else if (issuerCall?.error) pass.set(key, { type: 'Ready', status: 'False', reason: 'RegistryError', message: issuerCall.error, observedGeneration: gen });
    else {
      const report = (issuerCall?.value ?? undefined)?.find((r) => r.name === i.metadata.name);
      pass.set(key, fromReport(report, entry, { type: 'Ready', status: 'True', reason: 'Registered', message: `ACME account for ${i.spec.acme.email}`, observedGeneration: gen }));
    }
  }
}

/** Asks the ACME module to keep every Certificate whose Issuer exists issued, and sets each one's Ready. */
export async function reconcileCertificates(
  pass: Pass,
  certs: CertificateResource[],
  issuerNames: Set<string>,
  manager: CertificateManager | undefined,
  push: (r: ResourceReport) => void,
  log: Logger,
): Promise<void> {
  const requests: CertificateRequest[] = [];
  for (const c of certs) {
    const gen = pass.next.get(keyOf(c))!.generation;
    if (!issuerNames.has(c.spec.issuerRef.name)) {
      pass.set(keyOf(c), { type: 'Ready', status: 'False', reason: 'IssuerNotFound', message: `Issuer ${c.spec.issuerRef.name} does not exist`, observedGeneration: gen });
      continue;
    }
    requests.push({ name: c.metadata.name, dnsNames: c.spec.dnsNames, issuerName: c.spec.issuerRef.name, renewBeforeMs: parseDuration(c.spec.renewBefore ?? '720h'), generation: gen });
  }
  const certCall = manager ? await callSafely(log, 'certificate ensure', () => manager.ensure(requests, push)) : undefined;
  for (const req of requests) {
    const key = resourceKey('Certificate', req.name);
    const entry = pass.next.get(key)!;
    if (!manager) pass.set(key, { type: 'Ready', status: 'Unknown', reason: 'NoCertificateManager', message: 'this operator runs without the ACME module', observedGeneration: req.generation });
    else if (certCall?.error) pass.set(key, { type: 'Ready', status: 'False', reason: 'EnsureFailed', message: certCall.error, observedGeneration: req.generation });
    else {
      const report = (certCall?.value ?? undefined)?.find((r) => r.name === req.name);
      pass.set(key, fromReport(report, entry, { type: 'Ready', status: 'Unknown', reason: 'Pending', message: 'waiting for the certificate to be issued', observedGeneration: req.generation }));
    }
  }
}

/** A Domain's CertificateReady mirrors its Certificate's Ready; a Domain without TLS has none. */
export function mirrorCertificateReady(pass: Pass, domains: DomainResource[], resourceOf: (key: string) => Resource | undefined): void {
  for (const d of domains) {
    const key = keyOf(d);
    const entry = pass.next.get(key)!;
    const ref = d.spec.tls?.certificateRef.name;
    if (ref) {
      const certEntry = pass.next.get(resourceKey('Certificate', ref));
      const uncovered = uncoveredOf(d, resourceOf);
      pass.set(key, domainCertificateReady(ref, entry.generation, { exists: certEntry !== undefined, ready: certEntry && getCondition(certEntry.conditions, 'Ready'), uncovered }));
      if (uncovered.length > 0) pass.set(key, domainNotCovered(ref, entry.generation, uncovered));
    } else entry.conditions = entry.conditions.filter((c) => c.type !== 'CertificateReady');
  }
}
