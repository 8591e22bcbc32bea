/**
 * @module The reconciler, table-driven (one `desc` per case): each case
 * gives desired and observed state and the exact ordered actions. Every
 * case is then applied to a simulated HAProxy and planned again, which must
 * give [] (idempotence). Separate tests check ordering rules and that a
 * change to one domain never names another domain's servers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plan } from '../../src/reconcile/plan.ts';
import type { ObservedServer, ObservedState } from '../../src/model/haproxy.ts';
import type { Action } from '../../src/model/plan.ts';
import { backendName, emptyState, serverName, type DesiredState, type DomainSpec, type ServerSpec } from '../../src/model/state.ts';
import type { Family } from '../../src/model/names.ts';

const SLOTS = 2;
const FAMILIES: Family[] = ['http', 'ssl', 'h3'];

/** What HAProxy shows right after start: disabled placeholders at 127.0.0.1:1 (check_state 14: enabled, paused). */
function placeholders(pools: number[]): ObservedServer[] {
  return pools.flatMap((pool) =>
    FAMILIES.flatMap((family) =>
      Array.from({ length: SLOTS }, (_, i) => ({ backend: backendName(pool, family), server: serverName(pool, family, i + 1), address: '127.0.0.1', port: 1, state: 'maint' as const, weight: 1, healthEnabled: true })),
    ),
  );
}

function fresh(pools: number[], map: ObservedState['map'] = []): ObservedState {
  return { map, checks: [], servers: placeholders(pools) };
}

function srv(family: Family, slot: number, address: string, port: number, extra: Partial<ServerSpec> = {}): ServerSpec {
  return { family, slot, address, port, weight: 1, state: 'ready', source: 'manual', ...extra };
}

function state(domains: Record<string, DomainSpec>): DesiredState {
  return { ...emptyState(), domains };
}

const threeDefaults = (ip: string) => [srv('http', 1, ip, 80), srv('ssl', 1, ip, 443), srv('h3', 1, ip, 443)];

/** Applies actions to an observed state the way HAProxy 2.6 would. */
function simulate(observed: ObservedState, actions: readonly Action[]): ObservedState {
  const next = structuredClone(observed);
  const find = (backend: string, server: string) => {
    const s = next.servers.find((x) => x.backend === backend && x.server === server);
    if (!s) throw new Error(`simulated HAProxy: No such server ${backend}/${server}`);
    return s;
  };
  for (const a of actions) {
    switch (a.kind) {
      case 'addMap':
        next.map.push({ key: a.host, value: a.backend });
        break;
      case 'setMap': {
        const hits = next.map.filter((e) => e.key === a.host);
        if (hits.length === 0) throw new Error(`simulated HAProxy: set map ${a.host}: entry not found`);
        for (const e of hits) e.value = a.backend;
        break;
      }
      case 'delMap':
        next.map = next.map.filter((e) => e.key !== a.host);
        break;
      case 'addCheck':
        next.checks.push({ key: a.server, value: a.path });
        break;
      case 'setCheck':
        for (const e of next.checks) if (e.key === a.server) e.value = a.path;
        break;
      case 'delCheck':
        next.checks = next.checks.filter((e) => e.key !== a.server);
        break;
      case 'setAddr':
        Object.assign(find(a.backend, a.server), { address: a.address, port: a.port });
        break;
      case 'setWeight':
        find(a.backend, a.server).weight = a.weight;
        break;
      case 'setState':
        find(a.backend, a.server).state = a.state;
        break;
      case 'enableHealth':
        find(a.backend, a.server).healthEnabled = true;
        break;
      case 'disableHealth':
        find(a.backend, a.server).healthEnabled = false;
        break;
    }
  }
  return next;
}

/** HAProxy after the desired state was applied once: the observed state a change starts from. */
function settled(desired: DesiredState, pools: number[]): ObservedState {
  const start = fresh(pools);
  return simulate(start, plan(desired, start));
}

const A = state({ 'a.test': { pool: 1, source: 'manual', servers: threeDefaults('10.0.0.1') } });
const ACustom = state({ 'a.test': { pool: 1, source: 'manual', servers: [srv('http', 1, '10.0.0.1', 8080)] } });
const withServer = (s: ServerSpec) => state({ 'a.test': { pool: 1, source: 'manual', servers: [s] } });
const one = withServer(srv('http', 1, '10.0.0.1', 80));

