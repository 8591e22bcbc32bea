/**
 * @module Snapshot builders for the export's unit tests: domains with
 * servers as the operations layer shows them (views.ts), containers,
 * issuers and certificates, in a few words each.
 */
import { domainView } from '../../src/operations/views.ts';
import type { DomainView } from '../../src/operations/types.ts';
import type { ServerSpec } from '../../src/model/state.ts';
import type { Family } from '../../src/model/names.ts';
import type { ExportContainer, ExportSnapshot } from '../../src/export/snapshot.ts';
import type { IssuerSpec } from '../../src/model/resources.ts';

export function srv(family: Family, slot: number, address: string, port: number, extra: Partial<ServerSpec> = {}): ServerSpec {
  return { family, slot, address, port, weight: 1, state: 'ready', source: 'manual', ...extra };
}

export function domain(host: string, pool: number, servers: ServerSpec[]): DomainView {
  return domainView(host, { pool, source: 'manual', servers });
}

export function container(id: string, name: string, extra: Partial<ExportContainer> = {}): ExportContainer {
  return { id, name, running: true, status: 'running', domains: [], port: 8080, addressMode: 'container', ...extra };
}

export function snapshot(extra: Partial<ExportSnapshot> = {}): ExportSnapshot {
  return { mode: 'managed', domains: [], containers: [], certFiles: [], managedCerts: [], certificates: [], issuers: [], ...extra };
}

export function issuerSpec(extra: { eab?: boolean; tokenEnv?: string } = {}): IssuerSpec {
  return {
    acme: {
      server: 'letsencrypt-staging',
      email: 'ops@example.com',
      ...(extra.eab ? { externalAccountBinding: { keyID: 'kid-1', hmacKeyRef: { file: '/etc/hop/eab.key' } } } : {}),
      solver: { dns01: { cloudflare: { apiTokenRef: extra.tokenEnv ? { env: extra.tokenEnv } : { file: '/etc/hop/cf.token' } } } },
    },
  };
}
