/**
 * @module Rule labels on real containers (Podman API service, busybox httpd)
 * through the watcher, the operations layer and a real HAProxy: a container
 * with `haproxy.path=/api` and `haproxy.strip-prefix=true` serves that prefix
 * of its host while another serves the rest; a header label applies to the
 * whole host; a bad rule label is reported naming the label and the value
 * and its container is not routed. The worker PID never changes.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachHaproxy, haproxyMissing, startTestOperator, type TestOperator } from '../helpers/haproxy.ts';
import { get } from '../helpers/http.ts';
import { freePort } from '../helpers/ports.ts';
import { podmanSkipReason, startPodmanHarness, TEST_LABEL, type PodmanHarness, type TestContainer } from '../helpers/podman.ts';
import { waitFor } from '../helpers/wait.ts';
import { createContainerWatcher, type ContainerWatcher } from '../../src/podman/watcher.ts';
import { recordingLogger } from './recording-logger.ts';

const skip = haproxyMissing() ?? (await podmanSkipReason());

describeEachHaproxy('rule labels on containers', { skip: skip ?? false, timeout: 120_000 }, (haproxy) => {
  let h: PodmanHarness;
  let op: TestOperator;
  let watcher: ContainerWatcher;

  before(async () => {
    h = await startPodmanHarness();
    op = await startTestOperator({ pools: 10, slots: 10, haproxy });
    watcher = createContainerWatcher({ logger: recordingLogger(), ops: op.operator.ops, socketPath: h.socketPath, labelSelector: `${TEST_LABEL}=${h.runId}`, initialBackoffMs: 50, maxBackoffMs: 500 });
    await watcher.start();
  });
  after(async () => {
    await watcher?.stop();
    await op?.stop();
    await h?.cleanup();
  });

  async function app(t: TestContext, labels: Record<string, string>, body: string): Promise<TestContainer> {
    const port = await freePort();
    const c = await h.run({ port, body, labels: { 'haproxy.port': String(port), ...labels } });
    t.after(() => h.remove(c.id).catch(() => undefined));
    return c;
  }

  test('haproxy.path with strip-prefix, a header label for the whole host, a bad rule label reported', async (t) => {
    const pid = await op.workerPid();
    await app(t, { 'haproxy.domain': 'lbl.test' }, 'root-app');
    await app(t, { 'haproxy.domain': 'lbl.test', 'haproxy.path': '/api', 'haproxy.strip-prefix': 'true', 'haproxy.header.x-frame-options': 'SAMEORIGIN' }, 'api-app');
    const bad = await app(t, { 'haproxy.domain': 'bad-rule.test', 'haproxy.hsts': 'max-age=abc' }, 'bad-app');
    const reply = async (path: string) => {
      const r = await get(op.httpPort, 'lbl.test', path);
      return r.status === 200 ? `${r.body.trim()} ${r.headers['x-frame-options'] ?? '-'}` : String(r.status);
    };
    // busybox httpd serves the body at / only: /api reaches it because the prefix was stripped.
    await waitFor(async () => (await reply('/api')) === 'api-app SAMEORIGIN', { timeoutMs: 20_000, message: 'lbl.test/api routed to the path container, prefix stripped' });
    await waitFor(async () => (await reply('/')) === 'root-app SAMEORIGIN', { timeoutMs: 20_000, message: 'lbl.test/ routed to the host container, with the host header rule' });
    assert.deepEqual(
      op.operator.ops.listDomains().map((d) => d.domain).filter((d) => d.startsWith('lbl.test')),
      ['lbl.test', 'lbl.test/api'],
    );
    const report = await waitFor(async () => (await watcher.explainContainer(bad.name))?.errors?.length ? watcher.explainContainer(bad.name) : undefined, { message: 'bad container reported' });
    assert.deepEqual(report?.errors, [`container ${bad.name}: label haproxy.hsts="max-age=abc": not an HSTS value (max-age=SECONDS, optionally ; includeSubDomains and ; preload)`]);
    assert.equal(op.operator.ops.getDomain('bad-rule.test'), undefined, 'the container with the bad label is not routed');
    assert.equal(await op.workerPid(), pid, 'no reload');
  });
});
