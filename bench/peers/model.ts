/**
 * @module The route-change workload shared by bench/churn and bench/peers:
 * a plan of changes to OTHER hosts (adds and removes of hosts and servers),
 * and the desired state a config-generating tool renders from (host ->
 * servers by slot), the way label-driven proxies keep it.
 */

export type Change =
  | { kind: 'addDomain'; domain: string }
  | { kind: 'addServer'; domain: string; slot: number }
  | { kind: 'removeServer'; domain: string; slot: number }
  | { kind: 'removeDomain'; domain: string };

/** Groups of 10 hosts: add each, add slot 2, add slot 3, remove slot 2, remove each (50 changes a group). */
export function changePlan(count: number, suffix = 'churn.test'): Change[] {
  const out: Change[] = [];
  for (let g = 0; out.length < count; g++) {
    const names = Array.from({ length: 10 }, (_, i) => `g${g}-d${i}.${suffix}`);
    for (const domain of names) out.push({ kind: 'addDomain', domain });
    for (const domain of names) out.push({ kind: 'addServer', domain, slot: 2 });
    for (const domain of names) out.push({ kind: 'addServer', domain, slot: 3 });
    for (const domain of names) out.push({ kind: 'removeServer', domain, slot: 2 });
    for (const domain of names) out.push({ kind: 'removeDomain', domain });
  }
  return out.slice(0, count);
}

/** A host's servers: slot -> backend port on 127.0.0.1. A pool number for engines that need one. */
export interface Route {
  pool: number;
  servers: Map<number, number>;
}

/** Desired state of a config-generating tool: host -> route. Map order is insertion order. */
export type Model = Map<string, Route>;

/**
 * Applies one change to the model. `port(slot)` is the backend port a new
 * server gets; `pools` bounds pool numbers (engines without pools ignore them).
 */
export function applyChange(model: Model, c: Change, port: (slot: number) => number, pools = Number.MAX_SAFE_INTEGER): void {
  if (c.kind === 'addDomain') {
    const used = new Set([...model.values()].map((d) => d.pool));
    let pool = 1;
    while (used.has(pool)) pool++;
    if (pool > pools) throw new Error(`no free pool for ${c.domain}`);
    model.set(c.domain, { pool, servers: new Map([[1, port(1)]]) });
  } else if (c.kind === 'addServer') model.get(c.domain)!.servers.set(c.slot, port(c.slot));
  else if (c.kind === 'removeServer') model.get(c.domain)!.servers.delete(c.slot);
  else model.delete(c.domain);
}