const CASES: Array<{ desc: string; desired: DesiredState; observed: ObservedState; want: Action[] }> = [
  { desc: 'nothing desired, fresh HAProxy: nothing to do', desired: emptyState(), observed: fresh([1, 2]), want: [] },
  {
    desc: 'empty -> one domain with the 3 default servers; map entry last',
    desired: A,
    observed: fresh([1]),
    want: [
      { kind: 'setAddr', backend: 'pool_1', server: 'pool_1_1', address: '10.0.0.1', port: 80 },
      { kind: 'disableHealth', backend: 'pool_1', server: 'pool_1_1' },
      { kind: 'setState', backend: 'pool_1', server: 'pool_1_1', state: 'ready' },
      { kind: 'setAddr', backend: 'pool_1_ssl', server: 'pool_1_ssl_1', address: '10.0.0.1', port: 443 },
      { kind: 'disableHealth', backend: 'pool_1_ssl', server: 'pool_1_ssl_1' },
      { kind: 'setState', backend: 'pool_1_ssl', server: 'pool_1_ssl_1', state: 'ready' },
      { kind: 'setAddr', backend: 'pool_1_h3', server: 'pool_1_h3_1', address: '10.0.0.1', port: 443 },
      { kind: 'disableHealth', backend: 'pool_1_h3', server: 'pool_1_h3_1' },
      { kind: 'setState', backend: 'pool_1_h3', server: 'pool_1_h3_1', state: 'ready' },
      { kind: 'addMap', host: 'a.test', backend: 'pool_1' },
    ],
  },
  {
    desc: 'custom port: one HTTP server only',
    desired: ACustom,
    observed: fresh([1]),
    want: [
      { kind: 'setAddr', backend: 'pool_1', server: 'pool_1_1', address: '10.0.0.1', port: 8080 },
      { kind: 'disableHealth', backend: 'pool_1', server: 'pool_1_1' },
      { kind: 'setState', backend: 'pool_1', server: 'pool_1_1', state: 'ready' },
      { kind: 'addMap', host: 'a.test', backend: 'pool_1' },
    ],
  },
  {
    desc: 'removing a domain: map entry first, then each server to maint and back to the placeholder',
    desired: emptyState(),
    observed: settled(ACustom, [1]),
    want: [
      { kind: 'delMap', host: 'a.test' },
      { kind: 'setState', backend: 'pool_1', server: 'pool_1_1', state: 'maint' },
      { kind: 'setAddr', backend: 'pool_1', server: 'pool_1_1', address: '127.0.0.1', port: 1 },
    ],
  },
  {
    desc: 'changing the address of a ready server: address only',
    desired: withServer(srv('http', 1, '10.0.0.2', 81)),
    observed: settled(one, [1]),
    want: [{ kind: 'setAddr', backend: 'pool_1', server: 'pool_1_1', address: '10.0.0.2', port: 81 }],
  },
  {
    desc: 'IPv6 address',
    desired: withServer(srv('http', 1, '2001:db8::7', 80)),
    observed: settled(one, [1]),
    want: [{ kind: 'setAddr', backend: 'pool_1', server: 'pool_1_1', address: '2001:db8::7', port: 80 }],
  },
  {
    desc: 'weight',
    desired: withServer(srv('http', 1, '10.0.0.1', 80, { weight: 0 })),
    observed: settled(one, [1]),
    want: [{ kind: 'setWeight', backend: 'pool_1', server: 'pool_1_1', weight: 0 }],
  },
  {
    desc: 'state drain',
    desired: withServer(srv('http', 1, '10.0.0.1', 80, { state: 'drain' })),
    observed: settled(one, [1]),
    want: [{ kind: 'setState', backend: 'pool_1', server: 'pool_1_1', state: 'drain' }],
  },
  {
    desc: 'state maint',
    desired: withServer(srv('http', 1, '10.0.0.1', 80, { state: 'maint' })),
    observed: settled(one, [1]),
    want: [{ kind: 'setState', backend: 'pool_1', server: 'pool_1_1', state: 'maint' }],
  },
  {
    desc: 'back to ready from drain',
    desired: one,
    observed: settled(withServer(srv('http', 1, '10.0.0.1', 80, { state: 'drain' })), [1]),
    want: [{ kind: 'setState', backend: 'pool_1', server: 'pool_1_1', state: 'ready' }],
  },
  {
    desc: 'override maint on a container server wins over its ready state; override weight used',
    desired: withServer(srv('http', 1, '10.0.0.1', 80, { source: 'container:web', override: { state: 'maint', weight: 9 } })),
    observed: settled(one, [1]),
    want: [
      { kind: 'setState', backend: 'pool_1', server: 'pool_1_1', state: 'maint' },
      { kind: 'setWeight', backend: 'pool_1', server: 'pool_1_1', weight: 9 },
    ],
  },
  {
    desc: 'check path added: map entry, then health enabled',
    desired: withServer(srv('http', 1, '10.0.0.1', 80, { check: '/healthz' })),
    observed: settled(one, [1]),
    want: [
      { kind: 'addCheck', server: 'pool_1_1', path: '/healthz' },
      { kind: 'enableHealth', backend: 'pool_1', server: 'pool_1_1' },
    ],
  },
  {
    desc: 'check path changed',
    desired: withServer(srv('http', 1, '10.0.0.1', 80, { check: '/ready' })),
    observed: settled(withServer(srv('http', 1, '10.0.0.1', 80, { check: '/healthz' })), [1]),
    want: [{ kind: 'setCheck', server: 'pool_1_1', path: '/ready' }],
  },
  {
    desc: 'check path removed: map entry dropped, health disabled',
    desired: one,
    observed: settled(withServer(srv('http', 1, '10.0.0.1', 80, { check: '/healthz' })), [1]),
    want: [
      { kind: 'delCheck', server: 'pool_1_1' },
      { kind: 'disableHealth', backend: 'pool_1', server: 'pool_1_1' },
    ],
  },
  {
    desc: 'duplicate check entries: deleted and added once',
    desired: withServer(srv('http', 1, '10.0.0.1', 80, { check: '/healthz' })),
    observed: (() => {
      const o = settled(withServer(srv('http', 1, '10.0.0.1', 80, { check: '/healthz' })), [1]);
      o.checks.push({ key: 'pool_1_1', value: '/old' });
      return o;
    })(),
    want: [
      { kind: 'delCheck', server: 'pool_1_1' },
      { kind: 'addCheck', server: 'pool_1_1', path: '/healthz' },
    ],
  },
  {
    desc: 'duplicate map entries (add map does not dedupe): delete then add once',
    desired: one,
    observed: (() => {
      const o = settled(one, [1]);
      o.map.push({ key: 'a.test', value: 'pool_7' });
      return o;
    })(),
    want: [
      { kind: 'delMap', host: 'a.test' },
      { kind: 'addMap', host: 'a.test', backend: 'pool_1' },
    ],
  },
  {
    desc: 'map entry pointing at the wrong pool: set map',
    desired: one,
    observed: (() => {
      const o = settled(one, [1]);
      o.map[0]!.value = 'pool_2';
      return o;
    })(),
    want: [{ kind: 'setMap', host: 'a.test', backend: 'pool_1' }],
  },
  {
    desc: 'stray map entry for an unknown host: deleted',
    desired: one,
    observed: (() => {
      const o = settled(one, [1]);
      o.map.unshift({ key: 'stale.test', value: 'pool_3' });
      return o;
    })(),
    want: [{ kind: 'delMap', host: 'stale.test' }],
  },
  {
    desc: 'non-slot servers (the MCP backend) are never touched',
    desired: emptyState(),
    observed: { map: [], checks: [], servers: [{ backend: 'mcp_operator', server: 'operator', address: '127.0.0.9', port: 0, state: 'ready', weight: 1, healthEnabled: false }] },
    want: [],
  },
];

