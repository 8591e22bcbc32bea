/**
 * The Podman API service the operator runs (no Podman socket configured):
 *  - three `kill -9`/restart cycles of the operator: each time exactly one
 *    service runs for the state directory (the killed operator's is stopped,
 *    not joined by a second one), and a container started after the third
 *    restart is routed;
 *  - the service killed under a running operator: /readyz answers 503 naming
 *    podman, then ready once the service is replaced; a container started
 *    afterwards is routed (watcher reconnected, full resync);
 *  - Podman's events log: followed by default, and a missing file named by
 *    --podman-events-log is warned about while the API stream routes alone.
 *
 * Bug found here (issue 13): every restart added a service on the same socket
 * (8 after a few cycles); when an old one exited it unlinked the live
 * socket, and discovery stopped silently with /readyz still ready.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { haproxyMissing } from '../helpers/haproxy.ts';
import { get } from '../helpers/http.ts';
import { podmanSkipReason, startPodmanHarness, TEST_LABEL, type PodmanHarness } from '../helpers/podman.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { createOperatorRun, kill9, podmanServiceEnv, type OperatorRun } from './harness.ts';

const skip = haproxyMissing() ?? (await podmanSkipReason());

async function routedContainer(h: PodmanHarness, run: OperatorRun, domain: string): Promise<void> {
  const port = await freePort();
  const c = await h.run({ port, labels: { 'haproxy.domain': domain, 'haproxy.port': String(port) } });
  await waitFor(async () => (await get(run.http, domain).catch(() => undefined))?.body.trim() === c.body, { timeoutMs: 30_000, message: `${domain} routed to its container` });
}

/** A Podman harness and an operator run watching only its containers, both cleaned up after the test. */
async function operatorWithPodman(t: TestContext, extraFlags: (h: PodmanHarness) => Record<string, string> = () => ({})) {
  const defer = deferCleanup(t);
  const h = await startPodmanHarness();
  defer(() => h.cleanup());
  const run = await createOperatorRun({ env: podmanServiceEnv(h.confPath), flags: { ...extraFlags(h), 'container-selector': `${TEST_LABEL}=${h.runId}` } });
  defer(() => run.cleanup());
  return { defer, h, run };
}

test('three kill -9/restart cycles: one Podman API service for the state directory, new containers routed', { skip: skip ?? false, timeout: 240_000 }, async (t) => {
  const { h, run } = await operatorWithPodman(t);
  let op = run.start();
  await op.ready();
  const counts: number[] = [];
  for (let cycle = 1; cycle <= 3; cycle++) {
    const [before] = await run.podmanServices();
    await kill9(op);
    assert.ok(before && (await run.podmanServices()).includes(before), 'the killed operator left its service running (it cannot stop it)');
    op = run.start();
    await op.ready();
    const services = await run.podmanServices();
    counts.push(services.length);
    assert.equal(services.length, 1, `cycle ${cycle}: exactly one podman API service for the state directory: ${services.join(', ')}`);
    assert.notEqual(services[0], before, `cycle ${cycle}: the leftover was replaced`);
    const recorded = Number((await readFile(join(run.stateDir, 'run', 'podman-service.pid'), 'utf8')).split(' ')[0]);
    assert.equal(recorded, services[0], 'the pid file names the running service');
  }
  await routedContainer(h, run, `after-restarts-${h.runId}.test`);
  t.diagnostic(`services per state dir after each restart: ${counts.join(', ')}`);
});

test('the Podman API service killed under a running operator: /readyz 503 naming podman, ready again, new containers routed', { skip: skip ?? false, timeout: 120_000 }, async (t) => {
  const { h, run } = await operatorWithPodman(t);
  const op = run.start();
  await op.ready();
  await routedContainer(h, run, `before-${h.runId}.test`);
  const [service] = await run.podmanServices();
  const readyz = async () => {
    const res = await fetch(`http://127.0.0.1:${run.listen}/readyz`);
    return { status: res.status, body: (await res.text()).trim() };
  };
  process.kill(service!, 'SIGKILL');
  const down = await waitFor(async () => {
    const r = await readyz();
    return r.status === 503 ? r : undefined;
  }, { timeoutMs: 10_000, intervalMs: 20, message: '/readyz 503 while the service is down' });
  assert.match(down.body, /^not ready: podman: /, down.body);
  await waitFor(async () => (await readyz()).status === 200, { timeoutMs: 30_000, message: '/readyz ready once the service is replaced' });
  const services = await run.podmanServices();
  assert.equal(services.length, 1);
  assert.notEqual(services[0], service, 'a new service replaced the killed one');
  await routedContainer(h, run, `after-${h.runId}.test`);
  const metrics = await (await fetch(`http://127.0.0.1:${run.listen}/metrics`)).text();
  assert.match(metrics, /haproxy_operator_part_up\{part="podman"\} 1/);
  const log = op.stderr();
  assert.match(log, /podman is down/, 'the outage was logged at warn');
  assert.match(log, /podman recovered/, 'the recovery was logged');
  t.diagnostic(`readyz while down: ${down.body}`);
});

