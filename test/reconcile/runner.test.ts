/**
 * @module The reconcile runner against a recording port (the real adapter
 * adds nothing here; test/integration covers it over a real HAProxy):
 * requests during a pass coalesce into one next pass with one save, a
 * caller's promise settles only after its change was saved and applied, a
 * failed save rolls back and fails only its burst, a pass observes only the
 * backends it touches and a resync observes all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRunner } from '../../src/reconcile/runner.ts';
import { emptyState, type DesiredState } from '../../src/model/state.ts';
import type { ObserveScope, ObservedState, ReconcilePort } from '../../src/model/haproxy.ts';
import type { Action } from '../../src/model/plan.ts';
import { RuntimeCommandError } from '../../src/model/errors.ts';
import type { ServerState } from '../../src/model/names.ts';

interface Recorder {
  port: ReconcilePort;
  events: string[];
  scopes: ObserveScope[];
  applied: Action[][];
  /** Makes the next observe wait until the returned function is called. */
  holdObserve(): () => void;
  failWith?: Error;
  /** The fake's connection epoch: bump it to say HAProxy may be a new process. */
  epoch: number;
}

/** HAProxy's backends in the fake: pool_1 .. pool_9, each with slot 1. */
const BACKENDS = Array.from({ length: 9 }, (_, i) => `pool_${i + 1}`);

/** A fake HAProxy that keeps what it was told (the map and each backend's slot 1), so a later observe sees earlier applies. */
function recorder(): Recorder {
  const map: Array<{ key: string; value: string }> = [];
  const slots = new Map(BACKENDS.map((backend) => [backend, { backend, server: `${backend}_1`, address: '127.0.0.1', port: 1, state: 'maint' as ServerState, weight: 1, healthEnabled: false }]));
  const r: Recorder = {
    events: [],
    scopes: [],
    applied: [],
    holdObserve: () => () => undefined,
    epoch: 1,
    port: {
      async observe(scope) {
        r.events.push('observe');
        r.scopes.push(scope);
        await hold;
        if (r.failWith) throw r.failWith;
        const servers = [...slots.values()].filter((s) => !scope.backends || scope.backends.includes(s.backend)).map((s) => ({ ...s }));
        const observed: ObservedState = { map: [...map], checks: [], servers };
        if (scope.crtLists) observed.certs = { loaded: ['/c/old.pem'], crtLists: { '/c': ['/c/old.pem'] } };
        return observed;
      },
      async apply(actions) {
        r.events.push(`apply ${actions.length}`);
        r.applied.push([...actions]);
        if (r.failWith) throw r.failWith;
        for (const a of actions) {
          if (a.kind === 'addMap') map.push({ key: a.host, value: a.backend });
          const slot = 'backend' in a ? slots.get(a.backend) : undefined;
          if (slot && a.kind === 'setAddr') Object.assign(slot, { address: a.address, port: a.port });
          if (slot && a.kind === 'setState') slot.state = a.state;
        }
      },
      commandOf: (a) => a.kind,
      epoch: () => r.epoch,
    },
  };
  let hold: Promise<void> = Promise.resolve();
  r.holdObserve = () => {
    let release!: () => void;
    hold = new Promise((resolve) => (release = resolve));
    return () => {
      hold = Promise.resolve();
      release();
    };
  };
  return r;
}

function withDomain(state: DesiredState, host: string, pool: number, port = 80): DesiredState {
  const next = structuredClone(state);
  next.domains[host] = { pool, source: 'manual', servers: [{ family: 'http', slot: 1, address: '10.0.0.1', port, weight: 1, state: 'ready', source: 'manual' }] };
  return next;
}