for (const c of CASES) {
  test(`plan: ${c.desc}`, () => {
    const actions = plan(c.desired, c.observed);
    assert.deepEqual(actions, c.want);
    const after = simulate(c.observed, actions);
    assert.deepEqual(plan(c.desired, after), [], 'planning again after applying gives []');
  });
}

test('plan is pure: inputs are not modified', () => {
  const observed = fresh([1]);
  const copyO = structuredClone(observed);
  const copyD = structuredClone(A);
  plan(A, observed);
  assert.deepEqual(observed, copyO);
  assert.deepEqual(A, copyD);
});

const AB = state({
  'a.test': { pool: 1, source: 'manual', servers: threeDefaults('10.0.0.1') },
  'b.test': { pool: 2, source: 'manual', servers: [srv('http', 1, '10.0.0.2', 8080, { check: '/h' }), srv('http', 2, '10.0.0.3', 8080, { weight: 5 })] },
});

function names(actions: Action[]): string[] {
  return actions.map((a) => ('server' in a ? a.server : 'host' in a ? a.host : 'key' in a ? a.key : a.path));
}

test('foreign backends untouched: changing a.test never names a server or host of b.test', () => {
  const observed = settled(AB, [1, 2, 3]);
  const changes: Array<{ desc: string; edit: (d: DesiredState) => void }> = [
    { desc: 'address', edit: (d) => (d.domains['a.test']!.servers[0]!.address = '10.0.0.9') },
    { desc: 'state', edit: (d) => (d.domains['a.test']!.servers[1]!.state = 'drain') },
    { desc: 'weight', edit: (d) => (d.domains['a.test']!.servers[2]!.weight = 3) },
    { desc: 'check', edit: (d) => (d.domains['a.test']!.servers[0]!.check = '/x') },
    { desc: 'new server', edit: (d) => d.domains['a.test']!.servers.push(srv('http', 2, '10.0.0.8', 80)) },
    { desc: 'remove domain', edit: (d) => delete d.domains['a.test'] },
  ];
  for (const change of changes) {
    const desired = structuredClone(AB);
    change.edit(desired);
    const actions = plan(desired, observed);
    assert.ok(actions.length > 0, `${change.desc}: something to do`);
    const touched = names(actions);
    assert.ok(touched.every((n) => n === 'a.test' || n.startsWith('pool_1_')), `${change.desc}: only a.test/pool_1 named, got ${touched.join(', ')}`);
    assert.deepEqual(plan(desired, simulate(observed, actions)), [], `${change.desc}: idempotent`);
  }
});

