/**
 * @module Replaces the servers a source kind (containers, manifests) wants,
 * level-triggered: the source hands over its whole set every time. Pure.
 * Slots are stable per (source, domain, family); a remembered slot is
 * reused when a container comes back, or taken by the one that replaces it
 * (`replaces`); manual overrides survive. A domain's hold comes from its
 * servers' `hold`. One source may ask for several servers of one family for
 * a domain (a Domain manifest listing two http servers): each keeps its own
 * slot (pairSources).
 */
import { sharedPools, type Capacity, type DesiredState, type ServerSpec } from '../model/state.ts';
import { firstFreeSlot, poolAllocator } from '../reconcile/allocate.ts';
import { cloneState } from './mutations.ts';
import type { SourceServer } from './types.ts';
import type { RouteRules } from '../model/rules.ts';

export type SlotMemory = Map<string, number>;

const keyOf = (source: string, domain: string, family: string) => `${source}|${domain}|${family}`;

export interface SyncOutcome {
  state: DesiredState;
  rejected: Array<{ server: SourceServer; reason: string }>;
}

export function syncSource(
  state: DesiredState,
  capacity: Capacity,
  kind: 'container' | 'manifest',
  wanted: readonly SourceServer[],
  memory: SlotMemory,
): SyncOutcome {
  const prefix = `${kind}:`;
  const next = cloneState(state);
  const rejected: SyncOutcome['rejected'] = [];
  // Stable sort: a source's servers of one group keep the order it gave them.
  const sorted = [...wanted].sort((a, b) => keyOf(a.source, a.domain, a.family).localeCompare(keyOf(b.source, b.domain, b.family)));
  const paired = pairSources(next, prefix, sorted);

  const kept = new Set(paired.values());
  for (const [host, domain] of Object.entries(next.domains)) {
    domain.servers = domain.servers.filter((s) => {
      if (!s.source.startsWith(prefix) || kept.has(s)) return true;
      memory.set(keyOf(s.source, host, s.family), s.slot);
      return false;
    });
  }

  const pools = poolAllocator(next, capacity.pools);
  const shared = sharedPools(next);
  for (const w of sorted) {
    let domain = next.domains[w.domain];
    if (!domain) {
      const pool = pools.take();
      if (pool === undefined) {
        rejected.push({ server: w, reason: `no free pool for ${w.domain}: all ${capacity.pools} pools are used` });
        continue;
      }
      domain = { pool, source: w.source, servers: [] };
      next.domains[w.domain] = domain;
    }
    const sharers = (shared.get(domain.pool) ?? []).filter((h) => h !== w.domain);
    if (sharers.length > 0) {
      // One host's source cannot change a slot set other hosts route to.
      rejected.push({ server: w, reason: `pool_${domain.pool} is shared by ${w.domain} and ${sharers.join(', ')} (imported from the original): a ${kind} cannot change its servers; give ${w.domain} its own pool (remove the shared hosts and route them separately) or manage pool_${domain.pool} with haproxy_add_server` });
      continue;
    }
    const existing = paired.get(w);
    if (existing) {
      applySource(existing, w);
      continue;
    }
    const key = keyOf(w.source, w.domain, w.family);
    const slot = firstFreeSlot(domain, w.family, capacity.slots, memory.get(key) ?? (w.replaces ? memory.get(keyOf(w.replaces, w.domain, w.family)) : undefined));
    if (slot === undefined) {
      rejected.push({ server: w, reason: `pool_${domain.pool} is full: all ${capacity.slots} ${w.family} slots of ${w.domain} are used` });
      continue;
    }
    memory.set(key, slot);
    const server: ServerSpec = { family: w.family, slot, address: w.address, port: w.port, weight: w.weight ?? 1, state: w.state, source: w.source };
    applySource(server, w);
    domain.servers.push(server);
  }

  applyHolds(next, prefix, wanted);
  applyRules(next, prefix, wanted);
  // A domain created by this kind goes with its last server of this kind.
  for (const [host, domain] of Object.entries(next.domains)) {
    if (domain.source.startsWith(prefix) && domain.servers.length === 0) delete next.domains[host];
  }
  return { state: next, rejected };
}

/**
 * Which saved server each wanted one updates, per (source, domain, family):
 * first the one at the same address and port (so removing or reordering one
 * of a Domain's servers leaves the others' slots alone), then the rest in
 * slot order (so an edited address or port updates its slot in place).
 * Saved servers left unpaired are no longer wanted.
 */
function pairSources(state: DesiredState, prefix: string, wanted: readonly SourceServer[]): Map<SourceServer, ServerSpec> {
  const saved = new Map<string, ServerSpec[]>();
  for (const [host, domain] of Object.entries(state.domains)) {
    for (const s of [...domain.servers].sort((a, b) => a.slot - b.slot)) {
      if (!s.source.startsWith(prefix)) continue;
      const key = keyOf(s.source, host, s.family);
      saved.set(key, [...(saved.get(key) ?? []), s]);
    }
  }
  const out = new Map<SourceServer, ServerSpec>();
  const take = (w: SourceServer, match: (s: ServerSpec) => boolean): void => {
    const free = saved.get(keyOf(w.source, w.domain, w.family));
    const i = free?.findIndex(match) ?? -1;
    if (i < 0) return;
    out.set(w, free![i]!);
    free!.splice(i, 1);
  };
  for (const w of wanted) take(w, (s) => s.address === w.address && s.port === w.port);
  for (const w of wanted) if (!out.has(w)) take(w, () => true);
  return out;
}

function applySource(server: ServerSpec, w: SourceServer): void {
  server.address = w.address;
  server.port = w.port;
  server.weight = w.weight ?? 1;
  server.state = w.state;
  if (w.check) server.check = w.check;
  else delete server.check;
}

/** A domain's hold is the longest its servers of this kind ask for; a domain of this kind with none asked for gets the default. */
function applyHolds(state: DesiredState, prefix: string, wanted: readonly SourceServer[]): void {
  const asked = new Map<string, number>();
  for (const w of wanted) if (w.hold !== undefined) asked.set(w.domain, Math.max(asked.get(w.domain) ?? 0, w.hold));
  for (const [host, domain] of Object.entries(state.domains)) {
    const hold = asked.get(host);
    if (hold !== undefined) domain.hold = hold;
    else if (domain.source.startsWith(prefix)) delete domain.hold;
  }
}

/** A route's rules are those its servers of this kind ask for (the first in source order that has any); a route of this kind with none asked for has none. */
function applyRules(state: DesiredState, prefix: string, wanted: readonly SourceServer[]): void {
  const asked = new Map<string, RouteRules>();
  for (const w of [...wanted].sort((a, b) => a.source.localeCompare(b.source))) if (w.rules && !asked.has(w.domain)) asked.set(w.domain, w.rules);
  for (const [route, domain] of Object.entries(state.domains)) {
    const rules = asked.get(route);
    if (rules) domain.rules = rules;
    else if (domain.source.startsWith(prefix)) delete domain.rules;
  }
}
