/**
 * @module Pure desired-state edits: the original's port logic, first free
 * pool, pool exhaustion as a CapacityError, slot range as a ValidationError,
 * ownership conflicts, and the precedence rule for manual state and weight
 * on servers owned by a container (an override that holds until cleared;
 * `ready` clears it; HAProxy gets the more restrictive state). Every error
 * leaves the input state as it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as m from '../../src/operations/mutations.ts';
import { CapacityError, ConflictError, NotFoundError, ValidationError } from '../../src/model/errors.ts';
import { effectiveState, effectiveWeight, emptyState, type Capacity, type DesiredState } from '../../src/model/state.ts';
import { domainView } from '../../src/operations/views.ts';
import { syncSource } from '../../src/operations/sync-source.ts';

const CAP: Capacity = { pools: 3, slots: 10 };
const AT = '2026-01-01T00:00:00.000Z';

function names(state: DesiredState, domain: string): string[] {
  return domainView(domain, state.domains[domain]!).servers.map((s) => `${s.name} ${s.address}:${s.port}`);
}

/** Runs `fn` on a state and checks the state is unchanged afterwards, whatever happens. */
function unchanged<T>(state: DesiredState, fn: (s: DesiredState) => T): T {
  const before = structuredClone(state);
  try {
    return fn(state);
  } finally {
    assert.deepEqual(state, before, 'input state not modified');
  }
}

test("port logic of haproxy_add_domain: no port, 80 or 443 give three servers; another port gives pool_N_1 only", () => {
  const table: Array<{ port: number | undefined; want: string[] }> = [
    { port: undefined, want: ['pool_1_1 10.0.0.5:80', 'pool_1_h3_1 10.0.0.5:443', 'pool_1_ssl_1 10.0.0.5:443'] },
    { port: 80, want: ['pool_1_1 10.0.0.5:80', 'pool_1_h3_1 10.0.0.5:443', 'pool_1_ssl_1 10.0.0.5:443'] },
    { port: 443, want: ['pool_1_1 10.0.0.5:80', 'pool_1_h3_1 10.0.0.5:443', 'pool_1_ssl_1 10.0.0.5:443'] },
    { port: 8080, want: ['pool_1_1 10.0.0.5:8080'] },
    { port: 1, want: ['pool_1_1 10.0.0.5:1'] },
  ];
  for (const row of table) {
    const next = unchanged(emptyState(), (s) => m.addDomain(s, CAP, { domain: 'a.test', ip: '10.0.0.5', port: row.port, source: 'manual' } as never));
    assert.deepEqual(names(next, 'a.test').sort(), row.want, `port ${row.port}`);
    assert.ok(next.domains['a.test']!.servers.every((s) => s.state === 'ready' && s.weight === 1 && s.slot === 1));
  }
});

test('pools: first free number; a freed pool is reused; exhaustion is a CapacityError naming the domain and the count', () => {
  let s = emptyState();
  for (const d of ['a.test', 'b.test', 'c.test']) s = m.addDomain(s, CAP, { domain: d, ip: '10.0.0.1', source: 'manual' });
  assert.deepEqual(Object.entries(s.domains).map(([d, v]) => `${d}:${v.pool}`), ['a.test:1', 'b.test:2', 'c.test:3']);
  const full = s;
  assert.throws(
    () => unchanged(full, (x) => m.addDomain(x, CAP, { domain: 'd.test', ip: '10.0.0.1', source: 'manual' })),
    (e: unknown) => e instanceof CapacityError && e.message === 'domain="d.test": no free pool (all 3 pools are used)',
  );
  s = m.removeDomain(s, 'b.test');
  s = m.addDomain(s, CAP, { domain: 'd.test', ip: '10.0.0.1', source: 'manual' });
  assert.equal(s.domains['d.test']!.pool, 2);
});

test('conflicts and missing things are typed errors naming the input', () => {
  const s = m.addDomain(emptyState(), CAP, { domain: 'a.test', ip: '10.0.0.1', source: 'manual' });
  assert.throws(() => unchanged(s, (x) => m.addDomain(x, CAP, { domain: 'a.test', ip: '10.0.0.2', source: 'manual' })), (e: unknown) => e instanceof ConflictError && /a\.test.*already routed to pool_1/.test((e as Error).message));
  assert.throws(() => unchanged(s, (x) => m.removeDomain(x, 'nope.test')), (e: unknown) => e instanceof NotFoundError && /"nope\.test"/.test((e as Error).message));
  assert.throws(() => unchanged(s, (x) => m.removeServer(x, CAP, { domain: 'a.test', slot: 4 })), (e: unknown) => e instanceof NotFoundError && /slot=4/.test((e as Error).message));
  assert.throws(
    () => unchanged(s, (x) => m.addServer(x, CAP, { domain: 'nope.test', slot: 1, family: 'http', ip: '10.0.0.1', port: 80, weight: 1, state: 'ready', source: 'manual' })),
    NotFoundError,
  );
});

