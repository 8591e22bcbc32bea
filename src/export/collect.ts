/**
 * @module The operator's side of the export: reads (never changes) the
 * domains, the watcher's containers, the certificate lists, the Certificate
 * and Issuer resources and, when asked, each container's workload from
 * Podman, into one ExportSnapshot. Every part is optional: an operator
 * without Podman or ACME exports what it has.
 */
import type { ContainerReport } from '../podman/report.ts';
import type { Operations } from '../operations/types.ts';
import type { CertificateSpec, IssuerSpec } from '../model/resources.ts';
import type { CertStatus } from '../acme/manager.ts';
import type { ExportContainer, ExportSettingsIssuer, ExportSnapshot, ExportWorkload } from './snapshot.ts';

export interface SnapshotDeps {
  mode: string;
  ops: Pick<Operations, 'listDomains'>;
  containers?: { list(): ContainerReport[]; generateKube(id: string): Promise<string> };
  /** The certificate inventory (what `cert list` shows): managers' certificates and other PEMs. */
  certs: { list(): Promise<CertStatus[]> };
  settingsIssuer?: ExportSettingsIssuer;
  resources?: { list(kind: 'Certificate' | 'Issuer'): Array<{ metadata: { name: string }; spec: unknown }> };
}

function exportContainer(c: ContainerReport): ExportContainer | undefined {
  if (!c.config) return undefined;
  return {
    id: c.id,
    name: c.name,
    running: c.running,
    status: c.status,
    domains: c.config.domains,
    port: c.config.port,
    ...(c.config.weight !== undefined ? { weight: c.config.weight } : {}),
    ...(c.config.check ? { check: c.config.check } : {}),
    addressMode: c.config.address,
    ...(c.address ? { address: { address: c.address.address, port: c.address.port } } : {}),
  };
}

/** The managed certificate's DNS names as the manager orders them. */
function managedNames(c: CertStatus): string[] {
  if (c.domains.length > 0) return c.domains;
  return c.wildcard ? [c.name, `*.${c.name}`] : [c.name];
}

/** `acme:le (Certificate/site)` -> `le`. */
function issuerOf(source: string | undefined): string | undefined {
  return /^acme:([^\s]+)/.exec(source ?? '')?.[1];
}

export async function collectSnapshot(deps: SnapshotDeps, opts: { workloads: boolean }): Promise<ExportSnapshot> {
  const containers = deps.containers?.list().map(exportContainer).filter((c): c is ExportContainer => c !== undefined);
  const certs = await deps.certs.list();
  const snapshot: ExportSnapshot = {
    mode: deps.mode,
    domains: deps.ops.listDomains(),
    ...(containers ? { containers } : {}),
    // The self-signed fallback is this host's stand-in for a missing certificate, not one to carry over.
    certFiles: certs.filter((c) => c.managed !== true && c.source === 'file' && c.notAfter).map((c) => ({ name: c.name, dnsNames: c.domains, notAfter: c.notAfter! })),
    managedCerts: certs
      .filter((c) => c.managed === true)
      .map((c) => {
        const issuer = issuerOf(c.source);
        return {
          name: c.name,
          dnsNames: managedNames(c),
          ...(issuer ? { issuer } : {}),
          ...(c.notAfter ? { notAfter: c.notAfter } : {}),
          ...(c.renewAt ? { renewAt: c.renewAt } : {}),
        };
      }),
    ...(deps.settingsIssuer ? { settingsIssuer: deps.settingsIssuer } : {}),
    certificates: (deps.resources?.list('Certificate') ?? []).map((r) => ({ name: r.metadata.name, spec: r.spec as CertificateSpec })),
    issuers: (deps.resources?.list('Issuer') ?? []).map((r) => ({ name: r.metadata.name, spec: r.spec as IssuerSpec })),
  };
  if (opts.workloads && deps.containers && containers) {
    const gen = deps.containers.generateKube;
    const workloads: ExportWorkload[] = [];
    // One at a time: Podman's generator is not cheap, and the machine is shared.
    for (const c of containers) {
      try {
        workloads.push({ containerId: c.id, yaml: await gen(c.id) });
      } catch (error) {
        workloads.push({ containerId: c.id, error: (error as Error).message });
      }
    }
    snapshot.workloads = workloads;
  }
  return snapshot;
}