test('the service\'s socket removed, then the service frozen: each is detected and the service replaced; containers started meanwhile are routed', { skip: skip ?? false, timeout: 120_000 }, async (t) => {
  const { defer, h, run } = await operatorWithPodman(t);
  const op = run.start();
  await op.ready();
  const replaced = async (old: number, what: string) =>
    waitFor(async () => {
      const now = await run.podmanServices();
      return now.length === 1 && now[0] !== old && (await fetch(`http://127.0.0.1:${run.listen}/readyz`)).status === 200 ? now[0] : undefined;
    }, { timeoutMs: 30_000, message: `the service replaced after ${what}` });

  const [first] = await run.podmanServices();
  await rm(join(run.stateDir, 'run', 'podman.sock'));
  const second = await replaced(first!, 'its socket was removed');
  await routedContainer(h, run, `socket-gone-${h.runId}.test`);

  process.kill(second, 'SIGSTOP');
  defer(() => {
    try {
      process.kill(second, 'SIGCONT');
    } catch {
      // gone
    }
  });
  // Started while the service cannot answer: only a resync after the replacement finds it.
  const port = await freePort();
  const c = await h.run({ port, labels: { 'haproxy.domain': `frozen-${h.runId}.test`, 'haproxy.port': String(port) } });
  await replaced(second, 'it stopped answering');
  await waitFor(async () => (await get(run.http, `frozen-${h.runId}.test`).catch(() => undefined))?.body.trim() === c.body, { timeoutMs: 30_000, message: 'the container started while the service was frozen is routed' });
  assert.match(op.stderr(), /podman API service stopped answering; replacing it/);
  t.diagnostic('socket removed: replaced; service frozen: replaced; both containers routed');
});

test('a Podman socket the operator does not run goes away longer than one resync period: /readyz 503 "watcher disconnected", ready once it is back', { skip: skip ?? false, timeout: 120_000 }, async (t) => {
  const { h, run } = await operatorWithPodman(t, (h) => ({ 'podman-socket': h.socketPath }));
  const op = run.start();
  await op.ready();
  assert.deepEqual(await run.podmanServices(), [], 'a configured socket: the operator runs no service of its own');
  const readyz = async () => {
    const res = await fetch(`http://127.0.0.1:${run.listen}/readyz`);
    return { status: res.status, body: (await res.text()).trim() };
  };
  const stoppedAt = Date.now();
  await h.stopService();
  const down = await waitFor(async () => {
    const r = await readyz();
    return r.status === 503 ? r : undefined;
  }, { timeoutMs: 15_000, message: '/readyz 503 once the watcher was disconnected longer than the resync period (1 s)' });
  const after = Date.now() - stoppedAt;
  assert.match(down.body, /^not ready: podman: watcher disconnected from .* for \d+ s$/);
  assert.ok(after >= 1000, `not before one resync period (${after} ms)`);
  await h.startService();
  await waitFor(async () => (await readyz()).status === 200, { timeoutMs: 30_000, message: 'ready once the watcher reconnected' });
  await routedContainer(h, run, `back-${h.runId}.test`);
  t.diagnostic(`${down.body} (after ${after} ms)`);
});

test("Podman's events log: followed by default (said in the log); a named file that is missing is warned about with the setting and the API stream routes alone", { skip: skip ?? false, timeout: 120_000 }, async (t) => {
  const { h, run } = await operatorWithPodman(t);
  const missing = join(run.stateDir, 'no-such-events.log');
  const named = run.start({ 'podman-events-log': missing });
  await named.ready();
  await routedContainer(h, run, `api-alone-${h.runId}.test`);
  assert.match(named.stderr(), /--podman-events-log \(env HAPROXY_OPERATOR_PODMAN_EVENTS_LOG, config key podmanEventsLog\)=\\?".*no-such-events\.log\\?": no such file \(yet\); container events arrive through Podman's API stream alone/);
  assert.doesNotMatch(named.stderr(), /following Podman's events log/);
  named.child.kill('SIGTERM');
  await named.exited;

  const auto = run.start();
  await auto.ready();
  await routedContainer(h, run, `log-${h.runId}.test`);
  if (existsSync('/run/libpod/events/events.log')) assert.match(auto.stderr(), /following Podman's events log.*\/run\/libpod\/events\/events\.log|\/run\/libpod\/events\/events\.log.*following Podman's events log/);
});