test('runner: changes made while a pass runs coalesce into one next pass, saved once; each caller settles after its pass applied', async () => {
  const r = recorder();
  const saves: DesiredState[] = [];
  const runner = createRunner({ initial: emptyState(), save: async (s) => void (saves.push(s), r.events.push('save')), haproxy: r.port });
  const release = r.holdObserve();
  const first = runner.change((s) => withDomain(s, 'a.test', 1));
  // Let the first pass start and block in observe.
  while (r.events.length < 2) await new Promise((resolve) => setImmediate(resolve));
  const settled: string[] = [];
  const later = ['b.test', 'c.test', 'd.test'].map((host, i) => {
    const c = runner.change((s) => withDomain(s, host, i + 2));
    void c.done.then(() => settled.push(host));
    return c;
  });
  assert.deepEqual(Object.keys(runner.desired().domains).sort(), ['a.test', 'b.test', 'c.test', 'd.test'], 'desired state has every change at once');
  release();
  const outcome = await first.done;
  assert.equal(outcome.applied, true);
  assert.deepEqual(settled, [], 'later changes are not settled by the first pass');
  await Promise.all(later.map((c) => c.done));
  assert.equal(saves.length, 2, 'two passes, two saves: the burst of three was one save');
  assert.deepEqual(Object.keys(saves[1]!.domains).sort(), ['a.test', 'b.test', 'c.test', 'd.test']);
  assert.deepEqual(r.events, ['save', 'observe', 'apply 3', 'save', 'apply 9'], 'saved (while the first pass observed) before applied; the second pass plans from what the first saw and did');
  const [b] = later;
  const bOutcome = await b!.done;
  assert.ok(bOutcome.actions.every((a) => JSON.stringify(a).includes('pool_2') || ('host' in a && a.host === 'b.test')), `b's outcome lists only its own actions: ${JSON.stringify(bOutcome.actions)}`);
  assert.deepEqual(bOutcome.actions.map((a) => a.kind), ['setAddr', 'setState', 'addMap']);
});

test('runner: the first pass observes everything; later passes plan from what it saw and did, and leave HAProxy equal to the desired state', async () => {
  const r = recorder();
  const runner = createRunner({ initial: withDomain(emptyState(), 'a.test', 1), save: async () => undefined, haproxy: r.port });
  await runner.change((s) => withDomain(s, 'b.test', 7)).done;
  assert.deepEqual(r.scopes, [{}], 'no backend list: all of them');
  await runner.change((s) => withDomain(s, 'a.test', 1, 8080)).done;
  await runner.change((s) => withDomain(withDomain(s, 'c.test', 3), 'b.test', 7, 9090)).done;
  assert.equal(r.scopes.length, 1, 'no observe while the connection that saw HAProxy is the same');
  assert.deepEqual(r.applied.at(-1)!.map((a) => `${a.kind} ${'backend' in a ? a.backend : ''}`).sort(), ['addMap pool_3', 'setAddr pool_3', 'setAddr pool_7', 'setState pool_3'], 'only the changed slots and the new host');
  const { actions } = await runner.resync();
  assert.deepEqual(r.scopes.at(-1), {}, 'a resync observes every backend');
  assert.deepEqual(actions, [], 'the passes planned from the cache left HAProxy exactly as desired');
});

test('runner: a pass observes only the backends its changes touch when it must ask HAProxy (after a refused command)', async () => {
  const r = recorder();
  const runner = createRunner({ initial: emptyState(), save: async () => undefined, haproxy: r.port });
  await runner.change((s) => withDomain(s, 'a.test', 1)).done;
  r.failWith = new RuntimeCommandError('HAProxy refused 1 of 1 commands: No such server.', 'set server x');
  await assert.rejects(runner.change((s) => withDomain(s, 'b.test', 2)).done, /No such server/);
  r.failWith = undefined;
  await runner.change((s) => withDomain(s, 'c.test', 3)).done;
  assert.deepEqual(r.scopes.at(-1), {}, 'behind after the refusal: the next pass observes and repairs everything');
  assert.deepEqual(r.applied.at(-1)!.filter((a) => a.kind === 'addMap').map((a) => 'host' in a && a.host), ['b.test', 'c.test'], 'b.test, saved but refused, is applied too');
  await runner.change((s) => withDomain(s, 'd.test', 4)).done;
  assert.equal(r.scopes.length, 2, 'the repair pass saw everything: the next one plans from the cache');
});

test('runner: when the connection to HAProxy changed (a restart may have lost its state), the next pass observes everything again', async () => {
  const r = recorder();
  const runner = createRunner({ initial: emptyState(), save: async () => undefined, haproxy: r.port });
  await runner.change((s) => withDomain(s, 'a.test', 1)).done;
  await runner.change((s) => withDomain(s, 'b.test', 2)).done;
  assert.equal(r.scopes.length, 1);
  r.epoch += 1;
  await runner.change((s) => withDomain(s, 'c.test', 3)).done;
  assert.deepEqual(r.scopes, [{}, {}], 'a new connection: observed everything');
});

