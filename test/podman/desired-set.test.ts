/**
 * @module The desired set's drain transitions: stop, vanish, finish, restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredServers, endReplaced, type DesiredInput, type DrainEntry } from '../../src/podman/desired-set.ts';
import type { ContainerView } from '../../src/podman/container-view.ts';
import type { SourceServer } from '../../src/operations/types.ts';

const server = (id: string, state: SourceServer['state'] = 'ready'): SourceServer => ({
  source: `container:${id}`,
  domain: `${id}.test`,
  family: 'http',
  address: '127.0.0.1',
  port: 80,
  state,
});

function view(id: string, running: boolean): ContainerView {
  return { id, name: id, labels: {}, decision: 'valid', problems: [], errors: [], running, status: running ? 'running' : 'exited', reason: '', servers: running ? [server(id)] : [] };
}

test('running containers give their servers; no drain', () => {
  const drains = new Map<string, DrainEntry>();
  const got = desiredServers(new Map([['a', { view: view('a', true) }]]), new Map(), drains, 1000);
  assert.deepEqual(got, { servers: [server('a')], drainStarted: [] });
  assert.equal(drains.size, 0);
});

test('a stop event while running drains the sent servers from the time of the event', () => {
  const drains = new Map<string, DrainEntry>();
  const containers = new Map<string, DesiredInput>([['a', { view: view('a', true), stoppingSince: 900 }]]);
  const got = desiredServers(containers, new Map([['a', [server('a')]]]), drains, 1000);
  assert.deepEqual(got, { servers: [server('a', 'drain')], drainStarted: ['a'] });
  assert.deepEqual(drains.get('a'), { servers: [server('a', 'drain')], since: 900, done: false, name: 'a', holdUntil: 900 });
});

test('a vanished container drains; once done it is dropped', () => {
  const drains = new Map<string, DrainEntry>();
  const sent = new Map([['a', [server('a')]]]);
  assert.deepEqual(desiredServers(new Map(), sent, drains, 1000).servers, [server('a', 'drain')]);
  // Still draining on the next pass, not started again.
  assert.deepEqual(desiredServers(new Map(), new Map([['a', [server('a', 'drain')]]]), drains, 1100), { servers: [server('a', 'drain')], drainStarted: [] });
  drains.get('a')!.done = true;
  assert.deepEqual(desiredServers(new Map(), new Map([['a', [server('a', 'drain')]]]), drains, 1200), { servers: [], drainStarted: [] });
  assert.equal(drains.size, 0);
});

test('a finished drain of a container still stopping stays closed', () => {
  const drains = new Map<string, DrainEntry>([['a', { servers: [server('a', 'drain')], since: 0, done: true }]]);
  const containers = new Map<string, DesiredInput>([['a', { view: view('a', true), stoppingSince: 0 }]]);
  assert.deepEqual(desiredServers(containers, new Map(), drains, 1000).servers, []);
  assert.equal(drains.get('a')?.done, true);
});

test('a container started again during its drain gets its servers back', () => {
  const drains = new Map<string, DrainEntry>([['a', { servers: [server('a', 'drain')], since: 0, done: false }]]);
  const got = desiredServers(new Map([['a', { view: view('a', true) }]]), new Map([['a', [server('a', 'drain')]]]), drains, 1000);
  assert.deepEqual(got.servers, [server('a')]);
  assert.equal(drains.size, 0);
});

test('a stopped container that never had servers gives nothing', () => {
  const drains = new Map<string, DrainEntry>();
  assert.deepEqual(desiredServers(new Map([['a', { view: view('a', false) }]]), new Map(), drains, 1000), { servers: [], drainStarted: [] });
});

/** Container `b` named like the stopped `a` (run --replace, auto-update), on `port`, in `state`. */
function successor(port: number, state: SourceServer['state'] = 'ready'): DesiredInput {
  const s = { ...server('a', state), source: 'container:b', port };
  return { view: { ...view('b', true), name: 'a', servers: [s] } };
}

test('a successor on the same address takes the stopped container\'s slots (replaces) and ends its drain', () => {
  const drains = new Map<string, DrainEntry>([['a', { servers: [server('a', 'drain')], since: 0, done: false, name: 'a', holdUntil: 5000 }]]);
  const got = desiredServers(new Map([['b', successor(80)]]), new Map([['a', [server('a', 'drain')]]]), drains, 1000);
  assert.deepEqual(got.servers, [{ ...server('a'), source: 'container:b', replaces: 'container:a' }]);
  assert.equal(drains.size, 0);
});

test('a successor on another address gets slots of its own; the old ones stay (in drain) until endReplaced', () => {
  const drains = new Map<string, DrainEntry>([['a', { servers: [server('a', 'drain')], since: 0, done: false, name: 'a', holdUntil: 5000 }]]);
  const got = desiredServers(new Map([['b', successor(81)]]), new Map([['a', [server('a', 'drain')]]]), drains, 1000);
  assert.deepEqual(got.servers, [{ ...server('a'), source: 'container:b', port: 81 }, server('a', 'drain')]);
  assert.deepEqual(drains.get('a'), { servers: [server('a', 'drain')], since: 0, done: false, name: 'a', holdUntil: 1000, replaced: true });
});

test('a successor on another address that is not in service yet (health-gated) takes the slots as on the same address', () => {
  const drains = new Map<string, DrainEntry>([['a', { servers: [server('a', 'drain')], since: 0, done: false, name: 'a', holdUntil: 5000 }]]);
  const got = desiredServers(new Map([['b', successor(81, 'maint')]]), new Map([['a', [server('a', 'drain')]]]), drains, 1000);
  assert.deepEqual(got.servers, [{ ...server('a', 'maint'), source: 'container:b', port: 81, replaces: 'container:a' }]);
  assert.equal(drains.size, 0);
});

test('endReplaced ends only the drains whose successor is on another address (after the sync that applied it), sessions or not', () => {
  const drains = new Map<string, DrainEntry>([
    ['a', { servers: [server('a', 'drain')], since: 0, done: false, name: 'a', holdUntil: 1000, replaced: true }],
    ['b', { servers: [server('b', 'drain')], since: 0, done: false, name: 'b', holdUntil: 1000 }],
  ]);
  assert.equal(endReplaced(drains), true);
  assert.deepEqual([drains.get('a')!.done, drains.get('b')!.done], [true, false]);
  assert.equal(endReplaced(drains), false, 'nothing left to end');
});
