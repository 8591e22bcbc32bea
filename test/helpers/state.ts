/**
 * @module Desired-state fixtures: a manual route with one ready http server
 * in slot 1 (10.0.0.1:80), the shape most state tests start from.
 */
import type { DomainSpec } from '../../src/model/state.ts';

/** A manual route of `pool` with one ready server; `extra` overrides fields (hold, rules, servers...). */
export function manualRoute(pool: number, extra: Partial<DomainSpec> = {}): DomainSpec {
  return {
    pool,
    source: 'manual',
    servers: [{ family: 'http', slot: 1, address: '10.0.0.1', port: 80, weight: 1, state: 'ready', source: 'manual' }],
    ...extra,
  };
}
