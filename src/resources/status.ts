/**
 * @module Pure rules that turn what happened during a reconcile (servers the
 * operations layer rejected, HAProxy's health, the ACME module's reports)
 * into each resource's Ready condition. No I/O and no clock: the controller
 * passes results in and applies the outcome with setCondition.
 */
import type { ConditionInput, ConditionStatus } from '../model/conditions.ts';
import type { DomainResource } from '../model/resources.ts';
import type { ServerHealth, SourceServer } from '../operations/types.ts';
import { holdTextMs } from '../model/hold.ts';
import { routeKey } from '../model/route-key.ts';

/** The provenance of every server a Domain contributes. */
export function domainSource(name: string): SourceServer['source'] {
  return `manifest:Domain/${name}`;
}

/** One SourceServer per host x server, with the defaults manifests leave out. */
export function domainServers(domain: DomainResource): SourceServer[] {
  const out: SourceServer[] = [];
  for (const host of domain.spec.hosts) {
    for (const s of domain.spec.servers) {
      const server: SourceServer = {
        source: domainSource(domain.metadata.name),
        domain: routeKey(host, domain.spec.path),
        family: s.family ?? 'http',
        address: s.address,
        port: s.port,
        state: s.state ?? 'ready',
      };
      if (s.weight !== undefined) server.weight = s.weight;
      if (s.check !== undefined) server.check = s.check;
      if (domain.spec.hold !== undefined) server.hold = holdTextMs(domain.spec.hold);
      if (domain.spec.rules !== undefined) server.rules = domain.spec.rules;
      out.push(server);
    }
  }
  return out;
}

/** Maps the operations layer's rejection text to a condition reason. */
export function rejectionReason(reason: string): string {
  if (/no free pool/i.test(reason)) return 'NoFreePool';
  if (/full/i.test(reason)) return 'PoolFull';
  return 'ServerRejected';
}

/** HAProxy statuses that mean the server takes new requests ("UP 1/3" is going down but still up). */
export function isServing(status: string): boolean {
  return /^UP\b/.test(status) || status === 'no check' || status === 'OPEN';
}

/** What the controller learned about one host of a Domain. */
export interface HostHealth {
  host: string;
  servers?: ServerHealth[];
  /** Set when the health query failed. */
  error?: string;
}

function describe(h: ServerHealth): string {
  const check = h.checkStatus ? ` ${h.checkStatus}` : '';
  return `${h.address}:${h.port} (${h.name}) ${h.status}${check}`;
}

function sameServer(h: ServerHealth, s: SourceServer): boolean {
  return h.address === s.address && h.port === s.port && h.family === s.family;
}

/**
 * The Ready condition of a Domain: False/NoFreePool or PoolFull when servers
 * were rejected, False/ServersDown naming the down servers when some host has
 * no serving server, Unknown when health could not be read, else True.
 */
export function domainReady(
  domain: DomainResource,
  generation: number,
  input: { rejected: Array<{ server: SourceServer; reason: string }>; health: HostHealth[] },
): ConditionInput {
  const base = { type: 'Ready', observedGeneration: generation };
  if (input.rejected.length > 0) {
    const first = input.rejected[0]!;
    const more = input.rejected.length > 1 ? ` (and ${input.rejected.length - 1} more server(s))` : '';
    return { ...base, status: 'False', reason: rejectionReason(first.reason), message: `${first.reason}${more}` };
  }
  const wanted = domainServers(domain);
  const failed = input.health.filter((h) => h.error !== undefined);
  if (failed.length > 0) {
    return { ...base, status: 'Unknown', reason: 'HealthUnknown', message: failed.map((h) => `${h.host}: ${h.error}`).join('; ') };
  }
  const downHosts: string[] = [];
  const downServers: string[] = [];
  let serving = 0;
  let total = 0;
  for (const h of input.health) {
    const mine = (h.servers ?? []).filter((sh) => wanted.some((w) => w.domain === h.host && sameServer(sh, w)));
    const up = mine.filter((sh) => isServing(sh.status));
    total += mine.length;
    serving += up.length;
    for (const sh of mine) if (!isServing(sh.status)) downServers.push(`${h.host} ${describe(sh)}`);
    if (up.length === 0) downHosts.push(h.host);
  }
  if (downHosts.length > 0) {
    const detail = downServers.length > 0 ? downServers.join('; ') : 'no server found in HAProxy';
    return { ...base, status: 'False', reason: 'ServersDown', message: `no server up for ${downHosts.join(', ')}: ${detail}` };
  }
  const partial = downServers.length > 0 ? `; down: ${downServers.join('; ')}` : '';
  return { ...base, status: 'True', reason: 'ServersUp', message: `${serving}/${total} servers up${partial}` };
}

/** A report from the ACME module or the issuer registry about one resource. */
export interface ResourceReport {
  name: string;
  status: ConditionStatus;
  /** CamelCase, for example Issued, WaitingForDNSPropagation, OrderFailed. */
  reason: string;
  message: string;
}

/** True when one of `dnsNames` covers `host`: the same name, or a one-label wildcard (`*.a.test` covers x.a.test, not a.test nor y.x.a.test). */
export function coversHost(dnsNames: readonly string[], host: string): boolean {
  const h = host.toLowerCase();
  return dnsNames.some((d) => {
    const n = d.toLowerCase();
    if (n === h) return true;
    if (!n.startsWith('*.') || !h.endsWith(n.slice(1))) return false;
    const label = h.slice(0, h.length - n.length + 1);
    return label.length > 0 && !label.includes('.');
  });
}

/** The hosts of a Domain that a certificate with `dnsNames` does not cover. */
export function uncoveredHosts(hosts: readonly string[], dnsNames: readonly string[]): string[] {
  return hosts.filter((h) => !coversHost(dnsNames, h));
}

/** A Domain whose Certificate does not cover all its hosts is not Ready: browsers would refuse those hosts. */
export function domainNotCovered(certName: string, generation: number, uncovered: readonly string[]): ConditionInput {
  return {
    type: 'Ready',
    status: 'False',
    reason: 'CertificateDoesNotCoverHost',
    message: `Certificate ${certName} does not cover ${uncovered.join(', ')}; add them to its dnsNames (a wildcard covers one label)`,
    observedGeneration: generation,
  };
}

/** The CertificateReady condition of a Domain with tls: mirrors its Certificate's Ready, False when it misses a host. */
export function domainCertificateReady(
  certName: string,
  generation: number,
  cert: { exists: boolean; ready?: { status: ConditionStatus; reason: string; message: string }; uncovered?: readonly string[] },
): ConditionInput {
  const base = { type: 'CertificateReady', observedGeneration: generation };
  if (!cert.exists) return { ...base, status: 'False', reason: 'CertificateNotFound', message: `Certificate ${certName} does not exist` };
  if (cert.uncovered?.length) return { ...base, status: 'False', reason: 'HostNotCovered', message: `Certificate ${certName} does not cover ${cert.uncovered.join(', ')}` };
  if (!cert.ready) return { ...base, status: 'Unknown', reason: 'Pending', message: `Certificate ${certName} has no status yet` };
  return { ...base, status: cert.ready.status, reason: cert.ready.reason, message: `Certificate ${certName}: ${cert.ready.message}` };
}
