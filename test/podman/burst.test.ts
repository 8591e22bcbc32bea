/**
 * @module A burst of container starts through the one reconcile runner: 30
 * labelled containers for 3 domains, created first and then started by one
 * `podman start`, so their events arrive together and their syncs coalesce
 * into few passes. Every one must be routed (in its domain's pool, live in
 * HAProxy, answering through it); the time from the last `start` event to
 * the last server live is reported.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { haproxyMissing, startTestOperator, type TestOperator } from '../helpers/haproxy.ts';
import { get } from '../helpers/http.ts';
import { podmanSkipReason, startPodmanHarness, TEST_LABEL, type PodmanHarness, type TestContainer } from '../helpers/podman.ts';
import { waitFor } from '../helpers/wait.ts';
import { createContainerWatcher, type ContainerWatcher } from '../../src/podman/watcher.ts';
import type { ContainerEvent } from '../../src/podman/event-stream.ts';
import { recordingLogger } from './recording-logger.ts';
import { quietPort } from './busy-machine.ts';

const skip = haproxyMissing() ?? (await podmanSkipReason());
const DOMAINS = ['one.burst.test', 'two.burst.test', 'three.burst.test'];
const COUNT = 30;

describe('30 containers started at once for 3 domains', { skip: skip ?? false }, () => {
  let h: PodmanHarness;
  let op: TestOperator;
  let watcher: ContainerWatcher;
  const startEvents = new Map<string, number>();

  before(async () => {
    h = await startPodmanHarness();
    op = await startTestOperator({ pools: 10, slots: 10 });
    watcher = createContainerWatcher({
      logger: recordingLogger(),
      ops: op.operator.ops,
      socketPath: h.socketPath,
      labelSelector: `${TEST_LABEL}=${h.runId}`,
      onEvent: (e: ContainerEvent) => {
        if (e.action === 'start') startEvents.set(e.id, performance.now());
      },
    });
    await watcher.start();
  });
  after(async () => {
    await watcher?.stop();
    await op?.stop();
    await h?.cleanup();
  });

  test('every container is routed; time from the last start event to the last server live is reported', async (t) => {
    const containers: Array<TestContainer & { domain: string }> = [];
    for (let i = 0; i < COUNT; i++) {
      const domain = DOMAINS[i % DOMAINS.length]!;
      // Below the ephemeral range: the 30 are created before any starts, and a port from listen(0) could be taken meanwhile (quietPort).
      const port = await quietPort();
      const c = await h.run({ createOnly: true, port, labels: { 'haproxy.domain': domain, 'haproxy.port': String(port) } });
      containers.push({ ...c, domain });
    }
    await h.podman(['start', ...containers.map((c) => c.id)]);

    const wanted = new Set(containers.map((c) => `127.0.0.1:${c.port}`));
    const liveAt = await waitFor(
      async () => {
        const rows = await op.operator.admin.stats();
        const live = rows.filter((r) => r.type === 'server' && r.address && wanted.has(r.address) && r.status !== 'MAINT');
        return live.length === COUNT ? performance.now() : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 5, message: `all ${COUNT} servers live in HAProxy` },
    );
    await waitFor(() => containers.every((c) => startEvents.has(c.id)), { message: 'every start event seen' });
    const lastStart = Math.max(...containers.map((c) => startEvents.get(c.id)!));
    const ms = Math.max(0, liveAt - lastStart);
    t.diagnostic(`${COUNT} containers, ${DOMAINS.length} domains: last start event -> last server live ${ms.toFixed(0)} ms`);

    for (const domain of DOMAINS) {
      const view = op.operator.ops.getDomain(domain);
      assert.ok(view, `${domain} routed`);
      const mine = containers.filter((c) => c.domain === domain);
      assert.deepEqual(
        view.servers.filter((s) => s.family === 'http').map((s) => s.port).sort(),
        mine.map((c) => c.port).sort(),
        `${domain}: one server per container, in the domain's own pool`,
      );
      assert.ok(view.servers.every((s) => s.effectiveState === 'ready' && s.source.startsWith('container:')));
      const reply = await waitFor(async () => {
        const r = await get(op.httpPort, domain);
        return r.status === 200 ? r : undefined;
      }, { message: `${domain} answered through HAProxy` });
      assert.ok(mine.some((c) => reply.body.trim() === c.body), `${domain} answered by one of its containers, got ${reply.body.trim()}`);
    }
    assert.equal(new Set(DOMAINS.map((d) => op.operator.ops.getDomain(d)!.pool)).size, DOMAINS.length, 'three pools');
  });
});
