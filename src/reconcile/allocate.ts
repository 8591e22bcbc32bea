/**
 * @module Pool and slot allocation. Stable: a domain keeps its pool and a
 * server keeps its slot; new ones take the first free number.
 */
import type { DesiredState, DomainSpec } from '../model/state.ts';
import type { Family } from '../model/names.ts';

/** First pool (1..pools) no domain uses, or undefined when all are taken. */
export function firstFreePool(state: DesiredState, pools: number): number | undefined {
  const used = new Set(Object.values(state.domains).map((d) => d.pool));
  for (let pool = 1; pool <= pools; pool++) if (!used.has(pool)) return pool;
  return undefined;
}

/** First slot (1..slots) of `family` free in `domain`, preferring `preferred` when it is free. */
export function firstFreeSlot(domain: DomainSpec, family: Family, slots: number, preferred?: number): number | undefined {
  const used = new Set(domain.servers.filter((s) => s.family === family).map((s) => s.slot));
  if (preferred !== undefined && preferred >= 1 && preferred <= slots && !used.has(preferred)) return preferred;
  for (let slot = 1; slot <= slots; slot++) if (!used.has(slot)) return slot;
  return undefined;
}

/**
 * firstFreePool for many allocations in a row: the free pools are listed
 * once, so placing thousands of hosts is linear instead of quadratic.
 * `take()` returns the lowest free pool and marks it used.
 */
export function poolAllocator(state: DesiredState, pools: number): { take(): number | undefined } {
  const used = new Set(Object.values(state.domains).map((d) => d.pool));
  let next = 1;
  return {
    take() {
      while (next <= pools && used.has(next)) next++;
      if (next > pools) return undefined;
      used.add(next);
      return next++;
    },
  };
}
