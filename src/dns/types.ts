/**
 * @module The DNS-01 solver contract the ACME module depends on: publish a TXT
 * value, wait until the world sees it, and remove exactly that record.
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
}
