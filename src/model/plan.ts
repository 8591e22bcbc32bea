/**
 * @module Runtime actions the reconciler plans: a discriminated union that
 * haproxy/adapter.ts turns into command strings. Certificate loads are
 * actions too (new/set/commit ssl cert, crt-list), so one runner is the only
 * writer of HAProxy's runtime state.
 */
import type { ServerState } from './names.ts';

export type Action =
  | { kind: 'addMap'; host: string; backend: string }
  | { kind: 'setMap'; host: string; backend: string }
  | { kind: 'delMap'; host: string }
  | { kind: 'addCheck'; server: string; path: string }
  | { kind: 'setCheck'; server: string; path: string }
  | { kind: 'delCheck'; server: string }
  | { kind: 'addHold'; host: string; ms: number }
  | { kind: 'setHold'; host: string; ms: number }
  | { kind: 'delHold'; host: string }
  | RuleAction
  | { kind: 'setAddr'; backend: string; server: string; address: string; port: number }
  | { kind: 'setWeight'; backend: string; server: string; weight: number }
  | { kind: 'setState'; backend: string; server: string; state: ServerState }
  | { kind: 'enableHealth'; backend: string; server: string }
  | { kind: 'disableHealth'; backend: string; server: string }
  | CertAction;

/** An entry of a rule map (model/rules.ts RULE_MAPS), by the map's name. */
export type RuleAction =
  | { kind: 'addRule'; map: string; key: string; value: string }
  | { kind: 'setRule'; map: string; key: string; value: string }
  | { kind: 'delRule'; map: string; key: string };

/** Loading a PEM without reload: `new ssl cert` (unknown file), `set` + `commit`, `add ssl crt-list` (not listed yet). */
export type CertAction =
  | { kind: 'newCert'; path: string }
  | { kind: 'setCert'; path: string; pem: string }
  | { kind: 'commitCert'; path: string }
  | { kind: 'addCrtList'; dir: string; path: string };

/** A PEM to load into HAProxy as `path`, listed in the crt-list of `dir`. */
export interface CertLoad {
  path: string;
  pem: string;
  dir: string;
}

/** Loads certificates into HAProxy (the operations layer, through the runner); `created` when HAProxy did not know the file. */
export interface CertLoader {
  loadCert(load: CertLoad): Promise<{ created: boolean }>;
}

export function isCertAction(action: Action): action is CertAction {
  return action.kind === 'newCert' || action.kind === 'setCert' || action.kind === 'commitCert' || action.kind === 'addCrtList';
}

/** Where a placeholder slot points while unused: nothing listens on port 1. */
export const PLACEHOLDER = { address: '127.0.0.1', port: 1 } as const;
