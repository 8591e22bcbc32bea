/**
 * @module Joins the Cloudflare client and the propagation checker into the
 * DnsSolver the ACME order uses.
 */
import type { CloudflareClient } from './cloudflare.ts';
import type { PropagationChecker } from './propagation.ts';
import type { DnsSolver } from './types.ts';

/** A DnsSolver that writes records through `provider` and waits with `propagation`. */
export function createDns01Solver(deps: { provider: CloudflareClient; propagation: PropagationChecker }): DnsSolver {
  return {
    createTxt: (name, value) => deps.provider.createTxt(name, value),
    deleteTxt: (ref) => deps.provider.deleteTxt(ref),
    waitForPropagation: (ref) => deps.propagation.waitForTxt(ref.name, ref.value, ref.zoneName),
  };
}