test('runner: a failed save fails its burst and rolls the desired state back; nothing is applied; the next change succeeds', async () => {
  const r = recorder();
  let fail = true;
  const runner = createRunner({
    initial: emptyState(),
    save: async () => {
      if (fail) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    },
    haproxy: r.port,
  });
  const a = runner.change((s) => withDomain(s, 'a.test', 1));
  await assert.rejects(a.done, /ENOSPC/);
  assert.deepEqual(runner.desired(), emptyState(), 'rolled back');
  assert.deepEqual(r.events.filter((e) => e.startsWith('apply')), [], 'nothing applied to HAProxy');
  fail = false;
  const b = runner.change((s) => withDomain(s, 'b.test', 2));
  assert.equal((await b.done).applied, true);
  assert.deepEqual(Object.keys(runner.desired().domains), ['b.test']);
});

test('runner: changes queued behind a failed save are replayed on the saved state; one that no longer applies fails alone', async () => {
  const r = recorder();
  let saves = 0;
  let releaseSave!: () => void;
  const firstSave = new Promise<void>((resolve) => (releaseSave = resolve));
  const runner = createRunner({
    initial: emptyState(),
    save: async () => {
      saves += 1;
      if (saves === 1) {
        await firstSave;
        throw new Error('EIO');
      }
    },
    haproxy: r.port,
  });
  const a = runner.change((s) => withDomain(s, 'a.test', 1));
  while (saves === 0) await new Promise((resolve) => setImmediate(resolve));
  // Needs a.test to exist: fails once a.test is rolled back.
  const needsA = runner.change((s) => {
    if (!s.domains['a.test']) throw new Error('a.test: no such domain');
    return withDomain(s, 'a.test', 1, 9090);
  });
  const independent = runner.change((s) => withDomain(s, 'c.test', 3));
  releaseSave();
  await assert.rejects(a.done, /EIO/);
  await assert.rejects(needsA.done, /no such domain/);
  assert.equal((await independent.done).applied, true);
  assert.deepEqual(Object.keys(runner.desired().domains), ['c.test']);
});

test('runner: HAProxy unreachable: the change is saved and reported not applied; a refused command fails the caller', async () => {
  const r = recorder();
  const saved: DesiredState[] = [];
  const runner = createRunner({ initial: emptyState(), save: async (s) => void saved.push(s), haproxy: r.port });
  r.failWith = new RuntimeCommandError('runtime API 127.0.0.1:1: connect ECONNREFUSED');
  const a = await runner.change((s) => withDomain(s, 'a.test', 1)).done;
  assert.deepEqual(a, { actions: [], applied: false });
  assert.ok(saved.at(-1)?.domains['a.test'], 'saved anyway');
  await assert.rejects(runner.resync(), /ECONNREFUSED/, 'a resync while unreachable fails');
  r.failWith = new RuntimeCommandError('HAProxy refused 1 of 1 commands: No such server.', 'set server x');
  await assert.rejects(runner.change((s) => withDomain(s, 'b.test', 2)).done, /No such server/);
});

test('runner: certificate loads are plan actions: new store only for an unknown file, crt-list only when not listed', async () => {
  const r = recorder();
  const runner = createRunner({ initial: emptyState(), save: async () => undefined, haproxy: r.port });
  const [fresh, known] = await Promise.all([
    runner.loadCert({ path: '/c/new.pem', pem: 'PEM', dir: '/c' }),
    runner.loadCert({ path: '/c/old.pem', pem: 'PEM', dir: '/c' }),
  ]);
  assert.deepEqual(fresh, { created: true });
  assert.deepEqual(known, { created: false });
  assert.deepEqual(r.scopes, [{ backends: [], crtLists: ['/c'] }], 'one pass for both loads');
  assert.deepEqual(
    r.applied.map((batch) => batch.map((a) => a.kind)),
    [[], ['newCert', 'setCert', 'commitCert', 'addCrtList'], ['setCert', 'commitCert']],
  );
});

test('runner: a dry run (preview) plans against HAProxy and changes nothing', async () => {
  const r = recorder();
  const saves: DesiredState[] = [];
  const runner = createRunner({ initial: emptyState(), save: async (s) => void saves.push(s), haproxy: r.port });
  const actions = await runner.preview(withDomain(emptyState(), 'a.test', 4));
  assert.deepEqual(actions.map((a) => a.kind), ['setAddr', 'setState', 'addMap']);
  assert.deepEqual(r.scopes, [{ backends: ['pool_4', 'pool_4_ssl', 'pool_4_h3'] }]);
  assert.deepEqual(saves, []);
  assert.deepEqual(runner.desired(), emptyState());
  assert.ok(r.events.every((e) => e === 'observe'), 'nothing applied');
});
