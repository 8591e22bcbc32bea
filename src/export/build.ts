/**
 * @module The export's pure builder: an operator snapshot in, Kubernetes
 * objects out (Gateway, HTTPRoutes, Services, EndpointSlices, workloads,
 * cert-manager Issuers and Certificates, Secret stubs), each with the notes
 * on what it cannot express. Same snapshot, same output: names are claimed
 * in a fixed order (see names.ts), objects come out in a fixed order.
 */
import { buildCertManager, type TlsSecret } from './cert-manager.ts';
import { compareText, createNameAllocator, kubeName } from './names.ts';
import { meta, objectRef, type ExportObject, type ExportOptions } from './objects.ts';
import { buildRoutes } from './routes.ts';
import type { ExportSnapshot } from './snapshot.ts';
import { buildWorkload } from './workload.ts';

/** Gateway API's limit of listeners on one Gateway. */
const MAX_LISTENERS = 64;

export interface ExportResult {
  objects: ExportObject[];
  /** Notes that concern no single object. */
  notes: string[];
}

export const DEFAULT_EXPORT_OPTIONS: ExportOptions = { gateway: 'haproxy', gatewayClass: 'haproxy', includeWorkloads: false };

/** Whether a certificate DNS name (maybe `*.x`) covers `host`. */
export function dnsNameCovers(dnsName: string, host: string): boolean {
  if (dnsName === host) return true;
  return dnsName.startsWith('*.') && host.endsWith(dnsName.slice(1)) && !host.slice(0, -dnsName.length + 1).includes('.');
}

function gateway(tls: TlsSecret[], hosts: string[], opts: ExportOptions): ExportObject {
  const notes: string[] = [];
  const listeners: Array<Record<string, unknown>> = [{ name: 'http', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'Same' } } }];
  const names = createNameAllocator();
  const seen = new Map<string, string>();
  for (const t of tls) {
    for (const host of t.dnsNames) {
      const first = seen.get(host);
      if (first !== undefined) {
        notes.push(`${host} is in both ${first} and ${t.madeBy}: the HTTPS listener uses ${first}`);
        continue;
      }
      if (listeners.length >= MAX_LISTENERS) {
        notes.push(`HTTPS for ${host} (${t.madeBy}) left out: a Gateway holds at most ${MAX_LISTENERS} listeners; split the hosts over several Gateways`);
        continue;
      }
      seen.set(host, t.madeBy);
      listeners.push({
        name: names.claim(host, `https-${host.replace('*', 'wildcard')}`),
        protocol: 'HTTPS',
        port: 443,
        hostname: host,
        tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: t.secretName }] },
        allowedRoutes: { namespaces: { from: 'Same' } },
      });
    }
  }
  for (const host of hosts) {
    if (![...seen.keys()].some((n) => dnsNameCovers(n, host))) notes.push(`${host} has no certificate: the Gateway serves it over HTTP only`);
  }
  const object = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: meta(kubeName(opts.gateway), opts),
    spec: { gatewayClassName: opts.gatewayClass, listeners },
  };
  return { object, notes };
}

/** Builds every object from the snapshot. Never throws on odd data: what does not fit becomes a note. */
export function buildExport(snap: ExportSnapshot, options: Partial<ExportOptions> = {}): ExportResult {
  const opts: ExportOptions = { ...DEFAULT_EXPORT_OPTIONS, ...options };
  const notes: string[] = [];
  const names = { services: createNameAllocator(), routes: createNameAllocator(), issuers: createNameAllocator(), certificates: createNameAllocator(), secrets: createNameAllocator() };
  const routes = buildRoutes(snap, names, opts);
  const certs = buildCertManager(snap, names, opts);
  const gw = gateway(certs.tls, snap.domains.map((d) => d.domain).sort(compareText), opts);
  const workloads: ExportObject[] = [];
  if (opts.includeWorkloads) {
    if (snap.containers === undefined) notes.push('--include-workloads: the operator runs without the container watcher, so there are no workloads');
    const byId = new Map((snap.workloads ?? []).map((w) => [w.containerId, w]));
    for (const c of [...(snap.containers ?? [])].sort((a, b) => compareText(a.name, b.name) || compareText(a.id, b.id))) {
      const service = routes.containerServices.get(c.id)!;
      const w = byId.get(c.id);
      if (!w?.yaml) {
        notes.push(`container ${c.name}: no workload (${w?.error ?? 'Podman generated nothing'})`);
        continue;
      }
      const built = buildWorkload(c, service, w.yaml, opts);
      workloads.push(...built.objects);
      notes.push(...built.notes);
    }
  }
  return { objects: [gw, ...routes.objects, ...workloads, ...certs.objects], notes };
}

/** Every note, each prefixed with the object it concerns, in output order (what stderr shows). */
export function allNotes(result: ExportResult): string[] {
  return [...result.notes, ...result.objects.flatMap((o) => o.notes.map((n) => `${objectRef(o.object)}: ${n}`))];
}
