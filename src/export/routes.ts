/**
 * @module Routed hosts as Gateway API objects: per host an HTTPRoute whose
 * backendRefs carry the servers' weights; per container a Service selecting
 * its workload; per manual address and port (one no container owns: added
 * by hand, by a Domain manifest, imported) a Service without selector plus
 * an EndpointSlice. Servers that take no traffic (drain, maint), TLS and
 * HTTP/3 server families, overrides and published-port addresses cannot be
 * said in these objects: each is a note on the object it concerns.
 */
import { isIP } from 'node:net';
import type { DomainView, ServerView } from '../operations/types.ts';
import { compareText, type NameAllocator } from './names.ts';
import { meta, WORKLOAD_LABEL, type ExportObject, type ExportOptions } from './objects.ts';
import type { ExportContainer, ExportSnapshot } from './snapshot.ts';
import { hostHttpRoutes, type BackendRef, type RouteEntry } from './route-rules.ts';
import { mergeHostRules } from '../model/rules.ts';
import { splitRoute } from '../model/route-key.ts';

/** Gateway API's limit of backendRefs in one rule. */
const MAX_BACKEND_REFS = 16;

export interface RoutesExport {
  objects: ExportObject[];
  /** Container id -> its Service name (for workloads). */
  containerServices: Map<string, string>;
}


// Fields the builder turns into objects or notes. Any other field a later
// version adds to a domain or server (a hold time, say) is reported as a note
// rather than dropped without a word.
const DOMAIN_FIELDS = new Set(['domain', 'pool', 'backend', 'source', 'servers', 'holdMs', 'holdOverride', 'rules', 'rulesOverride']);
const SERVER_FIELDS = new Set(['family', 'slot', 'address', 'port', 'weight', 'state', 'check', 'source', 'override', 'name', 'backend', 'effectiveState', 'effectiveWeight']);

function unknownFields(what: string, value: object, known: Set<string>): string[] {
  return Object.entries(value)
    .filter(([k, v]) => !known.has(k) && v !== undefined)
    .map(([k, v]) => `${what}: ${k} = ${JSON.stringify(v)} has no equivalent in the exported objects`);
}

/** The hold (model/hold.ts): HAProxy keeps requests while no server is in service; a Gateway answers at once. */
function holdNote(d: DomainView): string | undefined {
  if (!d.holdMs) return undefined;
  const by = d.holdOverride !== undefined ? ' (set by hand through MCP)' : '';
  return `requests for ${d.domain} wait up to ${d.holdMs} ms while no server is in service${by}; the Gateway API has no hold: use readiness probes and rolling updates with maxUnavailable 0`;
}

function servicePort(port: number): Record<string, unknown> {
  return { name: 'http', port, targetPort: port, protocol: 'TCP' };
}

function overrideNote(s: ServerView): string | undefined {
  const o = s.override;
  if (!o || (o.state === undefined && o.weight === undefined)) return undefined;
  const parts = [o.state !== undefined ? `state ${o.state}` : '', o.weight !== undefined ? `weight ${o.weight}` : ''].filter(Boolean).join(', ');
  return `server ${s.name} has a manual override (${parts}${o.by ? ` by ${o.by}` : ''}) that Kubernetes cannot hold: exported as state ${s.effectiveState}, weight ${s.effectiveWeight}`;
}

function containerService(c: ExportContainer, name: string, opts: ExportOptions): ExportObject {
  const notes: string[] = [];
  if (c.addressMode === 'published') {
    const where = c.address ? ` (${c.address.address}:${c.address.port})` : '';
    notes.push(`container ${c.name} is reached through a published host port${where}; Kubernetes has no such address: the Service targets the container port ${c.port}`);
  }
  if (!c.running) notes.push(`container ${c.name} is not running (${c.status}): the Service has no endpoints until its workload runs`);
  if (c.check && !opts.includeWorkloads) notes.push(`health-check path ${c.check} becomes the workload's readiness probe with --include-workloads`);
  const object = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name, opts, { labels: { [WORKLOAD_LABEL]: name } }),
    spec: { selector: { [WORKLOAD_LABEL]: name }, ports: [servicePort(c.port)] },
  };
  return { object, notes };
}

function manualObjects(name: string, address: string, port: number, hosts: string[], opts: ExportOptions): ExportObject[] {
  const notes = [`address ${address}:${port} (serving ${hosts.join(', ')}) belongs to no container: a Service without selector and an EndpointSlice`];
  if (address.startsWith('127.') || address === '::1') notes.push(`${address} is this host's loopback: Kubernetes refuses loopback endpoints, so put the address the cluster reaches it at`);
  const service = { apiVersion: 'v1', kind: 'Service', metadata: meta(name, opts), spec: { ports: [servicePort(port)] } };
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: meta(name, opts, { labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'haproxy-operator.io-export' } }),
    addressType: isIP(address) === 6 ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true } }],
    ports: [{ name: 'http', port, protocol: 'TCP' }],
  };
  return [
    { object: service, notes },
    { object: slice, notes: [] },
  ];
}

