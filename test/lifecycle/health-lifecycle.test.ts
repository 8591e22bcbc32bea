/**
 * Unit tests of the parts-health registry (fake clock: warn when a part goes
 * down, repeated at most every repeatMs, info on recovery, the metric, the
 * /readyz text) and of the lifecycle (stop during start, late registrations,
 * forced stop). Real-process behaviour is in the other files of this folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createHealth } from '../../src/health.ts';
import { createLifecycle, StartAborted } from '../../src/lifecycle.ts';
import { captureRootLogger } from '../log/capture.ts';

test('health: down is warned once, repeated after repeatMs, recovery at info; metric and readiness follow', async () => {
  const log = captureRootLogger('debug');
  const registry = new Registry();
  let clock = 0;
  let reason: string | undefined;
  const health = createHealth({ logger: log.logger, registry, repeatMs: 180_000, now: () => clock });
  health.add({ part: 'podman', check: () => reason });
  health.add({ part: 'haproxy', check: () => Promise.reject(new Error('Runtime API not answering')) });
  await health.poll();
  assert.equal(health.readiness(), 'haproxy: Runtime API not answering');
  reason = 'watcher disconnected';
  for (clock = 1000; clock <= 400_000; clock += 1000) await health.poll();
  assert.equal(log.count('podman is down'), 1);
  assert.equal(log.count('podman is still down'), 2, 'at 181 s and 361 s: at most every 3 minutes');
  assert.equal(health.readiness(), 'podman: watcher disconnected; haproxy: Runtime API not answering');
  assert.match(await registry.metrics(), /haproxy_operator_part_up\{part="podman"\} 0/);
  reason = undefined;
  await health.poll();
  const recovered = log.events().filter((e) => e.msg === 'podman recovered');
  assert.equal(recovered.length, 1);
  assert.equal(recovered[0]!.level, 30);
  assert.match(await registry.metrics(), /haproxy_operator_part_up\{part="podman"\} 1/);
  assert.equal(health.readiness(), 'haproxy: Runtime API not answering');
});

test('lifecycle: a stop during start runs what was registered, later registrations at once, check() unwinds the start', async () => {
  const life = createLifecycle();
  const order: string[] = [];
  life.onStop(() => void order.push('lock'));
  life.onStop(async () => {
    await new Promise((r) => setTimeout(r, 20));
    order.push('haproxy');
  });
  const stopping = life.stop();
  // Registered by a start step that was in flight while the stop ran.
  life.onStop(() => void order.push('late'));
  await stopping;
  await life.stop();
  // Reverse order of registration; the late step runs in the same pass, before the lock is released.
  assert.deepEqual(order, ['haproxy', 'late', 'lock']);
  assert.throws(() => life.check(), StartAborted);
  assert.equal(life.startFailed, false);
});

test('lifecycle: force() kills every registered child at once, even while a stop is waiting', async () => {
  const life = createLifecycle();
  const killed: string[] = [];
  life.onForce(() => void killed.push('haproxy'));
  life.onForce(() => void killed.push('podman'));
  let release!: () => void;
  life.onStop(() => new Promise<void>((r) => (release = r)));
  const stopping = life.stop();
  life.force();
  assert.deepEqual(killed.sort(), ['haproxy', 'podman']);
  release();
  await stopping;
});

test('health: a live check is evaluated at every readiness(), between polls', async () => {
  const log = captureRootLogger('debug');
  let reason: string | undefined;
  const health = createHealth({ logger: log.logger });
  health.add({ part: 'podman', live: true, check: () => reason });
  await health.poll();
  assert.equal(health.readiness(), true);
  reason = 'the Podman API service is not answering';
  assert.equal(health.readiness(), 'podman: the Podman API service is not answering', 'seen without waiting for a poll');
  reason = undefined;
  assert.equal(health.readiness(), true);
  assert.equal(log.count('podman is down'), 1);
  assert.equal(log.count('podman recovered'), 1);
});
