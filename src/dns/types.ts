/**
 * @module The DNS-01 solver contract the ACME module depends on: publish a TXT
 * value, wait until the world sees it, and remove exactly that record; and,
 * before any order, check the credentials so a wrong token never costs one.
 */

/** One TXT record we created; `id` is the provider's record id, so cleanup removes only ours. */
export interface TxtRecordRef {
  id: string;
  zoneId: string;
  zoneName: string;
  /** Fully qualified record name without trailing dot, e.g. `_acme-challenge.a.test`. */
  name: string;
  value: string;
}

/** What the ACME order needs from DNS; implemented by `createDns01Solver`. */
export interface DnsSolver {
  /** Creates the TXT record `name` = `value`; fails with a typed error naming the zone or name. */
  createTxt(name: string, value: string): Promise<TxtRecordRef>;
  /** Deletes the record by id; a record already gone counts as deleted. */
  deleteTxt(ref: TxtRecordRef): Promise<void>;
  /** Resolves when `ref.value` is visible at every resolver that matters; throws on timeout. */
  waitForPropagation(ref: TxtRecordRef): Promise<void>;
  /**
   * Re-reads the credentials (no network) and returns a fingerprint of them
   * (never the secret), so a fixed token resets a certificate's backoff.
   */
  refresh?(): Promise<string>;
  /** Checks, before an order, that the DNS API accepts us for these names (zone lookups); throws with the provider's answer. */
  preflight?(domains: string[]): Promise<void>;
  /** Asks the provider whether the credentials are valid at all (for an Issuer's Ready); throws with its answer. */
  verify?(): Promise<void>;
}
