/**
 * @module The route tracker (issue 22): what counts as routed, as final
 * (reported, not retried) or as waiting (reported once per reason and
 * retried on a short backoff), and that its timer hands due ids back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRouteTracker, routeOutcome, type RouteFacts } from '../../src/podman/route-tracker.ts';
import { viewContainer, type ContainerView } from '../../src/podman/container-view.ts';
import type { ContainerInspectLike } from '../../src/podman/address.ts';
import { recordingLogger } from './recording-logger.ts';
import { waitFor } from '../helpers/wait.ts';

function view(state: { Running: boolean; Status: string; ExitCode?: number }, labels: Record<string, string> = { 'haproxy.domain': 'a.test', 'haproxy.port': '8080' }, network = 'host'): ContainerView {
  const inspect: ContainerInspectLike = { Id: 'abc123', Name: '/web', Config: { Labels: labels }, State: state, HostConfig: { NetworkMode: network }, NetworkSettings: { Networks: null } };
  return viewContainer(inspect);
}
const running = view({ Running: true, Status: 'running' });
const facts = (f: Partial<RouteFacts>): RouteFacts => ({ view: running, sent: 1, rejected: [], ...f });

const cases: Array<{ desc: string; facts: RouteFacts; want: string }> = [
  { desc: 'running, synced, nothing rejected', facts: facts({}), want: 'routed' },
  { desc: 'inspect failed', facts: facts({ inspectError: 'socket hang up' }), want: 'waiting: inspect failed: socket hang up' },
  { desc: 'removed', facts: { missing: true, sent: 0, rejected: [] }, want: 'final: removed before it could be routed' },
  { desc: 'exited at once (port taken)', facts: facts({ view: view({ Running: false, Status: 'exited', ExitCode: 1 }), sent: 0 }), want: 'final: not running (exited, exit code 1) before it could be routed' },
  { desc: 'not running yet', facts: facts({ view: view({ Running: false, Status: 'initialized' }), sent: 0 }), want: 'waiting: not running yet (initialized)' },
  { desc: 'bad labels', facts: facts({ view: view({ Running: true, Status: 'running' }, { 'haproxy.domain': 'a.test', 'haproxy.prot': '1' }), sent: 0 }), want: 'final: invalid labels: skipped' },
  { desc: 'disabled', facts: facts({ view: view({ Running: true, Status: 'running' }, { 'haproxy.enable': 'false' }), sent: 0 }), want: 'final: haproxy.enable=false' },
  { desc: 'no address yet', facts: facts({ view: view({ Running: true, Status: 'running' }, undefined, 'bridge'), sent: 0 }), want: 'waiting: no usable address yet' },
  { desc: 'pool full', facts: facts({ rejected: ['a.test: pool_1 is full'] }), want: 'waiting: a.test: pool_1 is full' },
  { desc: 'sync failed', facts: facts({ syncError: 'sync failed: runtime API down' }), want: 'waiting: sync failed: runtime API down' },
  { desc: 'stopping', facts: facts({ stopping: true }), want: 'final: stopping' },
];
for (const c of cases) {
  test(`routeOutcome: ${c.desc}`, () => {
    const o = routeOutcome(c.facts);
    const text = o.kind === 'routed' ? 'routed' : `${o.kind}: ${o.reason}`;
    assert.ok(text.startsWith(c.want), `${text} should start with ${c.want}`);
  });
}

test('waiting: reported once per reason, retried at 100, 200, 400 ... ms capped at 2000; routed ends it', () => {
  let now = 1000;
  const log = recordingLogger();
  const due: string[][] = [];
  const r = createRouteTracker({ now: () => now, log, onDue: (ids) => due.push(ids) });
  r.expect('a', now);
  const waits: number[] = [];
  for (let i = 0; i < 7; i++) {
    const s = r.settle('a', { kind: 'waiting', reason: 'pool full' }, now, true);
    assert.equal(s?.kind, 'waiting');
    waits.push(s!.kind === 'waiting' ? s!.retryInMs : -1);
    assert.equal(s!.kind === 'waiting' && s!.changed, i === 0, 'changed only the first time');
    now += 10;
  }
  assert.deepEqual(waits, [100, 200, 400, 800, 1600, 2000, 2000]);
  assert.deepEqual(r.due(now), []);
  assert.deepEqual(r.due(now + 2000), ['a']);
  // Settled without being inspected (another container's pass): the backoff does not grow.
  const before = r.get('a')!.attempts;
  r.settle('a', { kind: 'waiting', reason: 'pool full' }, now, false);
  assert.equal(r.get('a')!.attempts, before);
  const done = r.settle('a', { kind: 'routed' }, now + 50, true);
  assert.deepEqual(done, { kind: 'routed', afterMs: now + 50 - 1000, attempts: 7 });
  assert.equal(r.size, 0);
  r.stop();
});

test('settleAll logs each outcome once and its timer hands the due ids back', async () => {
  const log = recordingLogger();
  const due: string[][] = [];
  const r = createRouteTracker({ now: Date.now, log, onDue: (ids) => due.push(ids) }, { firstRetryMs: 20 });
  r.expect('w', Date.now());
  r.expect('x', Date.now());
  const subject = (id: string) => ({
    facts: id === 'w' ? facts({ rejected: ['a.test: pool_1 is full'] }) : facts({ view: view({ Running: false, Status: 'exited', ExitCode: 1 }) }),
    name: `web-${id}`,
    reported: false,
  });
  r.settleAll(subject, new Set(['w', 'x']));
  r.settleAll(subject, new Set());
  const warns = log.entries.filter((e) => e.level === 'warn').map((e) => e.msg);
  assert.deepEqual(warns, ['container web-w not routed yet: a.test: pool_1 is full; retrying', 'container web-x started but is not routed: not running (exited, exit code 1) before it could be routed']);
  assert.deepEqual(await waitFor(() => due[0], { timeoutMs: 2000, message: 'retry of w due' }), ['w']);
  r.stop();
});
