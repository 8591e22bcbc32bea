/**
 * @module Wires the export's read of the operator (export/collect.ts) to
 * the running parts: domains, the container watcher and its Podman socket,
 * the PEMs and the ACME manager, the resources, and the settings' issuer
 * named by the settings that hold its secrets.
 */
import type { Settings } from '../config/settings.ts';
import { settingNames } from '../config/options.ts';
import { collectSnapshot } from '../export/collect.ts';
import { generateKube } from '../export/podman-kube.ts';
import type { ExportSettingsIssuer, ExportSnapshot } from '../export/snapshot.ts';
import type { Operations } from '../operations/types.ts';
import type { ResourceController } from '../resources/controller.ts';
import { tokenSetting, type CertsFacade } from './certs.ts';
import type { Containers } from './containers.ts';

export interface ExportParts {
  ops: Operations;
  containers: Containers | undefined;
  /** The certificate inventory (certsFacade): every manager's certificates and the other PEMs. */
  certs: Pick<CertsFacade, 'list'>;
  resources: ResourceController | undefined;
}

function settingsIssuer(settings: Settings): ExportSettingsIssuer | undefined {
  const { acme } = settings;
  if (!acme.email) return undefined;
  return {
    server: acme.directory,
    email: acme.email,
    ...(acme.eab ? { eabKeyId: acme.eab.keyId, eabKeyFrom: `${settingNames('acmeEabHmacFile')}: ${acme.eab.hmacKeyFile}` } : {}),
    cloudflareTokenFrom: tokenSetting(settings.dns).join(': '),
    ...(acme.caFile ? { caFile: acme.caFile } : {}),
  };
}

/** The snapshot reader GET /api/v1/export calls. */
export function exportSource(settings: Settings, parts: ExportParts): (opts: { workloads: boolean }) => Promise<ExportSnapshot> {
  const { containers } = parts;
  return (opts) =>
    collectSnapshot(
      {
        mode: settings.mode,
        ops: parts.ops,
        ...(containers ? { containers: { list: () => containers.watcher.listContainers(), generateKube: (id) => generateKube(containers.socketPath, id) } } : {}),
        certs: parts.certs,
        ...(settingsIssuer(settings) ? { settingsIssuer: settingsIssuer(settings)! } : {}),
        ...(parts.resources ? { resources: parts.resources } : {}),
      },
      opts,
    );
}
