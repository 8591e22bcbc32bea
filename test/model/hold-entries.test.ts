/**
 * hold.map entries: a host holds while it has a server; its path routes
 * wait with the host's hold; a host served only by path routes holds with
 * the longest of theirs (it had no entry at all, so its requests got a 503
 * at once while its only container restarted).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holdEntries } from '../../src/model/hold.ts';
import { emptyState, type DomainSpec } from '../../src/model/state.ts';

const route = (pool: number, extra: Partial<DomainSpec> = {}): DomainSpec => ({
  pool,
  source: 'manual',
  servers: [{ family: 'http', slot: 1, address: '10.0.0.1', port: 80, weight: 1, state: 'ready', source: 'manual' }],
  ...extra,
});

test('hold.map: host routes by their own hold, path-only hosts by the longest of their path routes, none without servers or with hold 0', () => {
  const state = {
    ...emptyState(),
    domains: {
      'a.test': route(1, { hold: 2000 }),
      'a.test/api': route(2, { hold: 9000 }),
      'b.test/api': route(3, { hold: 3000 }),
      'b.test/web': route(4),
      'c.test/api': route(5, { hold: 0 }),
      'd.test': route(6, { servers: [] }),
    },
  };
  assert.deepEqual(Object.fromEntries(holdEntries(state)), { 'a.test': 2000, 'b.test': 5000 });
});
