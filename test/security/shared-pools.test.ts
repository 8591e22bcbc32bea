/**
 * @module Issue 16, point 3, as the attack itself: after `import` two hosts
 * (example, www.example) route to one pool. add_server on one of them must
 * change the pool for both (one slot set, one plan that HAProxy gets), and a
 * source (container, manifest) that would change the shared slots for one
 * host only is refused naming both hosts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as m from '../../src/operations/mutations.ts';
import { syncSource } from '../../src/operations/sync-source.ts';
import { plan } from '../../src/reconcile/plan.ts';
import type { ObservedState } from '../../src/model/haproxy.ts';
import { PLACEHOLDER } from '../../src/model/plan.ts';
import type { Capacity, DesiredState } from '../../src/model/state.ts';

const CAP: Capacity = { pools: 20, slots: 3 };

function imported(): DesiredState {
  const servers = [{ family: 'http' as const, slot: 1, address: '10.0.0.1', port: 80, weight: 1, state: 'ready' as const, source: 'import' as const }];
  return { version: 1, domains: { example: { pool: 15, source: 'import', servers: structuredClone(servers) }, 'www.example': { pool: 15, source: 'import', servers: structuredClone(servers) } } };
}

/** HAProxy as the import left it: pool_15_1 serving, the other slots placeholders. */
function observed(): ObservedState {
  const servers = [1, 2, 3].map((slot) => ({
    backend: 'pool_15',
    server: `pool_15_${slot}`,
    ...(slot === 1 ? { address: '10.0.0.1', port: 80, state: 'ready' as const } : { ...PLACEHOLDER, state: 'maint' as const }),
    weight: 1,
    healthEnabled: false,
  }));
  return { map: [{ key: 'example', value: 'pool_15' }, { key: 'www.example', value: 'pool_15' }], checks: [], servers };
}

test('add_server on either host of a shared pool changes the one slot set; the plan applies it', () => {
  for (const [edited, other] of [['www.example', 'example'], ['example', 'www.example']] as const) {
    const next = m.addServer(imported(), CAP, { domain: edited, slot: 2, family: 'http', ip: '10.0.0.2', port: 8080, weight: 1, state: 'ready', source: 'manual' });
    assert.deepEqual(next.domains[other]!.servers, next.domains[edited]!.servers, `${other} sees the change made through ${edited}`);
    const actions = plan(next, observed());
    assert.ok(actions.some((a) => a.kind === 'setAddr' && a.server === 'pool_15_2' && a.address === '10.0.0.2'), `the plan for ${edited} is not empty: ${JSON.stringify(actions)}`);
    assert.ok(actions.some((a) => a.kind === 'setState' && a.server === 'pool_15_2' && a.state === 'ready'));
    assert.ok(!actions.some((a) => 'server' in a && a.server === 'pool_15_1'), `${other}'s traffic in pool_15_1 is left alone`);

    const removed = m.removeServer(next, CAP, { domain: other, slot: 2 });
    assert.deepEqual(removed.domains[edited]!.servers, removed.domains[other]!.servers);
    const drained = m.setServerState(next, CAP, { domain: other, slot: 1 }, 'drain', 'test', 'now');
    assert.equal(drained.domains[edited]!.servers.find((s) => s.slot === 1)!.state, 'drain');
  }
});

test('a container or manifest server for one host of a shared pool is refused naming both hosts; nothing changes', () => {
  const state = imported();
  const out = syncSource(state, CAP, 'container', [{ source: 'container:web', domain: 'www.example', family: 'http', address: '10.0.0.9', port: 80, state: 'ready' }], new Map());
  assert.equal(out.rejected.length, 1);
  assert.match(out.rejected[0]!.reason, /pool_15 is shared by www\.example and example/);
  assert.deepEqual(out.state, state);
});
