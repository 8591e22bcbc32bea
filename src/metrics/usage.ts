/**
 * @module Capacity usage of the desired state: pools held by domains and
 * slots taken per family, against the rendered capacity. Pure; the metrics
 * collector calls it at scrape time.
 */
import type { Family } from '../model/names.ts';
import type { Capacity, DesiredState } from '../model/state.ts';

export const FAMILIES: readonly Family[] = ['http', 'ssl', 'h3'];

export interface CapacityUsage {
  pools: { used: number; free: number };
  /** Slots per family: every pool has `capacity.slots` of each family. */
  slots: Record<Family, { used: number; free: number }>;
}

/**
 * Counts what the desired state occupies. A domain holds its pool even with no
 * servers (its map entry stays, so it answers 503). Pools outside the capacity
 * (a state file from a larger configuration) still count as used, and free
 * never goes below zero.
 */
export function capacityUsage(state: DesiredState, capacity: Capacity): CapacityUsage {
  const pools = new Set<number>();
  const used: Record<Family, Set<string>> = { http: new Set(), ssl: new Set(), h3: new Set() };
  for (const domain of Object.values(state.domains)) {
    pools.add(domain.pool);
    // A slot is a (pool, slot) pair: two specs naming the same slot take it once.
    for (const s of domain.servers) used[s.family].add(`${domain.pool}/${s.slot}`);
  }
  const perFamily = capacity.pools * capacity.slots;
  const slots = {} as CapacityUsage['slots'];
  for (const f of FAMILIES) slots[f] = { used: used[f].size, free: Math.max(0, perFamily - used[f].size) };
  return { pools: { used: pools.size, free: Math.max(0, capacity.pools - pools.size) }, slots };
}
