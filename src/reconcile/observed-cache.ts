/**
 * @module What HAProxy holds, as the runner last saw it plus what it applied
 * since: controller-runtime's informer cache. The runner is the only writer
 * of HAProxy's runtime state, so after a full observe every later pass can
 * plan against this model instead of asking HAProxy again; a failed apply,
 * an HAProxy restart or the periodic resync replaces it with a fresh
 * observe. Pure.
 */
import type { ObservedServer, ObservedState } from '../model/haproxy.ts';
import type { Action } from '../model/plan.ts';

type Entry = { key: string; value: string };

/** `add map` appends (duplicates possible), `set map` changes every entry of the key, `del map` removes them all. `entries` is the pass's own copy. */
function editMap(entries: Entry[], op: 'add' | 'set' | 'del', key: string, value = ''): Entry[] {
  if (op === 'add') entries.push({ key, value });
  else if (op === 'set') entries.forEach((e, i) => e.key === key && (entries[i] = { key, value }));
  else return entries.filter((e) => e.key !== key);
  return entries;
}

/** The state HAProxy is in after it accepted every action of `actions` (certificates are observed live, not cached). */
export function applyToObserved(observed: ObservedState, actions: readonly Action[]): ObservedState {
  let map = [...observed.map];
  let checks = [...observed.checks];
  let holds = observed.holds && [...observed.holds];
  const rules = observed.rules && Object.fromEntries(Object.entries(observed.rules).map(([name, entries]) => [name, [...entries]]));
  // Copied once and indexed: a restore plans thousands of actions over thousands of slots.
  const servers = [...observed.servers];
  const index = new Map(servers.map((s, i) => [`${s.backend}/${s.server}`, i]));
  const editServer = (a: { backend: string; server: string }, edit: Partial<ObservedServer>) => {
    const i = index.get(`${a.backend}/${a.server}`);
    if (i !== undefined) servers[i] = { ...servers[i]!, ...edit };
  };
  for (const a of actions) {
    switch (a.kind) {
      case 'addMap':
      case 'setMap':
        map = editMap(map, a.kind === 'addMap' ? 'add' : 'set', a.host, a.backend);
        break;
      case 'delMap':
        map = editMap(map, 'del', a.host);
        break;
      case 'addCheck':
      case 'setCheck':
        checks = editMap(checks, a.kind === 'addCheck' ? 'add' : 'set', a.server, a.path);
        break;
      case 'delCheck':
        checks = editMap(checks, 'del', a.server);
        break;
      case 'addHold':
      case 'setHold':
        holds = editMap(holds ?? (holds = []), a.kind === 'addHold' ? 'add' : 'set', a.host, String(a.ms));
        break;
      case 'delHold':
        holds = editMap(holds ?? (holds = []), 'del', a.host);
        break;
      case 'addRule':
      case 'setRule':
        if (rules) rules[a.map] = editMap(rules[a.map] ?? [], a.kind === 'addRule' ? 'add' : 'set', a.key, a.value);
        break;
      case 'delRule':
        if (rules) rules[a.map] = editMap(rules[a.map] ?? [], 'del', a.key);
        break;
      case 'setAddr':
        editServer(a, { address: a.address, port: a.port });
        break;
      case 'setWeight':
        editServer(a, { weight: a.weight });
        break;
      case 'setState':
        editServer(a, { state: a.state });
        break;
      case 'enableHealth':
      case 'disableHealth':
        editServer(a, { healthEnabled: a.kind === 'enableHealth' });
        break;
      case 'newCert':
      case 'setCert':
      case 'commitCert':
      case 'addCrtList':
        break;
      default:
        return unknownAction(a);
    }
  }
  return { map, checks, servers, ...(holds ? { holds } : {}), ...(rules ? { rules } : {}) };
}

/** A new Action kind must say here how it changes HAProxy (the type check fails until it does). */
function unknownAction(action: never): never {
  throw new Error(`observed-cache: no model for action ${JSON.stringify(action)}`);
}

/** The part of the cache a pass plans against: every map, and the servers of the backends in scope. */
export function cachedScope(cache: ObservedState, backends: readonly string[] | undefined): ObservedState {
  if (!backends) return cache;
  const wanted = new Set(backends);
  return { ...cache, servers: cache.servers.filter((s) => wanted.has(s.backend)) };
}