test('ordering: a new domain is routed only after its servers are ready; a removed one is unrouted first', () => {
  const add = plan(AB, fresh([1, 2]));
  const lastReady = Math.max(...add.flatMap((a, i) => (a.kind === 'setState' && a.state === 'ready' ? [i] : [])));
  const firstMap = add.findIndex((a) => a.kind === 'addMap');
  assert.ok(firstMap > lastReady, `map add at ${firstMap} after the last ready at ${lastReady}`);
  assert.deepEqual(add.filter((a) => a.kind === 'addMap').map((a) => (a as { host: string }).host), ['a.test', 'b.test']);
  // Into service: address and health before `ready`.
  for (const server of ['pool_2_1', 'pool_2_2']) {
    const mine = add.filter((a) => 'server' in a && a.server === server);
    assert.equal(mine.at(-1)?.kind, 'setState', `${server}: ready comes last`);
  }

  const remove = plan(state({}), settled(AB, [1, 2]));
  assert.deepEqual(remove.slice(0, 2).map((a) => a.kind), ['delMap', 'delMap'], 'unrouted before any server changes');
  // Out of service: maint before the address goes back to the placeholder.
  for (const server of ['pool_1_1', 'pool_2_1']) {
    const mine = remove.filter((a) => 'server' in a && a.server === server).map((a) => a.kind);
    assert.deepEqual(mine.slice(0, 2), ['setState', 'setAddr'], server);
  }
});

test('idempotence on a larger state: many domains, mixed changes, applied twice', () => {
  const desired = state({});
  for (let pool = 1; pool <= 20; pool++) {
    desired.domains[`d${pool}.test`] = {
      pool,
      source: 'manual',
      servers: pool % 3 === 0 ? threeDefaults(`10.0.${pool}.1`) : [srv('http', 1, `10.0.${pool}.1`, 8000 + pool, { check: pool % 2 ? '/h' : undefined } as Partial<ServerSpec>), srv('http', 2, `10.0.${pool}.2`, 8000 + pool, { state: pool % 4 ? 'ready' : 'drain', weight: pool })],
    };
    if (!desired.domains[`d${pool}.test`]!.servers[0]!.check) delete desired.domains[`d${pool}.test`]!.servers[0]!.check;
  }
  const pools = Array.from({ length: 20 }, (_, i) => i + 1);
  const observed = settled(desired, pools);
  assert.deepEqual(plan(desired, observed), []);
  assert.equal(observed.map.length, 20);
});