export function buildRoutes(snap: ExportSnapshot, names: { services: NameAllocator; routes: NameAllocator }, opts: ExportOptions): RoutesExport {
  const containers = new Map((snap.containers ?? []).map((c) => [c.id, c]));
  const containerServices = new Map<string, string>();
  const objects: ExportObject[] = [];
  for (const c of [...containers.values()].sort((a, b) => compareText(a.name, b.name) || compareText(a.id, b.id))) {
    const name = names.services.claim(`container:${c.id}`, c.name);
    containerServices.set(c.id, name);
    objects.push(containerService(c, name, opts));
  }

  const domains = [...snap.domains].sort((a, b) => compareText(a.domain, b.domain));
  // Manual endpoints first, over every host, so a Service shared by two hosts is made once.
  const manual = new Map<string, { name: string; address: string; port: number; hosts: string[] }>();
  const ownerOf = (s: ServerView): string | undefined => {
    const id = s.source.startsWith('container:') ? s.source.slice('container:'.length) : undefined;
    return id !== undefined ? containerServices.get(id) : undefined;
  };
  for (const d of domains) {
    for (const s of d.servers) {
      // Only servers the route will use: a drained or TLS server left out must not leave a Service nothing refers to.
      if (s.family !== 'http' || s.effectiveState !== 'ready' || ownerOf(s) !== undefined) continue;
      const key = `${s.address}:${s.port}`;
      const entry = manual.get(key) ?? { name: names.services.claim(`endpoint:${key}`, `${d.domain}-${s.port}`), address: s.address, port: s.port, hosts: [] };
      if (!entry.hosts.includes(d.domain)) entry.hosts.push(d.domain);
      manual.set(key, entry);
    }
  }
  for (const m of manual.values()) objects.push(...manualObjects(m.name, m.address, m.port, m.hosts, opts));

  /** A route's backend refs, with a note for each server or field they cannot carry. */
  function routeBackends(d: DomainView): { refs: BackendRef[]; notes: string[] } {
    const hold = holdNote(d);
    const notes: string[] = [...(hold ? [hold] : []), ...unknownFields(`host ${d.domain}`, d, DOMAIN_FIELDS)];
    const backends = new Map<string, BackendRef>();
    for (const s of [...d.servers].sort((a, b) => a.slot - b.slot || compareText(a.family, b.family))) {
      const where = `server ${s.name} ${s.address}:${s.port}`;
      notes.push(...unknownFields(where, s, SERVER_FIELDS));
      if (s.family !== 'http') {
        notes.push(`${where} (${s.family === 'ssl' ? 'TLS to the server' : 'for HTTP/3 clients'}) left out: the Gateway terminates TLS and HTTP/3 and routes to the plain HTTP servers`);
        continue;
      }
      const override = overrideNote(s);
      if (override) notes.push(override);
      if (s.effectiveState !== 'ready') {
        notes.push(`${where} left out: it is in ${s.effectiveState} (takes no new traffic)`);
        continue;
      }
      const owner = ownerOf(s);
      const container = owner !== undefined ? containers.get(s.source.slice('container:'.length)) : undefined;
      const service = owner ?? manual.get(`${s.address}:${s.port}`)!.name;
      if (!owner && s.source.startsWith('container:')) notes.push(`${where} belongs to ${s.source.slice(0, 22)}, which the container watcher does not report: exported as a plain address`);
      if (!container && s.check) notes.push(`${where}: its health-check path ${s.check} cannot be expressed on a Service without selector (probes run in pods)`);
      const port = container ? container.port : s.port;
      const prev = backends.get(service);
      backends.set(service, { name: service, port, weight: (prev?.weight ?? 0) + s.effectiveWeight });
    }
    let refs = [...backends.values()];
    if (refs.length > MAX_BACKEND_REFS) {
      notes.push(`${refs.length} backends, but a Gateway API rule holds at most ${MAX_BACKEND_REFS}: left out ${refs.slice(MAX_BACKEND_REFS).map((b) => b.name).join(', ')}`);
      refs = refs.slice(0, MAX_BACKEND_REFS);
    }
    if (refs.length === 0) notes.push(`no server of ${d.domain} takes traffic: the route has no backend (the Gateway answers 500)`);
    return { refs, notes };
  }

  // One HTTPRoute per host (two with an HTTPS redirect): its path routes are rules of it.
  const byHost = new Map<string, DomainView[]>();
  for (const d of domains) byHost.set(splitRoute(d.domain).host, [...(byHost.get(splitRoute(d.domain).host) ?? []), d]);
  const merged = mergeHostRules(domains.map((d) => [d.domain, d.rules ?? {}]));
  for (const [host, views] of byHost) {
    const notes: string[] = [];
    const entries: RouteEntry[] = views.map((d) => {
      const { refs, notes: own } = routeBackends(d);
      notes.push(...own);
      const path = splitRoute(d.domain).path;
      return { ...(path ? { path } : {}), rules: d.rules ?? {}, refs };
    });
    const name = (purpose: string) => names.routes.claim(`host:${host}${purpose ? `:${purpose}` : ''}`, purpose ? `${host}-${purpose}` : host);
    objects.push(...hostHttpRoutes(host, entries, merged.get(host) ?? {}, name, opts, notes));
  }
  return { objects, containerServices };
}
