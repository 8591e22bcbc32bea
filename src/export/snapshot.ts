/**
 * @module What the export reads from the running operator, as one JSON
 * document (GET /api/v1/export): the routed domains with their servers, the
 * labelled containers, the certificates (PEMs in the cert directory, the
 * ACME manager's list, Certificate and Issuer resources), the issuer from
 * the settings, and optionally each container's Kubernetes YAML from
 * Podman's generator. It carries references to secrets (which setting,
 * which file, which variable), never their contents.
 */
import type { DomainView } from '../operations/types.ts';
import type { CertificateSpec, IssuerSpec } from '../model/resources.ts';

/** A labelled container with a valid configuration, as the watcher sees it. */
export interface ExportContainer {
  id: string;
  name: string;
  running: boolean;
  status: string;
  domains: string[];
  /** The container's own port (haproxy.port). */
  port: number;
  weight?: number;
  check?: string;
  /** container: its network address; published: a host port published for `port`. */
  addressMode: 'container' | 'published';
  /** Where HAProxy reaches it, when it runs. */
  address?: { address: string; port: number };
}

/** A PEM the cert directory holds (whoever wrote it). */
export interface ExportCertFile {
  name: string;
  dnsNames: string[];
  notAfter: string;
}

/** A certificate one of the operator's ACME managers keeps issued. */
export interface ExportManagedCert {
  name: string;
  dnsNames: string[];
  /** The manager's issuer: `default` for the settings' one, else the Issuer resource's name. */
  issuer?: string;
  notAfter?: string;
  /** When the manager will renew it (ISO 8601). */
  renewAt?: string;
}

/** The ACME issuer from the settings (--acme-email ...); secrets are named by the setting that holds them. */
export interface ExportSettingsIssuer {
  server: string;
  email: string;
  eabKeyId?: string;
  /** Setting holding the EAB HMAC key, e.g. --acme-eab-hmac-file. */
  eabKeyFrom?: string;
  /** Setting holding the Cloudflare API token, e.g. --cloudflare-token-file. */
  cloudflareTokenFrom: string;
  /** --acme-ca-file: the CA bundle trusted for the ACME server. */
  caFile?: string;
}

export interface ExportResource<S> {
  name: string;
  spec: S;
}

/** A container's workload from Podman's generator, or why there is none. */
export interface ExportWorkload {
  containerId: string;
  yaml?: string;
  error?: string;
}

export interface ExportSnapshot {
  /** managed or external: the export reads the same either way. */
  mode: string;
  domains: DomainView[];
  /** Absent when the operator runs without the container watcher. */
  containers?: ExportContainer[];
  certFiles: ExportCertFile[];
  managedCerts: ExportManagedCert[];
  settingsIssuer?: ExportSettingsIssuer;
  certificates: Array<ExportResource<CertificateSpec>>;
  issuers: Array<ExportResource<IssuerSpec>>;
  /** Only when asked for (?workloads=true). */
  workloads?: ExportWorkload[];
}
