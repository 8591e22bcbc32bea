/**
 * The runner's cache of HAProxy (observed-cache.ts): the map semantics of
 * `add`/`set`/`del map`, and, against a real HAProxy, that a long run of
 * mixed changes planned from the cache (no observe between them) leaves
 * HAProxy exactly as a fresh observe says it should be: the resync after
 * them plans nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyToObserved, cachedScope } from '../../src/reconcile/observed-cache.ts';
import type { ObservedState } from '../../src/model/haproxy.ts';
import { startTestOperator, testEachHaproxy } from '../helpers/haproxy.ts';
import { deferCleanup } from '../helpers/cleanup.ts';

const server = (backend: string, n: number) => ({ backend, server: `${backend}_${n}`, address: '127.0.0.1', port: 1, state: 'maint' as const, weight: 1, healthEnabled: false });

test('observed cache: add map appends (HAProxy keeps duplicates), set map changes every entry of the key, del map removes them all; the input is not modified', () => {
  const start: ObservedState = { map: [{ key: 'a.test', value: 'pool_1' }], checks: [], holds: [], servers: [server('pool_1', 1), server('pool_2', 1)] };
  const frozen = structuredClone(start);
  const added = applyToObserved(start, [{ kind: 'addMap', host: 'a.test', backend: 'pool_2' }]);
  assert.deepEqual(added.map.map((e) => e.value), ['pool_1', 'pool_2']);
  assert.deepEqual(applyToObserved(added, [{ kind: 'setMap', host: 'a.test', backend: 'pool_3' }]).map.map((e) => e.value), ['pool_3', 'pool_3']);
  assert.deepEqual(applyToObserved(added, [{ kind: 'delMap', host: 'a.test' }]).map, []);
  const moved = applyToObserved(start, [
    { kind: 'setAddr', backend: 'pool_2', server: 'pool_2_1', address: '10.0.0.9', port: 8080 },
    { kind: 'setState', backend: 'pool_2', server: 'pool_2_1', state: 'ready' },
    { kind: 'enableHealth', backend: 'pool_2', server: 'pool_2_1' },
    { kind: 'addHold', host: 'a.test', ms: 3000 },
  ]);
  assert.deepEqual(moved.servers[1], { ...server('pool_2', 1), address: '10.0.0.9', port: 8080, state: 'ready', healthEnabled: true });
  assert.deepEqual(moved.servers[0], start.servers[0]);
  assert.deepEqual(moved.holds, [{ key: 'a.test', value: '3000' }]);
  assert.deepEqual(start, frozen, 'the cache a pass started from is not changed in place');
  assert.deepEqual(cachedScope(moved, ['pool_2']).servers.map((s) => s.server), ['pool_2_1']);
});

testEachHaproxy('observed cache: 200 mixed changes planned from the cache leave HAProxy as desired (the resync after them plans nothing)', { timeout: 120_000 }, async (t, haproxy) => {
  const op = await startTestOperator({ haproxy, pools: 6, slots: 4 });
  deferCleanup(t)(() => op.stop());
  const { ops } = op.operator;
  const hosts = ['a.cache.test', 'b.cache.test', 'c.cache.test', 'd.cache.test'];
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const calls: Array<Promise<unknown>> = [];
  for (let i = 0; i < 200; i++) {
    const domain = hosts[rnd(hosts.length)]!;
    const exists = () => !!ops.snapshot().domains[domain];
    const slot = 1 + rnd(4);
    const pick = rnd(7);
    const call =
      !exists() || pick === 0
        ? exists()
          ? ops.removeDomain({ domain })
          : ops.addDomain({ domain, ip: `10.0.${rnd(9)}.${1 + rnd(200)}`, port: 8000 + rnd(100) })
        : pick <= 2
          ? ops.addServer({ domain, slot, ip: `10.1.0.${1 + rnd(200)}`, port: 9000 + rnd(100), ...(rnd(2) ? { check: '/health' } : {}) })
          : pick === 3
            ? ops.removeServer({ domain, slot })
            : pick === 4
              ? ops.setServerState({ domain, slot, state: (['ready', 'drain', 'maint'] as const)[rnd(3)]! })
              : pick === 5
                ? ops.setServerWeight({ domain, slot, weight: 1 + rnd(200) })
                : ops.setHold({ domain, holdMs: rnd(2) ? 2000 + rnd(3000) : null });
    // A few in flight at once, so passes carry bursts; refusals (no such slot) are expected and change nothing.
    calls.push(call.catch(() => undefined));
    if (calls.length === 4) await Promise.all(calls.splice(0));
  }
  await Promise.all(calls);
  const repairs = await ops.restore();
  assert.deepEqual(repairs, [], 'HAProxy holds exactly what the cached passes meant it to');
});
