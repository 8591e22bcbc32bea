/**
 * The change log names a container by its name, with the real watcher, real
 * Podman, the real operations layer and a real HAProxy. Bug: `change
 * applied` said "container sync: 2 servers" with neither the container nor
 * the host; messages named 64-character container ids where the name was known.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haproxyMissing, startTestOperator } from '../helpers/haproxy.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { freePort } from '../helpers/ports.ts';
import { podmanSkipReason, startPodmanHarness, TEST_LABEL } from '../helpers/podman.ts';
import { waitFor } from '../helpers/wait.ts';
import { createContainerWatcher } from '../../src/podman/watcher.ts';
import { captureRootLogger } from './capture.ts';

const skip = haproxyMissing() ?? (await podmanSkipReason());

test('a container start and stop are each one change line naming the container, the host, the pool and the slot', { skip: skip ?? false, timeout: 90_000 }, async (t) => {
  const defer = deferCleanup(t);
  const h = await startPodmanHarness();
  defer(() => h.cleanup());
  const log = captureRootLogger('info');
  const op = await startTestOperator({ pools: 5, logger: log.logger });
  defer(() => op.stop());
  const watcher = createContainerWatcher({
    logger: log.logger,
    ops: op.operator.ops,
    socketPath: h.socketPath,
    labelSelector: `${TEST_LABEL}=${h.runId}`,
    drainTimeoutMs: 500,
    drainPollMs: 50,
  });
  defer(() => watcher.stop());
  await watcher.start();
  const port = await freePort();
  const c = await h.run({ port, labels: { 'haproxy.domain': 'named.test', 'haproxy.port': String(port) } });
  const changes = () => log.events().filter((e) => String(e.msg).startsWith(`change: container ${c.name}:`));
  const added = await waitFor(() => changes()[0], { message: 'change line for the start' });
  assert.match(String(added.msg), new RegExp(`^change: container ${c.name}: named\\.test \\(pool_1\\): named\\.test routed to pool_1; pool_1_1 added 127\\.0\\.0\\.1:${port}: applied`));
  assert.deepEqual([added.source, added.hosts, added.pool], [`container ${c.name}`, ['named.test'], 1]);
  assert.ok(!log.writes.join('').includes(c.id), 'the 64-character id appears nowhere');

  await h.remove(c.id);
  const removed = await waitFor(() => changes().find((e) => /named\.test no longer routed/.test(String(e.msg))), { message: 'change line for the removal' });
  assert.match(String(removed.msg), /pool_1_1 removed: applied/);
});
