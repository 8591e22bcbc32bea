/** @module Human-readable descriptions of planned actions (for dry runs and audit). */
import type { Action } from '../model/plan.ts';

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
