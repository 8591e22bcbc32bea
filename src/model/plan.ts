/**
 * @module Runtime actions the reconciler plans: a discriminated union that
 * haproxy/commands.ts turns into command strings.
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
  | { kind: 'setAddr'; backend: string; server: string; address: string; port: number }
  | { kind: 'setWeight'; backend: string; server: string; weight: number }
  | { kind: 'setState'; backend: string; server: string; state: ServerState }
  | { kind: 'enableHealth'; backend: string; server: string }
  | { kind: 'disableHealth'; backend: string; server: string };

/** Where a placeholder slot points while unused: nothing listens on port 1. */
export const PLACEHOLDER = { address: '127.0.0.1', port: 1 } as const;
