/**
 * @module Which part of HAProxy a change touches: the backends of every pool
 * whose domain changed, so a pass observes and plans only those. Pure.
 */
import type { Action } from '../model/plan.ts';
import { backendName, parseServerName, type DesiredState } from '../model/state.ts';
import { Family } from '../model/names.ts';
import { routeHost } from '../model/rules.ts';

/** The hosts whose routing or servers differ between two desired states, and the backends of their pools (old and new). */
export interface ChangeScope {
  hosts: string[];
  backends: string[];
}

export function changeScope(before: DesiredState, after: DesiredState): ChangeScope {
  const pools = new Set<number>();
  const hosts: string[] = [];
  for (const h of new Set([...Object.keys(before.domains), ...Object.keys(after.domains)])) {
    const a = before.domains[h];
    const b = after.domains[h];
    if (a === b || JSON.stringify(a) === JSON.stringify(b)) continue;
    hosts.push(h);
    if (a) pools.add(a.pool);
    if (b) pools.add(b.pool);
  }
  return { hosts, backends: [...pools].flatMap((p) => Family.options.map((f) => backendName(p, f))) };
}

/** True when `action` belongs to `scope` (its host, backend, or the backend of its server). */
export function inScope(action: Action, scope: { hosts: ReadonlySet<string>; backends: ReadonlySet<string> }): boolean {
  if ('host' in action) return scope.hosts.has(action.host);
  // Rule maps are keyed by host; a change of any of its routes (a.test, a.test/api) carries the host's rules.
  if ('key' in action) return [...scope.hosts].some((h) => routeHost(h) === routeHost(action.key));
  if ('backend' in action) return scope.backends.has(action.backend);
  if ('server' in action) {
    const slot = parseServerName(action.server);
    return !!slot && scope.backends.has(backendName(slot.pool, slot.family));
  }
  return false;
}
