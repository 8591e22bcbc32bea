/**
 * @module Redeploys under load lose no request (issue 19): a single-replica
 * domain restarted (`podman restart`), replaced (`podman run --replace`, a
 * new id and a new port under the same name), restarted as a Quadlet unit is
 * (`podman rm -f`, then `podman run --replace` on the same port: also what
 * `podman auto-update` has systemd do) and rolled blue/green (a second
 * container checked healthy, then the first stopped),
 * with real Podman, the real watcher and a real HAProxy, under HTTP/1.1
 * keep-alive and HTTP/2-over-TLS load. Each asserts 0 failed requests and
 * that the held requests were released to the new server. A domain with
 * hold 0 shows what happens without it (503s), so the assertions can fail.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachHaproxy, haproxyMissing } from '../helpers/haproxy.ts';
import { get } from '../helpers/http.ts';
import { freePort } from '../helpers/ports.ts';
import { podmanSkipReason, type TestContainer } from '../helpers/podman.ts';
import { waitFor } from '../helpers/wait.ts';
import { useWatchedOperator } from '../helpers/watched-operator.ts';
import { describeFailures, startLoad, type LoadResult } from './load.ts';

const skip = haproxyMissing() ?? (await podmanSkipReason());

describeEachHaproxy('redeploys under load', { skip: skip ?? false }, (haproxy) => {
  const suite = useWatchedOperator({ pools: 10, slots: 10, haproxy, watcher: { drainPollMs: 50 } });

  async function app(t: TestContext, domain: string, opts: { replace?: string; body?: string; labels?: Record<string, string> } = {}): Promise<TestContainer> {
    const port = await freePort();
    const c = await suite.h.run({ port, graceful: true, ...(opts.replace ? { replace: opts.replace } : {}), ...(opts.body ? { body: opts.body } : {}), labels: { 'haproxy.domain': domain, 'haproxy.port': String(port), ...opts.labels } });
    t.after(() => suite.h.remove(c.id).catch(() => undefined));
    return c;
  }

  const served = (domain: string, body: string) =>
    waitFor(async () => (await get(suite.op.httpPort, domain)).body.trim() === body, { timeoutMs: 10_000, message: `${domain} served by ${body}` });

  /** HTTP/1.1 and HTTP/2 load on `domain` around `change`; the results of both. */
  async function underLoad(domain: string, change: () => Promise<void>): Promise<LoadResult[]> {
    const loads = [startLoad({ port: suite.op.httpPort, host: domain, connections: 3 }), startLoad({ port: suite.op.httpsPort, host: domain, connections: 2, h2: true })];
    await Promise.all(loads.map((l) => l.progress(50)));
    await change();
    await Promise.all(loads.map((l) => l.progress(100)));
    return Promise.all(loads.map((l) => l.stop()));
  }

  /** The apps stop gracefully (they finish the responses under way): every failure is the proxy's. */
  function assertNoFailure(results: LoadResult[], newBody: string): void {
    for (const [i, r] of results.entries()) {
      const what = i === 0 ? 'HTTP/1.1' : 'HTTP/2 over TLS';
      assert.equal(r.failed, 0, `${what}: ${describeFailures(r)}`);
      assert.ok((r.bodies.get(newBody) ?? 0) > 0, `${what}: the new server answered (${describeFailures(r)})`);
    }
  }

  test('podman restart of the only container: 0 failed requests, held ones go to the restarted process', async (t) => {
    const c = await app(t, 'restart.redeploy.test');
    await served('restart.redeploy.test', c.body);
    const results = await underLoad('restart.redeploy.test', () => suite.h.podman(['restart', '-t', '2', c.name]).then(() => undefined));
    assertNoFailure(results, c.body);
  });

  test('podman run --replace (new id, new port, same name): 0 failed; the new container gets its own slot and the old one leaves once it is in service', async (t) => {
    const old = await app(t, 'replace.redeploy.test', { body: 'old' });
    await served('replace.redeploy.test', 'old');
    let fresh: TestContainer | undefined;
    const results = await underLoad('replace.redeploy.test', async () => {
      fresh = await app(t, 'replace.redeploy.test', { replace: old.name, body: 'new' });
    });
    assertNoFailure(results, 'new');
    await waitFor(() => suite.op.operator.ops.getDomain('replace.redeploy.test')!.servers.length === 1, { timeoutMs: 5000, message: 'the old slot left' });
    const servers = suite.op.operator.ops.getDomain('replace.redeploy.test')!.servers;
    assert.deepEqual(servers.map((s) => [s.source, s.port]), [[`container:${fresh!.id}`, fresh!.port]]);
  });

  test('Quadlet unit restart (its ExecStop then ExecStart: podman rm -f, podman run --replace of the same name and port): 0 failed, the new container takes the old slot', async (t) => {
    const port = await freePort();
    const labels = { 'haproxy.domain': 'quadlet.redeploy.test', 'haproxy.port': String(port) };
    const old = await suite.h.run({ port, body: 'old', labels, graceful: true });
    t.after(() => suite.h.remove(old.id).catch(() => undefined));
    await served('quadlet.redeploy.test', 'old');
    const slot = suite.op.operator.ops.getDomain('quadlet.redeploy.test')!.servers[0]!.slot;
    let fresh: TestContainer | undefined;
    const results = await underLoad('quadlet.redeploy.test', async () => {
      await suite.h.podman(['rm', '-f', '-t', '2', old.name]);
      fresh = await suite.h.run({ port, replace: old.name, body: 'new', labels, graceful: true });
      t.after(() => suite.h.remove(fresh!.id).catch(() => undefined));
    });
    assertNoFailure(results, 'new');
    // The load may end before Podman's start event of the new container reached the watcher.
    const servers = () => suite.op.operator.ops.getDomain('quadlet.redeploy.test')!.servers.map((s) => [s.source, s.port, s.slot]);
    await waitFor(() => servers()[0]?.[0] === `container:${fresh!.id}`, { timeoutMs: 10_000, message: 'the new container synced' });
    assert.deepEqual(servers(), [[`container:${fresh!.id}`, port, slot]]);
  });

  test('blue/green: a second container checked healthy, then the first stopped: 0 failed', async (t) => {
    const blue = await app(t, 'bg.redeploy.test', { body: 'blue', labels: { 'haproxy.check': '/' } });
    await served('bg.redeploy.test', 'blue');
    const results = await underLoad('bg.redeploy.test', async () => {
      await app(t, 'bg.redeploy.test', { body: 'green', labels: { 'haproxy.check': '/' } });
      await waitFor(() => suite.op.operator.ops.health('bg.redeploy.test').then((rows) => rows.filter((r) => r.status.startsWith('UP')).length === 2), {
        timeoutMs: 10_000,
        message: 'green passed its HAProxy check',
      });
      await suite.h.podman(['stop', '-t', '2', blue.name]);
    });
    assertNoFailure(results, 'green');
  });

  test('a request sent while the only container is stopped is held and answered by it once started; with hold 0 it gets the 503 at once', async (t) => {
    const held = await app(t, 'held.redeploy.test');
    const off = await app(t, 'off.redeploy.test', { labels: { 'haproxy.hold': '0' } });
    await served('held.redeploy.test', held.body);
    await served('off.redeploy.test', off.body);
    assert.equal(suite.op.operator.ops.getDomain('off.redeploy.test')!.holdMs, 0);
    await Promise.all([suite.h.podman(['stop', '-t', '2', held.name]), suite.h.podman(['stop', '-t', '2', off.name])]);
    await waitFor(() => suite.op.operator.ops.getDomain('off.redeploy.test') === undefined, { timeoutMs: 5000, message: 'off.redeploy.test gone once drained' });
    // The desired state changes before the runner's pass removes the map entry: wait for HAProxy to say so too.
    await waitFor(async () => /no route for host/.test((await get(suite.op.httpPort, 'off.redeploy.test')).body), { timeoutMs: 5000, message: 'off.redeploy.test unrouted in HAProxy' });
    const started = performance.now();
    const refused = await get(suite.op.httpPort, 'off.redeploy.test');
    assert.equal(refused.status, 503);
    assert.match(refused.body, /no route for host off\.redeploy\.test/);
    assert.ok(performance.now() - started < 1000, 'no hold: answered at once');
    const waiting = get(suite.op.httpPort, 'held.redeploy.test');
    await suite.h.podman(['start', held.name]);
    const reply = await waiting;
    assert.equal(reply.status, 200, reply.body);
    assert.equal(reply.body.trim(), held.body);
  });
});
