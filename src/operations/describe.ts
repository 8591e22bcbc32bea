/** @module Human-readable descriptions of planned actions (for dry runs and audit) and of the drift that made them necessary. */
import type { Action } from '../model/plan.ts';
import { ruleValueText } from '../model/rules.ts';
import type { ObservedState } from '../model/haproxy.ts';

export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'addMap':
      return `route ${a.host} to ${a.backend}`;
    case 'setMap':
      return `re-route ${a.host} to ${a.backend}`;
    case 'delMap':
      return `stop routing ${a.host}`;
    case 'addCheck':
    case 'setCheck':
      return `health-check ${a.server} on ${a.path}`;
    case 'delCheck':
      return `drop the HTTP check path of ${a.server}`;
    case 'addHold':
    case 'setHold':
      return `hold requests for ${a.host} up to ${a.ms} ms while it has no server in service`;
    case 'delHold':
      return `stop holding requests for ${a.host}`;
    case 'addRule':
    case 'setRule':
      return `set rule ${a.map} of ${a.key} to ${ruleValueText(a.map, a.value)}`;
    case 'delRule':
      return `drop rule ${a.map} of ${a.key}`;
    case 'setAddr':
      return `point ${a.backend}/${a.server} at ${a.address}:${a.port}`;
    case 'setWeight':
      return `set weight of ${a.backend}/${a.server} to ${a.weight}`;
    case 'setState':
      return `set ${a.backend}/${a.server} ${a.state}`;
    case 'enableHealth':
      return `enable health checks of ${a.backend}/${a.server}`;
    case 'disableHealth':
      return `disable health checks of ${a.backend}/${a.server} (no check path)`;
    case 'newCert':
      return `create certificate store ${a.path}`;
    case 'setCert':
      return `stage certificate ${a.path}`;
    case 'commitCert':
      return `commit certificate ${a.path}`;
    case 'addCrtList':
      return `list ${a.path} in crt-list ${a.dir} (served by SNI)`;
  }
}

/**
 * What HAProxy had that made `a` necessary, for the drift-repair warning:
 * `pool_1/pool_1_1 was maint (want ready)`, `map entry a.test missing (want pool_1)`.
 */
export function describeDrift(a: Action, observed: ObservedState): string {
  const server = 'server' in a && 'backend' in a ? observed.servers.find((s) => s.backend === a.backend && s.server === a.server) : undefined;
  const mapValue = 'host' in a ? observed.map.filter((e) => e.key === a.host).map((e) => e.value) : [];
  switch (a.kind) {
    case 'addMap':
      return mapValue.length > 1 ? `map entry ${a.host} duplicated (${mapValue.join(', ')}; want ${a.backend})` : `map entry ${a.host} missing (want ${a.backend})`;
    case 'setMap':
      return `${a.host} routed to ${mapValue.join(', ') || 'nothing'} (want ${a.backend})`;
    case 'delMap':
      return `map entry ${a.host} -> ${mapValue.join(', ')} present (want none)`;
    case 'setState':
      return `${a.backend}/${a.server} was ${server?.state ?? 'unknown'} (want ${a.state})`;
    case 'setAddr':
      return `${a.backend}/${a.server} pointed at ${server ? `${server.address}:${server.port}` : 'unknown'} (want ${a.address}:${a.port})`;
    case 'setWeight':
      return `${a.backend}/${a.server} weight was ${server?.weight ?? 'unknown'} (want ${a.weight})`;
    case 'enableHealth':
    case 'disableHealth':
      return `${a.backend}/${a.server} health checks ${server?.healthEnabled ? 'enabled' : 'disabled'} (want ${a.kind === 'enableHealth' ? 'enabled' : 'disabled'})`;
    case 'addCheck':
    case 'setCheck':
    case 'delCheck':
      return `check path of ${a.server} was ${observed.checks.filter((e) => e.key === a.server).map((e) => e.value).join(', ') || 'none'} (want ${'path' in a ? a.path : 'none'})`;
    case 'addHold':
    case 'setHold':
    case 'delHold':
      return `hold of ${a.host} was ${(observed.holds ?? []).filter((e) => e.key === a.host).map((e) => `${e.value} ms`).join(', ') || 'none'} (want ${'ms' in a ? `${a.ms} ms` : 'none'})`;
    case 'addRule':
    case 'setRule':
    case 'delRule':
      return `rule ${a.map} of ${a.key} was ${(observed.rules?.[a.map] ?? []).filter((e) => e.key === a.key).map((e) => ruleValueText(a.map, e.value)).join(', ') || 'none'} (want ${'value' in a ? ruleValueText(a.map, a.value) : 'none'})`;
    case 'newCert':
    case 'setCert':
    case 'commitCert':
    case 'addCrtList':
      // Certificates are loaded by their own passes, never repaired by a resync.
      return describeAction(a);
  }
}
