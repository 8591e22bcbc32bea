/**
 * @module Plans certificate loads: PEM wanted + what HAProxy holds -> the
 * ssl-cert actions. Pure. A file HAProxy never loaded needs `new ssl cert`
 * first, and SNI only selects it once its directory's crt-list names it.
 */
import type { ObservedCerts } from '../model/haproxy.ts';
import type { CertAction, CertLoad } from '../model/plan.ts';

/** The actions that load each of `loads` (in order; a later load of the same path wins). */
export function planCerts(loads: readonly CertLoad[], observed: ObservedCerts): CertAction[] {
  const last = new Map<string, CertLoad>();
  for (const load of loads) last.set(load.path, load);
  const known = new Set(observed.loaded);
  const actions: CertAction[] = [];
  for (const load of last.values()) {
    if (!known.has(load.path)) actions.push({ kind: 'newCert', path: load.path });
    actions.push({ kind: 'setCert', path: load.path, pem: load.pem }, { kind: 'commitCert', path: load.path });
    if (!(observed.crtLists[load.dir] ?? []).includes(load.path)) actions.push({ kind: 'addCrtList', dir: load.dir, path: load.path });
  }
  return actions;
}
