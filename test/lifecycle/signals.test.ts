/**
 * Ctrl-C at any moment of start-up: SIGINT to the operator's process group
 * (as a terminal sends it) at 0, 50, 100, 200, 500 ms and 1 s after HAProxy's
 * pools appear, while the Podman API service and the rest are still starting.
 * Each time the operator exits 0 and no process of its state directory is left
 * (HAProxy master and worker, the Podman API service).
 *
 * And a second signal during a slow shutdown (HAProxy's master frozen with
 * SIGSTOP, so it cannot act on SIGTERM) forces the exit, still killing the
 * children.
 *
 * Bug found here (issue 13): the signal handler exited while the start was in
 * progress, leaving HAProxy running in most tries near the pools appearing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { haproxyMissing, testEachHaproxy } from '../helpers/haproxy.ts';
import { CONTAINERS_CONF, podmanSkipReason, TEST_LABEL } from '../helpers/podman.ts';
import { waitFor } from '../helpers/wait.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { createOperatorRun, podmanServiceEnv, runtimeCommand } from './harness.ts';

const DELAYS_MS = [0, 50, 100, 200, 500, 1000];
const podmanSkip = await podmanSkipReason();

test('SIGINT at any moment after HAProxy\'s pools appear: the operator exits and nothing of it keeps running', { skip: haproxyMissing() ?? podmanSkip ?? false, timeout: 240_000 }, async (t) => {
  const defer = deferCleanup(t);
  const confDir = await mkdtemp(join(tmpdir(), 'hop-life-conf-'));
  defer(() => rm(confDir, { recursive: true, force: true }));
  await writeFile(join(confDir, 'containers.conf'), CONTAINERS_CONF);
  const env = podmanServiceEnv(join(confDir, 'containers.conf'));
  for (const ms of DELAYS_MS) {
    // Only its own (no) containers: other runs' labelled containers on this host are not its business.
    const run = await createOperatorRun({ env, flags: { 'container-selector': `${TEST_LABEL}=signals-${process.pid}` } });
    defer(() => run.cleanup());
    const op = run.start();
    await waitFor(async () => {
      if (op.child.exitCode !== null) throw new Error(`operator exited early: ${op.stderr()}`);
      return (await runtimeCommand(run.runtime, 'show backend').catch(() => '')).includes('pool_1');
    }, { timeoutMs: 30_000, intervalMs: 5, message: 'HAProxy pools appear' });
    await delay(ms);
    const seenBefore = (await run.processes()).map((p) => p.cmdline.split(' ')[0]);
    process.kill(-op.child.pid!, 'SIGINT');
    const { code, signal } = await Promise.race([op.exited, delay(20_000).then(() => ({ code: -1, signal: null }))]);
    assert.equal(code, 0, `SIGINT ${ms} ms after the pools appeared: exit ${code ?? signal}; ${op.stderr().slice(-2000)}`);
    // Nothing is waited for here: everything was stopped before the operator exited.
    const left = await run.processes();
    assert.deepEqual(left, [], `SIGINT ${ms} ms after the pools appeared: left running ${JSON.stringify(left)}`);
    t.diagnostic(`SIGINT +${ms} ms: exit 0, nothing left (running at the signal: ${seenBefore.join(', ')})`);
  }
});

test('Ctrl-C to `npm start` right as the pools appear: nothing of the operator keeps running', { skip: haproxyMissing() ?? false, timeout: 60_000 }, async (t) => {
  const defer = deferCleanup(t);
  const run = await createOperatorRun({ flags: { containers: 'false' } });
  defer(() => run.cleanup());
  const op = run.start({}, 'npm');
  await waitFor(async () => {
    if (op.child.exitCode !== null) throw new Error(`npm start exited early: ${op.stderr()}`);
    return (await runtimeCommand(run.runtime, 'show backend').catch(() => '')).includes('pool_1');
  }, { timeoutMs: 30_000, intervalMs: 5, message: 'HAProxy pools appear' });
  process.kill(-op.child.pid!, 'SIGINT');
  await op.exited;
  // npm exits on the signal without waiting for its script: the operator finishes its stop on its own.
  await waitFor(async () => (await run.processes()).length === 0, { timeoutMs: 15_000, message: 'operator, HAProxy master and worker all gone' });
  const log = op.stderr();
  assert.equal((log.match(/"msg":"shutting down"/g) ?? []).length, 1, 'one orderly shutdown (tsx relays no second signal)');
  assert.doesNotMatch(log, /forcing shutdown/);
  t.diagnostic('npm start + Ctrl-C at the pools appearing: nothing left');
});

testEachHaproxy('a second signal during a slow shutdown forces it and still stops HAProxy', { skip: haproxyMissing() ?? false, timeout: 60_000 }, async (t, version) => {
  const defer = deferCleanup(t);
  const run = await createOperatorRun({ flags: { containers: 'false', 'haproxy-bin': version.bin } });
  defer(() => run.cleanup());
  const op = run.start();
  await op.ready();
  const haproxy = await run.haproxyPids();
  assert.equal(haproxy.length, 2, `master and worker run: ${haproxy.join(', ')}`);
  const [master] = (await import('node:fs/promises').then((fs) => fs.readFile(join(run.stateDir, 'run', 'haproxy.pids'), 'utf8'))).split(/\s+/).map(Number);
  // A frozen master cannot act on SIGTERM: the supervisor would wait 5 s before SIGKILL.
  process.kill(master!, 'SIGSTOP');
  defer(() => {
    try {
      process.kill(master!, 'SIGCONT');
    } catch {
      // gone
    }
  });
  process.kill(op.child.pid!, 'SIGINT');
  await waitFor(() => op.stderr().includes('"msg":"shutting down"'), { timeoutMs: 5000, message: 'the first signal to start the shutdown' });
  assert.equal(op.child.exitCode, null, 'the first signal started a shutdown that is still waiting on HAProxy');
  assert.doesNotMatch(op.stderr(), /"msg":"haproxy stopped"/, 'the frozen master has not stopped');
  const forcedAt = Date.now();
  process.kill(op.child.pid!, 'SIGINT');
  const { code } = await op.exited;
  const tookMs = Date.now() - forcedAt;
  assert.equal(code, 130, op.stderr().slice(-2000));
  assert.ok(tookMs < 2000, `the second signal forced the exit at once (${tookMs} ms)`);
  await waitFor(async () => (await run.processes()).length === 0, { timeoutMs: 2000, message: 'HAProxy master and worker killed by the forced stop' });
  t.diagnostic(`forced stop took ${tookMs} ms; nothing left`);
});
