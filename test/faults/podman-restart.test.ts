/**
 * Fault: the Podman API service is restarted mid-run while containers change.
 * The real watcher over the real operations layer and HAProxy reconnects,
 * replays what it missed (a container started while the service was down),
 * keeps the routes of containers that kept running, and the dropped stream is
 * reported once.
 *
 * Bug found here: every failed reconnect attempt during the outage logged
 * "podman not reachable" at warn; now the first one per outage does.
 */
import assert from 'node:assert/strict';
import { createContainerWatcher } from '../../src/podman/watcher.ts';
import { haproxyMissing, testEachHaproxy } from '../helpers/haproxy.ts';
import { get } from '../helpers/http.ts';
import { podmanSkipReason, startPodmanHarness, TEST_LABEL } from '../helpers/podman.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { startFaultOperator } from './harness.ts';
import { captureRootLogger } from '../log/capture.ts';

const skip = haproxyMissing() ?? (await podmanSkipReason());

testEachHaproxy('Podman API service restarted mid-run: routes of containers converge, the outage is reported once', { skip: skip ?? false, timeout: 90_000 }, async (t, haproxy) => {
  const defer = deferCleanup(t);
  const h = await startPodmanHarness();
  defer(() => h.cleanup());
  const op = await startFaultOperator({ haproxy });
  defer(() => op.stop());
  // The watcher logs at debug here, so retries that are (rightly) not at warn can still be counted.
  const wlog = captureRootLogger('debug');
  const watcher = createContainerWatcher({
    logger: wlog.logger.child({ module: 'podman' }),
    ops: op.operator.ops,
    socketPath: h.socketPath,
    labelSelector: `${TEST_LABEL}=${h.runId}`,
    initialBackoffMs: 100,
    maxBackoffMs: 500,
    resyncIntervalMs: 3_600_000,
  });
  defer(() => watcher.stop());
  const run = async (domain: string) => {
    const port = await freePort();
    return h.run({ port, labels: { 'haproxy.domain': domain, 'haproxy.port': String(port) } });
  };
  const served = (domain: string, body: string) => waitFor(async () => (await get(op.httpPort, domain)).body.trim() === body, { timeoutMs: 20_000, message: `${domain} served by its container` });

  const a = await run('pa.test');
  await watcher.start();
  await served('pa.test', a.body);

  const ended = () => wlog.count('podman events stream ended');
  await h.stopService();
  await waitFor(() => ended() >= 1, { timeoutMs: 10_000, message: 'the watcher noticed the stream ended' });
  // While the service is down: a new container starts (the CLI works without the service).
  const b = await run('pb.test');
  // Keep the service down over several reconnect attempts (backoff 100 ms doubling to 500 ms).
  const attempts = () => wlog.events().filter((e) => String(e.msg).includes('podman not reachable')).length;
  await waitFor(() => attempts() >= 3, { timeoutMs: 10_000, message: 'several reconnect attempts' });
  await h.startService();
  await served('pb.test', b.body);
  await served('pa.test', a.body);
  assert.equal(watcher.stats().connected, true);
  assert.equal(ended(), 1, 'the outage was reported once');
  const warned = wlog.events().filter((e) => String(e.msg).includes('podman not reachable') && Number(e.level) >= 40).length;
  assert.equal(warned, 1, `${attempts()} failed reconnect attempts, reported at warn once`);

  // A second restart, then a stop while connected: the route goes once the container is gone.
  await h.restartService();
  await waitFor(() => watcher.stats().connected && ended() === 2, { timeoutMs: 10_000, message: 'reconnected after the second restart' });
  await h.stop(a.id);
  await waitFor(async () => op.operator.ops.getDomain('pa.test') === undefined || (await get(op.httpPort, 'pa.test')).status === 503, { timeoutMs: 20_000, message: 'pa.test no longer routed to the stopped container' });
  await served('pb.test', b.body);
  assert.deepEqual(op.operator.ops.getDomain('pb.test')?.servers.map((s) => s.port), [b.port], 'nothing lost for the running container');
  t.diagnostic('podman service restarts: 2; containers converged: 2');
});
