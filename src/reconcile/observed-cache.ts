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

type MapKind = 'addMap' | 'setMap' | 'delMap' | 'addCheck' | 'setCheck' | 'delCheck' | 'addHold' | 'setHold' | 'delHold' | 'addRule' | 'setRule' | 'delRule';

/** The map file an action edits (`rule:<name>` for a rule map), how, and the entry. */
function mapEdit(a: Extract<Action, { kind: MapKind }>): { file: string; op: 'add' | 'set' | 'del'; key: string; value?: string } {
  const op = a.kind.startsWith('add') ? 'add' : a.kind.startsWith('set') ? 'set' : 'del';
  switch (a.kind) {
    case 'addMap':
    case 'setMap':
    case 'delMap':
      return { file: 'map', op, key: a.host, ...('backend' in a ? { value: a.backend } : {}) };
    case 'addCheck':
    case 'setCheck':
    case 'delCheck':
      return { file: 'checks', op, key: a.server, ...('path' in a ? { value: a.path } : {}) };
    case 'addHold':
    case 'setHold':
    case 'delHold':
      return { file: 'holds', op, key: a.host, ...('ms' in a ? { value: String(a.ms) } : {}) };
    case 'addRule':
    case 'setRule':
    case 'delRule':
      return { file: `rule:${a.map}`, op, key: a.key, ...('value' in a ? { value: a.value } : {}) };
  }
}

/** The state HAProxy is in after it accepted every action of `actions` (certificates are observed live, not cached). */
export function applyToObserved(observed: ObservedState, actions: readonly Action[]): ObservedState {
  // Each pass edits its own copies of the lists.
  const files = new Map<string, Entry[]>([['map', [...observed.map]], ['checks', [...observed.checks]]]);
  if (observed.holds) files.set('holds', [...observed.holds]);
  for (const [name, entries] of Object.entries(observed.rules ?? {})) files.set(`rule:${name}`, [...entries]);
  const editFile = ({ file, op, key, value }: ReturnType<typeof mapEdit>) => {
    // Rule maps are modelled only when the observe read them.
    if (file.startsWith('rule:') && !observed.rules) return;
    files.set(file, editMap(files.get(file) ?? [], op, key, value));
  };
  // Copied once and indexed: a restore plans thousands of actions over thousands of slots.
  const servers = [...observed.servers];
  const index = new Map(servers.map((s, i) => [`${s.backend}/${s.server}`, i]));
  const editServer = (a: { backend: string; server: string }, edit: Partial<ObservedServer>) => {
    const i = index.get(`${a.backend}/${a.server}`);
    if (i !== undefined) servers[i] = { ...servers[i]!, ...edit };
  };
  for (const a of actions) {
    switch (a.kind) {
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
      case 'addMap':
      case 'setMap':
      case 'delMap':
      case 'addCheck':
      case 'setCheck':
      case 'delCheck':
      case 'addHold':
      case 'setHold':
      case 'delHold':
      case 'addRule':
      case 'setRule':
      case 'delRule':
        editFile(mapEdit(a));
        break;
      default:
        return unknownAction(a);
    }
  }
  const holds = files.get('holds');
  const rules = observed.rules && Object.fromEntries([...files].filter(([f]) => f.startsWith('rule:')).map(([f, entries]) => [f.slice(5), entries]));
  return { map: files.get('map')!, checks: files.get('checks')!, servers, ...(holds ? { holds } : {}), ...(rules ? { rules } : {}) };
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
