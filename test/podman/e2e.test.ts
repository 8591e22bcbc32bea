/**
 * @module Containers routed through a real HAProxy by the real operations
 * layer: Podman (own API service, busybox httpd) -> watcher -> operations ->
 * HAProxy Runtime API -> curl-like requests with a Host header. HAProxy is
 * never reloaded: its worker PID is the same from start to end.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describeEachHaproxy, haproxyMissing, startTestOperator, type TestOperator } from '../helpers/haproxy.ts';
import { get } from '../helpers/http.ts';
import { freePort } from '../helpers/ports.ts';
import { podmanSkipReason, startPodmanHarness, TEST_LABEL, type PodmanHarness, type TestContainer } from '../helpers/podman.ts';
import { waitFor } from '../helpers/wait.ts';
import { createContainerWatcher, type ContainerWatcher } from '../../src/podman/watcher.ts';
import { commands } from '../../src/haproxy/commands.ts';
import { parseShowStat } from '../../src/haproxy/parsers/show-stat.ts';
import { recordingLogger } from './recording-logger.ts';

const skip = haproxyMissing() ?? (await podmanSkipReason());

describeEachHaproxy('containers routed through a real HAProxy', { skip: skip ?? false }, (haproxy) => {
  let h: PodmanHarness;
  let op: TestOperator;
  let watcher: ContainerWatcher;
  let pid: number;
  let ownedStateDir: string | undefined;

  function startWatcher(): ContainerWatcher {
    return createContainerWatcher({
      logger: recordingLogger(),
      ops: op.operator.ops,
      socketPath: h.socketPath,
      labelSelector: `${TEST_LABEL}=${h.runId}`,
      drainTimeoutMs: 3000,
      drainPollMs: 50,
      initialBackoffMs: 50,
      maxBackoffMs: 500,
    });
  }

  before(async () => {
    h = await startPodmanHarness();
    op = await startTestOperator({ pools: 10, slots: 10, haproxy });
    watcher = startWatcher();
    await watcher.start();
    pid = await op.workerPid();
  });
  after(async () => {
    await watcher?.stop();
    await op?.stop();
    if (ownedStateDir) await rm(ownedStateDir, { recursive: true, force: true });
    await h?.cleanup();
  });

  /** An httpd container on the host network, labelled to serve `domain` on its own port. */
  async function app(t: TestContext, domain: string, extra: Record<string, string> = {}, healthcheck?: string): Promise<TestContainer> {
    const port = await freePort();
    const c = await h.run({ port, labels: { 'haproxy.domain': domain, 'haproxy.port': String(port), ...extra }, ...(healthcheck ? { healthcheck } : {}) });
    t.after(() => h.remove(c.id).catch(() => undefined));
    return c;
  }

  const body = async (domain: string) => {
    const reply = await get(op.httpPort, domain);
    return reply.status === 200 ? reply.body.trim() : undefined;
  };

  test('a labelled container is reached with its Host header; stopped, it drains and the domain answers 503 once its hold ran out', async (t) => {
    const c = await app(t, 'web.e2e.test', { 'haproxy.hold': '500ms' });
    assert.equal(await waitFor(() => body('web.e2e.test'), { message: 'web.e2e.test answered by the container' }), c.body);
    const servers = op.operator.ops.getDomain('web.e2e.test')?.servers ?? [];
    assert.deepEqual(servers.map((s) => [s.source, s.address, s.port, s.effectiveState]), [[`container:${c.id}`, '127.0.0.1', c.port, 'ready']]);
    await h.stop(c.id);
    await waitFor(async () => (await get(op.httpPort, 'web.e2e.test')).status === 503, { message: 'web.e2e.test answers 503 after the stop' });
    await waitFor(() => watcher.listContainers().find((r) => r.id === c.id)?.state === 'stopped', { message: 'drain finished' });
  });

  test('two containers of one domain both get traffic', async (t) => {
    const a = await app(t, 'pair.e2e.test');
    const b = await app(t, 'pair.e2e.test');
    await waitFor(() => (op.operator.ops.getDomain('pair.e2e.test')?.servers.length ?? 0) === 2, { message: 'two servers' });
    const seen = new Set<string>();
    await waitFor(
      async () => {
        const got = await body('pair.e2e.test');
        if (got) seen.add(got);
        return seen.size === 2;
      },
      { message: 'both containers answered' },
    );
    assert.deepEqual(seen, new Set([a.body, b.body]));
  });

  test('bad labels are reported with field, value and hint; other containers still routed', async (t) => {
    const bad = await app(t, 'bad.e2e.test', { 'haproxy.prot': '8080' });
    const good = await app(t, 'good.e2e.test');
    assert.equal(await waitFor(() => body('good.e2e.test'), { message: 'good.e2e.test routed' }), good.body);
    const report = await watcher.explainContainer(bad.name);
    assert.deepEqual(report?.errors, [`container ${bad.name}: label haproxy.prot="8080": unknown label; did you mean haproxy.port?`]);
    assert.equal((await get(op.httpPort, 'bad.e2e.test')).status, 503);
  });

  test('no traffic until the Podman healthcheck passes: a request meanwhile is held, then served by it', async (t) => {
    // A hold and a client patient enough for a loaded CI machine: exec, the healthcheck and its event took over 4 s there once.
    const c = await app(t, 'health.e2e.test', { 'haproxy.hold': '30s' }, '[ -f /tmp/ok ]');
    await waitFor(() => watcher.listContainers().find((r) => r.id === c.id)?.state === 'maint', { message: 'server in maint while starting' });
    let answered = false;
    const held = get(op.httpPort, 'health.e2e.test', '/', { timeoutMs: 30_000 }).finally(() => (answered = true));
    // The request is in HAProxy (a session open on its frontend; requests here close their connection) and has no answer.
    await waitFor(
      async () => {
        const [stat] = await op.operator.runtime.execute([commands.showStat()]);
        return (parseShowStat(stat ?? '').find((r) => r.proxy === 'http' && r.type === 'frontend')?.currentSessions ?? 0) > 0;
      },
      { message: 'the request held in HAProxy (a session on frontend http)' },
    );
    assert.equal(answered, false, 'not answered while the container is starting');
    await h.podman(['exec', c.id, 'sh', '-c', 'echo > /tmp/ok']);
    assert.equal(await h.healthcheck(c.id), true);
    const reply = await held;
    assert.equal(reply.status, 200, reply.body);
    assert.equal(reply.body.trim(), c.body);
  });

  test('haproxy.check: HAProxy checks the path before traffic', async (t) => {
    const c = await app(t, 'checked.e2e.test', { 'haproxy.check': '/' });
    assert.equal(await waitFor(() => body('checked.e2e.test'), { message: 'routed after the HTTP check passed' }), c.body);
    assert.equal(op.operator.ops.getDomain('checked.e2e.test')?.servers[0]?.check, '/');
  });

  test('Podman API service restarted: a container started during the outage is routed', async (t) => {
    await h.stopService();
    await waitFor(() => !watcher.stats().connected, { message: 'watcher notices the outage' });
    const c = await app(t, 'outage.e2e.test');
    await h.startService();
    assert.equal(await waitFor(() => body('outage.e2e.test'), { timeoutMs: 15_000, message: 'outage.e2e.test routed after reconnect' }), c.body);
  });

  test('operator restarted after a container was removed: its server is gone', async (t) => {
    const gone = await app(t, 'gone.e2e.test');
    const kept = await app(t, 'kept.e2e.test');
    await waitFor(async () => (await body('gone.e2e.test')) && (await body('kept.e2e.test')), { message: 'both routed' });
    const stateDir = op.stateDir;
    assert.equal(await op.workerPid(), pid, 'no reload before the operator restart');
    await watcher.stop();
    await op.stop({ keepState: true });
    await h.remove(gone.id);
    op = await startTestOperator({ pools: 10, slots: 10, stateDir, haproxy });
    // The restarted operator serves the tests that follow: its state dir goes in the suite's after().
    ownedStateDir = stateDir;
    watcher = startWatcher();
    await watcher.start();
    await waitFor(async () => (await get(op.httpPort, 'gone.e2e.test')).status === 503, { message: 'gone.e2e.test no longer routed' });
    assert.equal(await body('kept.e2e.test'), kept.body);
    const saved = await readFile(join(op.settings.confDir, 'servers.json'), 'utf8');
    assert.ok(!saved.includes(gone.id), 'servers.json has no server of the removed container');
    assert.ok(saved.includes(`container:${kept.id}`));
    pid = await op.workerPid();
  });

  test('haproxy.address=published: a bridge container is reached through its port published on 127.0.0.1', async (t) => {
    const c = await h.run({ network: 'bridge', labels: { 'haproxy.domain': 'pub.e2e.test', 'haproxy.address': 'published' } });
    t.after(() => h.remove(c.id).catch(() => undefined));
    assert.equal(await waitFor(() => body('pub.e2e.test'), { message: 'pub.e2e.test answered through the published port' }), c.body);
    const [server] = op.operator.ops.getDomain('pub.e2e.test')?.servers ?? [];
    assert.deepEqual([server?.address, server?.port], ['127.0.0.1', c.port]);
  });

  test('a bridge container without published mode gets its network address (no traffic sent there)', async (t) => {
    const c = await h.run({ network: 'bridge', labels: { 'haproxy.domain': 'net.e2e.test' } });
    t.after(() => h.remove(c.id).catch(() => undefined));
    const server = await waitFor(() => op.operator.ops.getDomain('net.e2e.test')?.servers[0], { message: 'net.e2e.test has a server' });
    const report = await watcher.explainContainer(c.id);
    assert.equal(report?.address?.mode, 'network');
    assert.notEqual(server.address, '127.0.0.1');
    assert.equal(server.address, report?.address?.address);
    assert.equal(server.port, 80);
  });

  test('pool full: with 2 slots, a third container of the domain is rejected with a clear reason, the first two still served', async (t) => {
    const small = await startTestOperator({ pools: 2, slots: 2, haproxy });
    t.after(() => small.stop());
    const w = createContainerWatcher({ logger: recordingLogger(), ops: small.operator.ops, socketPath: h.socketPath, labelSelector: `${TEST_LABEL}=${h.runId}` });
    t.after(() => w.stop());
    const cs = [await app(t, 'full.e2e.test'), await app(t, 'full.e2e.test'), await app(t, 'full.e2e.test')];
    await w.start();
    const rejected = await waitFor(() => w.listContainers().find((c) => c.state === 'rejected' && cs.some((x) => x.id === c.id)), { message: 'one container rejected' });
    assert.match(rejected.reason, /pool_1 is full: all 2 http slots of full\.e2e\.test are used/);
    const served = new Set<string>();
    await waitFor(async () => {
      const r = await get(small.httpPort, 'full.e2e.test');
      if (r.status === 200) served.add(r.body.trim());
      return served.size === 2;
    }, { message: 'both placed containers get traffic' });
    assert.ok(!served.has(cs.find((c) => c.id === rejected.id)!.body), 'the rejected container gets no traffic');
  });

  test('no reload: the HAProxy worker PID never changed', async () => {
    assert.equal(await op.workerPid(), pid);
  });
});
