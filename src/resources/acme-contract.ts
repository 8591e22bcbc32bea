/**
 * @module What the resources controller asks of the ACME module, as
 * interfaces: resources/ does not import acme/, wiring/ plugs an
 * implementation in (acme-bridge.ts translates the specs).
 */
import type { IssuerResource } from '../model/resources.ts';
import type { ResourceReport } from './status.ts';

/** What the ACME module is asked to keep issued. */
export interface CertificateRequest {
  name: string;
  dnsNames: string[];
  issuerName: string;
  renewBeforeMs: number;
  generation: number;
}

/** The ACME module's side: keep these certificates issued; may report each one's state. */
export interface CertificateManager {
  /**
   * Should return quickly (issuance takes minutes): reports known now are
   * returned, later ones (issued, waiting for DNS, the CA's error) go to `report`.
   */
  ensure(certs: CertificateRequest[], report: (r: ResourceReport) => void): Promise<ResourceReport[] | void>;
}

/** Keeps the set of ACME issuers equal to the Issuer resources; may report each one's state. */
export interface IssuerRegistry {
  /** Reports known now are returned; later ones (account registered, token refused) go to `report`. */
  sync(issuers: IssuerResource[], report?: (r: ResourceReport) => void): Promise<ResourceReport[] | void>;
}
