/**
 * @module The desired set's drain transitions: stop, vanish, finish, restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredServers, type DesiredInput, type DrainEntry } from '../../src/podman/desired-set.ts';
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
