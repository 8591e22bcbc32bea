/**
 * @module syncSource (level-triggered: a source hands over its whole set):
 * slot stability, reuse of a remembered slot when a container comes back,
 * "pool full" and "no free pool" rejections with reasons, stale container
 * servers removed, a domain created by containers removed with its last
 * server, manual servers, other kinds and overrides left alone; several
 * servers of one source and family for a domain each keep their slot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syncSource, type SlotMemory } from '../../src/operations/sync-source.ts';
import * as m from '../../src/operations/mutations.ts';
import { emptyState, serverName, type Capacity, type DesiredState } from '../../src/model/state.ts';
import type { SourceServer } from '../../src/operations/types.ts';

const CAP: Capacity = { pools: 3, slots: 3 };

function c(id: string, domain = 'web.test', extra: Partial<SourceServer> = {}): SourceServer {
  return { source: `container:${id}`, domain, family: 'http', address: `10.88.0.${id.length + id.charCodeAt(0) % 200}`, port: 80, state: 'ready', ...extra };
}

/** source -> server name, for every server of every domain. */
function slots(state: DesiredState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of Object.values(state.domains)) for (const s of d.servers) out[`${s.source} ${s.family}`] = serverName(d.pool, s.family, s.slot);
  return out;
}

function run(state: DesiredState, wanted: SourceServer[], memory: SlotMemory, cap = CAP) {
  const before = structuredClone(state);
  const out = syncSource(state, cap, 'container', wanted, memory);
  assert.deepEqual(state, before, 'input state not modified');
  return out;
}

test('first sync creates the domain (owned by the container) and takes slot 1', () => {
  const memory: SlotMemory = new Map();
  const { state, rejected } = run(emptyState(), [c('a', 'web.test', { check: '/healthz', weight: 5 })], memory);
  assert.deepEqual(rejected, []);
  assert.deepEqual(state.domains['web.test'], {
    pool: 1,
    source: 'container:a',
    servers: [{ family: 'http', slot: 1, address: c('a').address, port: 80, weight: 5, state: 'ready', source: 'container:a', check: '/healthz' }],
  });
});

test('slots are stable: a server keeps its slot while others come and go, whatever the input order', () => {
  const memory: SlotMemory = new Map();
  let s = run(emptyState(), [c('a'), c('b')], memory).state;
  assert.deepEqual(slots(s), { 'container:a http': 'pool_1_1', 'container:b http': 'pool_1_2' });
  s = run(s, [c('c'), c('b'), c('a')], memory).state;
  assert.deepEqual(slots(s), { 'container:a http': 'pool_1_1', 'container:b http': 'pool_1_2', 'container:c http': 'pool_1_3' });
  s = run(s, [c('c'), c('b')], memory).state;
  assert.deepEqual(slots(s), { 'container:b http': 'pool_1_2', 'container:c http': 'pool_1_3' }, 'a left; b and c stay put');
  // Same set again: nothing changes at all.
  assert.deepEqual(run(s, [c('b'), c('c')], memory).state, s);
});

test('a container that comes back reuses its remembered slot, not the first free one', () => {
  const memory: SlotMemory = new Map();
  let s = run(emptyState(), [c('a'), c('b'), c('c')], memory).state;
  s = run(s, [c('b')], memory).state; // a (slot 1) and c (slot 3) stop
  assert.deepEqual(slots(s), { 'container:b http': 'pool_1_2' });
  s = run(s, [c('b'), c('c')], memory).state;
  assert.equal(slots(s)['container:c http'], 'pool_1_3', 'c is back in slot 3 although slot 1 is free');
  s = run(s, [c('a'), c('b'), c('c')], memory).state;
  assert.equal(slots(s)['container:a http'], 'pool_1_1');
});

test('a remembered slot taken meanwhile: the first free slot is used instead', () => {
  const memory: SlotMemory = new Map();
  let s = run(emptyState(), [c('a'), c('b')], memory).state;
  s = run(s, [c('b')], memory).state;
  s = run(s, [c('b'), c('z')], memory).state; // z takes slot 1 (a's old one)
  assert.equal(slots(s)['container:z http'], 'pool_1_1');
  s = run(s, [c('a'), c('b'), c('z')], memory).state;
  assert.equal(slots(s)['container:a http'], 'pool_1_3');
});

test('pool full: the extra server is rejected with a reason, the rest are placed', () => {
  const memory: SlotMemory = new Map();
  const out = run(emptyState(), [c('a'), c('b'), c('c'), c('d')], memory);
  assert.equal(out.state.domains['web.test']!.servers.length, 3);
  assert.equal(out.rejected.length, 1);
  assert.equal(out.rejected[0]!.server.source, 'container:d');
  assert.equal(out.rejected[0]!.reason, 'pool_1 is full: all 3 http slots of web.test are used');
});

test('no free pool: a new domain is rejected with a reason naming it; existing domains unaffected', () => {
  let s = emptyState();
  for (const d of ['a.test', 'b.test']) s = m.addDomain(s, { pools: 2, slots: 3 }, { domain: d, ip: '10.0.0.1', source: 'manual' });
  const out = run(s, [c('x', 'new.test'), c('y', 'a.test')], new Map(), { pools: 2, slots: 3 });
  assert.deepEqual(out.rejected.map((r) => [r.server.source, r.reason]), [['container:x', 'no free pool for new.test: all 2 pools are used']]);
  assert.equal(out.state.domains['new.test'], undefined);
  assert.equal(slots(out.state)['container:y http'], 'pool_1_2', 'joins a.test after its manual server in slot 1');
});

