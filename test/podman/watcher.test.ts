/**
 * @module The container watcher against a real Podman (own API service,
 * busybox httpd containers) with a recording fake of the operations layer:
 * servers appear, drain then go, bad labels stay isolated, outages of the
 * Podman service and of the watcher itself converge, healthchecks gate.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startPodmanHarness, podmanSkipReason, TEST_LABEL, type PodmanHarness } from '../helpers/podman.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';
import { createContainerWatcher, type ContainerWatcher, type WatcherDeps } from '../../src/podman/watcher.ts';
import { createFakeOperations, type FakeOperations } from './fake-operations.ts';
import { recordingLogger } from './recording-logger.ts';

const skip = await podmanSkipReason();

describe('container watcher with real Podman', { skip: skip ?? false }, () => {
  let h: PodmanHarness;
  before(async () => {
    h = await startPodmanHarness();
  });
  after(async () => {
    await h?.cleanup();
  });

  function watch(t: TestContext, ops: FakeOperations, extra: Partial<WatcherDeps> = {}): { watcher: ContainerWatcher; logger: ReturnType<typeof recordingLogger> } {
    const logger = recordingLogger();
    const watcher = createContainerWatcher({
      logger,
      ops,
      socketPath: h.socketPath,
      labelSelector: `${TEST_LABEL}=${h.runId}`,
      drainPollMs: 50,
      initialBackoffMs: 50,
      maxBackoffMs: 500,
      ...extra,
    });
    t.after(() => watcher.stop());
    return { watcher, logger };
  }

  /** Removes the containers a test made, so the next test's full lists start clean. */
  function removeAfter(t: TestContext, ...ids: string[]): void {
    t.after(async () => {
      for (const id of ids) await h.remove(id).catch(() => undefined);
    });
  }

  test('a labelled container becomes one server per host; provenance container:<id>', async (t) => {
    const ops = createFakeOperations();
    const { watcher } = watch(t, ops);
    await watcher.start();
    const c = await h.run({ labels: { 'haproxy.domain': 'one.test,www.one.test', 'haproxy.weight': '7', 'haproxy.check': '/' } });
    removeAfter(t, c.id);
    const servers = await waitFor(() => (ops.current().length === 2 ? ops.current() : undefined), { message: 'two servers for one.test, www.one.test' });
    const expected = { source: `container:${c.id}`, family: 'http', address: '127.0.0.1', port: 80, state: 'ready', weight: 7, check: '/' };
    assert.deepEqual(servers, [
      { ...expected, domain: 'one.test' },
      { ...expected, domain: 'www.one.test' },
    ]);
    const [report] = watcher.listContainers();
    assert.equal(report?.name, c.name);
    assert.equal(report?.state, 'ready');
    assert.deepEqual(report?.assigned.map((a) => [a.domain, a.slot]), [['one.test', 1], ['www.one.test', 1]]);
    assert.equal(watcher.stats().watched, 1);
    assert.equal(watcher.stats().ready, 1);
    assert.ok(watcher.stats().lastSyncAt !== undefined);
  });

  test('haproxy.port on the host network: loopback and that port', async (t) => {
    const ops = createFakeOperations();
    const { watcher } = watch(t, ops);
    await watcher.start();
    const c = await h.run({ labels: { 'haproxy.domain': 'port.test' } });
    removeAfter(t, c.id);
    const d = await h.run({ labels: { 'haproxy.domain': 'port2.test', 'haproxy.port': String(c.port) } });
    removeAfter(t, d.id);
    const server = await waitFor(() => ops.serversOf('port2.test')[0], { message: 'port2.test server' });
    assert.equal(server.address, '127.0.0.1');
    assert.equal(server.port, c.port);
  });

  test('stop: the server drains until its sessions are 0, then is removed', async (t) => {
    const ops = createFakeOperations();
    const { watcher } = watch(t, ops, { drainTimeoutMs: 30_000 });
    await watcher.start();
    const c = await h.run({ labels: { 'haproxy.domain': 'drain.test' } });
    removeAfter(t, c.id);
    await waitFor(() => ops.serversOf('drain.test')[0]?.state === 'ready', { message: 'drain.test ready' });
    ops.sessions.set('127.0.0.1:80', 2);
    const syncsBefore = ops.calls.length;
    await h.stop(c.id);
    await waitFor(() => ops.serversOf('drain.test')[0]?.state === 'drain', { message: 'drain.test in drain' });
    assert.equal(watcher.listContainers()[0]?.state, 'drain');
    assert.equal(watcher.stats().draining, 1);
    // While sessions remain, it stays: let the watcher poll health a few more times.
    const callsAtDrain = ops.calls.length;
    await waitFor(() => ops.healthCalls >= 3, { message: 'three health polls during drain' });
    assert.equal(ops.serversOf('drain.test')[0]?.state, 'drain');
    assert.equal(ops.calls.length, callsAtDrain, 'no sync while waiting for sessions to end');
    ops.sessions.set('127.0.0.1:80', 0);
    await waitFor(() => ops.serversOf('drain.test').length === 0, { message: 'drain.test removed after its sessions ended' });
    assert.ok(ops.calls.length > syncsBefore);
    assert.equal(watcher.listContainers()[0]?.state, 'stopped');
    assert.equal(watcher.stats().draining, 0);
  });

  test('drain ends at the drain timeout when sessions never reach 0', async (t) => {
    const ops = createFakeOperations();
    const { watcher } = watch(t, ops, { drainTimeoutMs: 300 });
    await watcher.start();
    const c = await h.run({ labels: { 'haproxy.domain': 'slow.test' } });
    removeAfter(t, c.id);
    await waitFor(() => ops.serversOf('slow.test').length === 1, { message: 'slow.test server' });
    ops.sessions.set('127.0.0.1:80', 5);
    await h.stop(c.id);
    await waitFor(() => ops.serversOf('slow.test')[0]?.state === 'drain', { message: 'slow.test drain' });
    await waitFor(() => ops.serversOf('slow.test').length === 0, { timeoutMs: 5000, message: 'slow.test removed after the drain timeout' });
  });

  test('two containers of one domain fill two slots; a full pool is a visible condition', async (t) => {
    const ops = createFakeOperations(2);
    const { watcher } = watch(t, ops);
    await watcher.start();
    const [pa, pb, pc] = [await freePort(), await freePort(), await freePort()];
    const a = await h.run({ port: pa, labels: { 'haproxy.domain': 'pair.test', 'haproxy.port': String(pa) } });
    const b = await h.run({ port: pb, labels: { 'haproxy.domain': 'pair.test', 'haproxy.port': String(pb) } });
    removeAfter(t, a.id, b.id);
    await waitFor(() => ops.serversOf('pair.test').length === 2, { message: 'two pair.test servers' });
    assert.deepEqual(new Set(ops.serversOf('pair.test').map((s) => s.source)), new Set([`container:${a.id}`, `container:${b.id}`]));
    const c = await h.run({ port: pc, labels: { 'haproxy.domain': 'pair.test', 'haproxy.port': String(pc) } });
    removeAfter(t, c.id);
    const rejected = await waitFor(() => watcher.listContainers().find((r) => r.id === c.id && r.state === 'rejected'), { message: 'third container rejected' });
    assert.deepEqual(rejected.rejected, [{ domain: 'pair.test', reason: 'pool of pair.test is full (2 slots)' }]);
    assert.equal(watcher.stats().rejected, 1);
    assert.equal(ops.serversOf('pair.test').length, 2);
  });

  test('bad labels: skipped with field, value and hint, logged once; others routed', async (t) => {
    const ops = createFakeOperations();
    const { watcher, logger } = watch(t, ops);
    await watcher.start();
    const bad = await h.run({ labels: { 'haproxy.domain': 'bad.test', 'haproxy.prot': '8080', 'haproxy.weight': '999' } });
    const good = await h.run({ labels: { 'haproxy.domain': 'good.test' } });
    removeAfter(t, bad.id, good.id);
    await waitFor(() => ops.serversOf('good.test').length === 1, { message: 'good.test routed' });
    assert.equal(ops.serversOf('bad.test').length, 0);
    const report = await waitFor(() => watcher.explainContainer(bad.name), { message: 'explain of the bad container' });
    assert.equal(report.state, 'invalid');
    assert.deepEqual(report.errors, [
      `container ${bad.name}: label haproxy.weight="999": not a weight (0-256)`,
      `container ${bad.name}: label haproxy.prot="8080": unknown label; did you mean haproxy.port?`,
    ]);
    assert.equal(watcher.stats().invalid, 1);
    await watcher.resync();
    await watcher.resync();
    const logged = logger.entries.filter((e) => e.level === 'warn' && e.msg.includes('haproxy.prot'));
    assert.equal(logged.length, 1, 'logged once, not on every resync');
  });

  test('explain works for an unlabelled container and by id prefix', async (t) => {
    const ops = createFakeOperations();
    const { watcher } = watch(t, ops);
    await watcher.start();
    const c = await h.run({});
    removeAfter(t, c.id);
    const report = await watcher.explainContainer(c.id.slice(0, 12));
    assert.equal(report?.id, c.id);
    assert.equal(report?.state, 'unlabelled');
    assert.equal(await watcher.explainContainer('no-such-container-hop'), undefined);
  });

  test('Podman API service restarted: a container started during the outage is routed after reconnect', async (t) => {
    const ops = createFakeOperations();
    const { watcher } = watch(t, ops);
    await watcher.start();
    const first = await h.run({ labels: { 'haproxy.domain': 'outage1.test' } });
    removeAfter(t, first.id);
    await waitFor(() => ops.serversOf('outage1.test').length === 1, { message: 'outage1.test routed' });
    await h.stopService();
    await waitFor(() => !watcher.stats().connected, { message: 'watcher notices the outage' });
    const during = await h.run({ labels: { 'haproxy.domain': 'outage2.test' } });
    removeAfter(t, during.id);
    await h.stop(first.id);
    await h.startService();
    await waitFor(() => ops.serversOf('outage2.test').length === 1, { timeoutMs: 15_000, message: 'outage2.test routed after reconnect' });
    await waitFor(() => ops.serversOf('outage1.test').length === 0, { timeoutMs: 15_000, message: 'outage1.test removed after reconnect' });
    assert.ok(watcher.stats().reconnects >= 1);
    assert.equal(watcher.stats().connected, true);
    // The outage never looked like "no containers": no sync ever dropped outage1.test before it stopped.
    const dropped = ops.calls.findIndex((call) => !call.some((s) => s.domain === 'outage1.test'));
    assert.ok(ops.calls.slice(dropped).some((call) => call.some((s) => s.domain === 'outage2.test')));
  });

  test('a container removed while the watcher was down disappears on the next start', async (t) => {
    const ops = createFakeOperations();
    const first = watch(t, ops);
    await first.watcher.start();
    const gone = await h.run({ labels: { 'haproxy.domain': 'gone.test' } });
    const kept = await h.run({ labels: { 'haproxy.domain': 'kept.test' } });
    removeAfter(t, gone.id, kept.id);
    await waitFor(() => ops.current().length === 2, { message: 'both routed' });
    await first.watcher.stop();
    await h.remove(gone.id);
    const second = watch(t, ops);
    await second.watcher.start();
    await waitFor(() => ops.serversOf('gone.test').length === 0, { message: 'stale gone.test server removed' });
    assert.equal(ops.serversOf('kept.test').length, 1);
    assert.equal(ops.serversOf('kept.test')[0]?.source, `container:${kept.id}`);
  });

  test('healthcheck gates traffic: maint until healthy, maint again when unhealthy', async (t) => {
    const ops = createFakeOperations();
    const { watcher } = watch(t, ops);
    await watcher.start();
    const c = await h.run({ labels: { 'haproxy.domain': 'health.test' }, healthcheck: '[ -f /tmp/ok ]' });
    removeAfter(t, c.id);
    const state = () => ops.serversOf('health.test')[0]?.state;
    await waitFor(() => state() === 'maint', { message: 'health.test in maint while starting' });
    assert.equal(watcher.listContainers()[0]?.health, 'starting');
    assert.equal(await h.healthcheck(c.id), false);
    await waitFor(() => watcher.listContainers()[0]?.health === 'unhealthy', { message: 'unhealthy seen' });
    assert.equal(state(), 'maint');
    await h.podman(['exec', c.id, 'sh', '-c', 'echo > /tmp/ok']);
    assert.equal(await h.healthcheck(c.id), true);
    await waitFor(() => state() === 'ready', { message: 'health.test ready once healthy' });
    await h.podman(['exec', c.id, '/bin/busybox', 'rm', '/tmp/ok']);
    assert.equal(await h.healthcheck(c.id), false);
    await waitFor(() => state() === 'maint', { message: 'health.test back in maint when unhealthy (kept, not forgotten)' });
    assert.equal(ops.serversOf('health.test').length, 1);
  });
});