test('slot out of range is a ValidationError naming slot and value', () => {
  const s = m.addDomain(emptyState(), CAP, { domain: 'a.test', ip: '10.0.0.1', source: 'manual' });
  for (const slot of [0, 11, -1, 1.5]) {
    const calls: Array<() => unknown> = [
      () => m.addServer(s, CAP, { domain: 'a.test', slot, family: 'http', ip: '10.0.0.1', port: 80, weight: 1, state: 'ready', source: 'manual' }),
      () => m.removeServer(s, CAP, { domain: 'a.test', slot }),
      () => m.setServerState(s, CAP, { domain: 'a.test', slot }, 'drain', 'me', AT),
      () => m.setServerWeight(s, CAP, { domain: 'a.test', slot }, 5, 'me', AT),
      () => m.clearOverride(s, CAP, { domain: 'a.test', slot }),
    ];
    for (const call of calls) {
      assert.throws(() => unchanged(s, call as never), (e: unknown) => e instanceof ValidationError && e.field === 'slot' && e.value === slot && e.message.startsWith(`slot=${slot}: not a slot (1-10)`), `slot ${slot}`);
    }
  }
});

test('addServer fills or replaces a slot; removeServer without family empties every family of the slot', () => {
  let s = m.addDomain(emptyState(), CAP, { domain: 'a.test', ip: '10.0.0.1', source: 'manual' });
  s = m.addServer(s, CAP, { domain: 'a.test', slot: 2, family: 'http', ip: '10.0.0.2', port: 8080, weight: 3, state: 'drain', check: '/h', source: 'manual' });
  s = m.addServer(s, CAP, { domain: 'a.test', slot: 1, family: 'http', ip: '10.0.0.9', port: 81, weight: 1, state: 'ready', source: 'manual' });
  assert.deepEqual(names(s, 'a.test'), ['pool_1_h3_1 10.0.0.1:443', 'pool_1_1 10.0.0.9:81', 'pool_1_ssl_1 10.0.0.1:443', 'pool_1_2 10.0.0.2:8080']);
  assert.deepEqual(s.domains['a.test']!.servers.find((x) => x.slot === 2), { family: 'http', slot: 2, address: '10.0.0.2', port: 8080, weight: 3, state: 'drain', check: '/h', source: 'manual' });
  s = m.removeServer(s, CAP, { domain: 'a.test', slot: 1 });
  assert.deepEqual(names(s, 'a.test'), ['pool_1_2 10.0.0.2:8080']);
});

/** a.test (manual) with one container server in http slot 1. */
function containerDomain(): DesiredState {
  const memory = new Map<string, number>();
  return syncSource(emptyState(), CAP, 'container', [{ source: 'container:web', domain: 'a.test', family: 'http', address: '10.88.0.5', port: 80, state: 'ready' }], memory).state;
}

test('precedence: a manual drain or maint on a container server is an override that holds until cleared', () => {
  let s = containerDomain();
  s = m.setServerState(s, CAP, { domain: 'a.test', slot: 1 }, 'drain', 'agent-1', AT);
  let server = s.domains['a.test']!.servers[0]!;
  assert.equal(server.state, 'ready', "the container's own state is kept");
  assert.deepEqual(server.override, { state: 'drain', by: 'agent-1', at: AT });
  assert.equal(effectiveState(server), 'drain');

  // The container reports again (level-triggered resync): the override holds.
  s = syncSource(s, CAP, 'container', [{ source: 'container:web', domain: 'a.test', family: 'http', address: '10.88.0.6', port: 80, state: 'ready' }], new Map()).state;
  server = s.domains['a.test']!.servers[0]!;
  assert.equal(server.address, '10.88.0.6');
  assert.equal(effectiveState(server), 'drain', 'still drained after a resync');

  s = m.setServerState(s, CAP, { domain: 'a.test', slot: 1 }, 'maint', 'agent-2', AT);
  assert.equal(effectiveState(s.domains['a.test']!.servers[0]!), 'maint');

  // `ready` clears the override state.
  s = m.setServerState(s, CAP, { domain: 'a.test', slot: 1 }, 'ready', 'agent-2', AT);
  assert.equal(s.domains['a.test']!.servers[0]!.override, undefined);
  assert.equal(effectiveState(s.domains['a.test']!.servers[0]!), 'ready');
});