test('stale container servers are removed; manual servers and manifests in the same domain stay', () => {
  let s = m.addDomain(emptyState(), CAP, { domain: 'web.test', ip: '10.0.0.1', port: 8080, source: 'manual' });
  s = syncSource(s, CAP, 'manifest', [{ source: 'manifest:Domain/web', domain: 'web.test', family: 'http', address: '10.0.0.7', port: 80, state: 'ready' }], new Map()).state;
  const memory: SlotMemory = new Map();
  s = run(s, [c('a'), c('b')], memory).state;
  assert.deepEqual(slots(s), { 'manual http': 'pool_1_1', 'manifest:Domain/web http': 'pool_1_2', 'container:a http': 'pool_1_3' });
  s = run(s, [], memory).state;
  assert.deepEqual(slots(s), { 'manual http': 'pool_1_1', 'manifest:Domain/web http': 'pool_1_2' });
  assert.equal(s.domains['web.test']!.source, 'manual', 'a manual domain stays when its container servers go');
});

test('a domain created by containers goes with its last container server; its pool is freed', () => {
  const memory: SlotMemory = new Map();
  let s = run(emptyState(), [c('a', 'one.test'), c('b', 'one.test'), c('c', 'two.test')], memory).state;
  assert.deepEqual(Object.fromEntries(Object.entries(s.domains).map(([d, v]) => [d, v.pool])), { 'one.test': 1, 'two.test': 2 });
  s = run(s, [c('b', 'one.test'), c('c', 'two.test')], memory).state;
  assert.ok(s.domains['one.test'], 'one.test still has b');
  s = run(s, [c('c', 'two.test')], memory).state;
  assert.equal(s.domains['one.test'], undefined);
  s = run(s, [c('c', 'two.test'), c('d', 'three.test')], memory).state;
  assert.equal(s.domains['three.test']!.pool, 1, 'the freed pool is reused');
});

test('updates from the source replace address, port, weight, state and check; overrides survive', () => {
  const memory: SlotMemory = new Map();
  let s = run(emptyState(), [c('a', 'web.test', { check: '/h', weight: 2 })], memory).state;
  s = m.setServerState(s, CAP, { domain: 'web.test', slot: 1 }, 'maint', 'agent', '2026-01-01T00:00:00Z');
  s = run(s, [c('a', 'web.test', { address: '10.88.9.9', port: 9000, state: 'drain' })], memory).state;
  assert.deepEqual(s.domains['web.test']!.servers[0], {
    family: 'http',
    slot: 1,
    address: '10.88.9.9',
    port: 9000,
    weight: 1,
    state: 'drain',
    source: 'container:a',
    override: { state: 'maint', by: 'agent', at: '2026-01-01T00:00:00Z' },
  });
});

test('families are slotted separately; several domains of one container', () => {
  const memory: SlotMemory = new Map();
  const wanted = [c('a', 'web.test'), c('a', 'web.test', { family: 'ssl', port: 443 }), c('a', 'api.test'), c('b', 'web.test', { family: 'ssl', port: 443 })];
  const s = run(emptyState(), wanted, memory).state;
  assert.equal(s.domains['api.test']!.pool, 1, 'domains allocated in sorted order: api before web');
  const placed = Object.entries(s.domains).flatMap(([d, v]) => v.servers.map((x) => `${d} ${x.source} ${serverName(v.pool, x.family, x.slot)}`)).sort();
  assert.deepEqual(placed, ['api.test container:a pool_1_1', 'web.test container:a pool_2_1', 'web.test container:a pool_2_ssl_1', 'web.test container:b pool_2_ssl_2']);
});

test('one source with several servers of one family for a domain (a Domain manifest): each keeps its own slot', () => {
  const memory: SlotMemory = new Map();
  const m = (port: number, address = '10.0.0.1'): SourceServer => ({ source: 'manifest:Domain/web', domain: 'web.test', family: 'http', address, port, state: 'ready' });
  const endpoints = (state: DesiredState) =>
    Object.fromEntries(state.domains['web.test']!.servers.map((s) => [serverName(state.domains['web.test']!.pool, s.family, s.slot), `${s.address}:${s.port}`]));
  const sync = (state: DesiredState, wanted: SourceServer[]) => {
    const before = structuredClone(state);
    const out = syncSource(state, CAP, 'manifest', wanted, memory);
    assert.deepEqual(state, before, 'input state not modified');
    assert.deepEqual(out.rejected, []);
    return out.state;
  };
  let s = sync(emptyState(), [m(8001), m(8002)]);
  assert.deepEqual(endpoints(s), { pool_1_1: '10.0.0.1:8001', pool_1_2: '10.0.0.1:8002' });
  // Reordered, then a third added: nobody moves.
  s = sync(s, [m(8002), m(8001), m(8003)]);
  assert.deepEqual(endpoints(s), { pool_1_1: '10.0.0.1:8001', pool_1_2: '10.0.0.1:8002', pool_1_3: '10.0.0.1:8003' });
  // The first removed: the others keep their slots.
  s = sync(s, [m(8002), m(8003)]);
  assert.deepEqual(endpoints(s), { pool_1_2: '10.0.0.1:8002', pool_1_3: '10.0.0.1:8003' });
  // One's port edited: updated in its slot, not moved.
  s = sync(s, [m(8002), m(9003)]);
  assert.deepEqual(endpoints(s), { pool_1_2: '10.0.0.1:8002', pool_1_3: '10.0.0.1:9003' });
  // Unchanged input: the same state (level-triggered, idempotent).
  assert.deepEqual(sync(s, [m(9003), m(8002)]), s);
});
