/**
 * @module Test helpers for exported manifests: validation of every object
 * against the published schemas (kubernetes-models, Gateway API,
 * cert-manager; `validate()` throws naming the path), the name rules the
 * schemas do not check (DNS-1035 labels), and the cross-references an
 * export must keep (routes -> Services, listeners -> Secrets made by a
 * Certificate, Issuers -> Secret stubs, Services -> workloads).
 */
import { Pod, Secret, Service } from 'kubernetes-models/v1';
import { DaemonSet, Deployment } from 'kubernetes-models/apps/v1';
import { EndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1';
import { Gateway, HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import { Certificate, Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import { isKubeName } from '../../src/export/names.ts';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any; [k: string]: any };

const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  'v1/Service': Service,
  'v1/Secret': Secret,
  'v1/Pod': Pod,
  'apps/v1/Deployment': Deployment,
  'apps/v1/DaemonSet': DaemonSet,
  'discovery.k8s.io/v1/EndpointSlice': EndpointSlice,
  'gateway.networking.k8s.io/v1/Gateway': Gateway,
  'gateway.networking.k8s.io/v1/HTTPRoute': HTTPRoute,
  'cert-manager.io/v1/Certificate': Certificate,
  'cert-manager.io/v1/Issuer': Issuer,
};

/** Validates one object against its published schema and the name rule; throws `Kind/name: problem`. */
export function validateObject(o: Obj): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`${o.kind}/${o.metadata?.name}: no published schema for ${o.apiVersion} ${o.kind}`);
  try {
    new Model(o as never).validate();
  } catch (error) {
    throw new Error(`${o.kind}/${o.metadata.name}: ${(error as Error).message}`);
  }
  if (!isKubeName(o.metadata.name)) throw new Error(`${o.kind}/${o.metadata.name}: not a DNS-1035 label of at most 63 characters`);
}

const byKind = (objects: Obj[], kind: string) => objects.filter((o) => o.kind === kind);

/** Every broken reference in an export, as one line each; empty when whole. */
export function referenceProblems(objects: Obj[], routedHosts: string[]): string[] {
  const problems: string[] = [];
  const names = (kind: string) => new Set(byKind(objects, kind).map((o) => o.metadata.name));
  const services = names('Service');
  const secrets = names('Secret');
  const issuers = names('Issuer');
  const routes = byKind(objects, 'HTTPRoute');
  const gateways = byKind(objects, 'Gateway');
  if (gateways.length !== 1) problems.push(`${gateways.length} Gateways, expected 1`);
  const gateway = gateways[0]?.metadata.name;
  for (const host of routedHosts) if (!routes.some((r) => r.spec.hostnames.includes(host))) problems.push(`host ${host}: in no HTTPRoute`);
  for (const r of routes) {
    if (!r.spec.parentRefs.some((p: { name: string }) => p.name === gateway)) problems.push(`HTTPRoute/${r.metadata.name}: not attached to Gateway ${gateway}`);
    for (const rule of r.spec.rules) for (const b of rule.backendRefs ?? []) if (!services.has(b.name)) problems.push(`HTTPRoute/${r.metadata.name}: backendRef ${b.name} is no Service in the output`);
  }
  const certSecrets = new Map(byKind(objects, 'Certificate').map((c) => [c.spec.secretName, c]));
  for (const l of gateways[0]?.spec.listeners ?? []) {
    if (l.protocol !== 'HTTPS') continue;
    for (const ref of l.tls.certificateRefs) if (!certSecrets.has(ref.name)) problems.push(`listener ${l.name}: Secret ${ref.name} is made by no Certificate`);
    const cert = certSecrets.get(l.tls.certificateRefs[0]?.name);
    if (cert && !cert.spec.dnsNames.includes(l.hostname)) problems.push(`listener ${l.name}: hostname ${l.hostname} not in Certificate/${cert.metadata.name}`);
  }
  for (const c of byKind(objects, 'Certificate')) if (!issuers.has(c.spec.issuerRef.name)) problems.push(`Certificate/${c.metadata.name}: Issuer ${c.spec.issuerRef.name} not in the output`);
  for (const i of byKind(objects, 'Issuer')) {
    const acme = i.spec.acme;
    const refs = [acme.solvers[0].dns01.cloudflare.apiTokenSecretRef.name, ...(acme.externalAccountBinding ? [acme.externalAccountBinding.keySecretRef.name] : [])];
    for (const ref of refs) if (!secrets.has(ref)) problems.push(`Issuer/${i.metadata.name}: Secret ${ref} not in the output`);
  }
  for (const slice of byKind(objects, 'EndpointSlice')) {
    if (!services.has(slice.metadata.labels?.['kubernetes.io/service-name'] ?? '')) problems.push(`EndpointSlice/${slice.metadata.name}: its Service is not in the output`);
  }
  const workloads = objects.filter((o) => o.kind === 'Pod' || o.kind === 'Deployment');
  for (const w of workloads) {
    const labels = w.kind === 'Pod' ? w.metadata.labels : w.spec.template.metadata.labels;
    const selected = byKind(objects, 'Service').some((s) => s.spec.selector && Object.entries(s.spec.selector).every(([k, v]) => labels?.[k] === v));
    if (!selected) problems.push(`${w.kind}/${w.metadata.name}: no Service selects it`);
  }
  const keys = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
  if (keys.size !== objects.length) problems.push('two objects share a kind and name');
  return problems;
}
