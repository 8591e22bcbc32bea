/**
 * hold.map entries: a host holds while it has a server; its path routes
 * wait with the host's hold; a host served only by path routes holds with
 * the longest of theirs (it had no entry at all, so its requests got a 503
 * at once while its only container restarted).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holdEntries } from '../../src/model/hold.ts';
import { emptyState } from '../../src/model/state.ts';
import { manualRoute } from '../helpers/state.ts';

test('hold.map: host routes by their own hold, path-only hosts by the longest of their path routes, none without servers or with hold 0', () => {
  const state = {
    ...emptyState(),
    domains: {
      'a.test': manualRoute(1, { hold: 2000 }),
      'a.test/api': manualRoute(2, { hold: 9000 }),
      'b.test/api': manualRoute(3, { hold: 3000 }),
      'b.test/web': manualRoute(4),
      'c.test/api': manualRoute(5, { hold: 0 }),
      'd.test': manualRoute(6, { servers: [] }),
    },
  };
  assert.deepEqual(Object.fromEntries(holdEntries(state)), { 'a.test': 2000, 'b.test': 5000 });
});