test('precedence: the effective state is the more restrictive of source and override', () => {
  const base = containerDomain().domains['a.test']!.servers[0]!;
  const table: Array<{ source: 'ready' | 'drain' | 'maint'; override?: 'ready' | 'drain' | 'maint'; want: string }> = [
    { source: 'ready', want: 'ready' },
    { source: 'drain', want: 'drain' },
    { source: 'ready', override: 'drain', want: 'drain' },
    { source: 'ready', override: 'maint', want: 'maint' },
    { source: 'maint', override: 'drain', want: 'maint' },
    { source: 'drain', override: 'maint', want: 'maint' },
    { source: 'maint', override: 'ready', want: 'maint' },
    { source: 'drain', override: 'drain', want: 'drain' },
  ];
  for (const row of table) {
    const s = { ...base, state: row.source, ...(row.override ? { override: { state: row.override } } : {}) };
    assert.equal(effectiveState(s), row.want, `source ${row.source} + override ${row.override}`);
  }
});

test('precedence: weight override on a container server, cleared by clearOverride; manual servers are edited directly', () => {
  let s = containerDomain();
  s = m.setServerWeight(s, CAP, { domain: 'a.test', slot: 1 }, 0, 'agent', AT);
  const server = s.domains['a.test']!.servers[0]!;
  assert.equal(server.weight, 1);
  assert.equal(effectiveWeight(server), 0);
  s = m.clearOverride(s, CAP, { domain: 'a.test', slot: 1 });
  assert.equal(s.domains['a.test']!.servers[0]!.override, undefined);
  assert.equal(effectiveWeight(s.domains['a.test']!.servers[0]!), 1);

  let manual = m.addDomain(emptyState(), CAP, { domain: 'b.test', ip: '10.0.0.1', port: 8080, source: 'manual' });
  manual = m.setServerState(manual, CAP, { domain: 'b.test', slot: 1 }, 'maint', 'me', AT);
  manual = m.setServerWeight(manual, CAP, { domain: 'b.test', slot: 1 }, 7, 'me', AT);
  assert.deepEqual(manual.domains['b.test']!.servers[0], { family: 'http', slot: 1, address: '10.0.0.1', port: 8080, weight: 7, state: 'maint', source: 'manual' });
});

test('a container server cannot be removed by hand; nor can a domain holding one', () => {
  const s = containerDomain();
  assert.throws(() => unchanged(s, (x) => m.removeServer(x, CAP, { domain: 'a.test', slot: 1 })), (e: unknown) => e instanceof ConflictError && /container:web/.test((e as Error).message));
  assert.throws(() => unchanged(s, (x) => m.removeDomain(x, 'a.test')), (e: unknown) => e instanceof ConflictError && /container:web/.test((e as Error).message));
  assert.throws(
    () => unchanged(s, (x) => m.addServer(x, CAP, { domain: 'a.test', slot: 1, family: 'http', ip: '10.0.0.1', port: 80, weight: 1, state: 'ready', source: 'manual' })),
    (e: unknown) => e instanceof ConflictError && /slot=1: pool_1_1 belongs to container:web/.test((e as Error).message),
  );
});

test('an edit copies only the domains it touches: the others are the very objects of the state before (the runner and the change log rule them out by identity), and the state before is unchanged', () => {
  let s = m.addDomain(emptyState(), CAP, { domain: 'a.test', ip: '10.0.0.1', source: 'manual' });
  s = m.addDomain(s, CAP, { domain: 'b.test', ip: '10.0.0.2', source: 'manual' });
  // c.test shares b.test's pool: an edit of b.test's slots is an edit of c.test's too.
  s = { ...s, domains: { ...s.domains, 'c.test': { ...s.domains['b.test']!, servers: structuredClone(s.domains['b.test']!.servers) } } };
  const next = unchanged(s, (st) => m.addServer(st, CAP, { domain: 'b.test', slot: 2, family: 'http', ip: '10.0.0.9', port: 8080, weight: 1, state: 'ready', source: 'manual' }));
  assert.equal(next.domains['a.test'], s.domains['a.test'], 'a.test untouched: shared');
  assert.notEqual(next.domains['b.test'], s.domains['b.test']);
  assert.notEqual(next.domains['c.test'], s.domains['c.test'], 'the pool sharer got its own copy');
  assert.deepEqual(names(next, 'c.test').filter((n) => n.includes('_2 ')), ['pool_2_2 10.0.0.9:8080']);
  const held = unchanged(next, (st) => m.setHold(st, 'a.test', 5000));
  assert.equal(held.domains['b.test'], next.domains['b.test']);
  assert.equal(held.domains['a.test']!.holdOverride, 5000);
});
