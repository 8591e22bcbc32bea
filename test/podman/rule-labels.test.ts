/**
 * @module Rule labels on real containers (Podman API service, busybox httpd)
 * through the watcher, the operations layer and a real HAProxy: a container
 * with `haproxy.path=/api` and `haproxy.strip-prefix=true` serves that prefix
 * of its host while another serves the rest; a header label applies to the
 * whole host; a bad rule label is reported naming the label and the value
 * and its container is not routed. The worker PID never changes.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachHaproxy, haproxyMissing } from '../helpers/haproxy.ts';
import { get } from '../helpers/http.ts';
import { freePort } from '../helpers/ports.ts';
import { podmanSkipReason, type TestContainer } from '../helpers/podman.ts';
import { waitFor } from '../helpers/wait.ts';
import { useWatchedOperator } from '../helpers/watched-operator.ts';

const skip = haproxyMissing() ?? (await podmanSkipReason());

describeEachHaproxy('rule labels on containers', { skip: skip ?? false, timeout: 120_000 }, (haproxy) => {
  const suite = useWatchedOperator({ pools: 10, slots: 10, haproxy, watcher: { initialBackoffMs: 50, maxBackoffMs: 500 } });

  async function app(t: TestContext, labels: Record<string, string>, body: string): Promise<TestContainer> {
    const port = await freePort();
    const c = await suite.h.run({ port, body, labels: { 'haproxy.port': String(port), ...labels } });
    t.after(() => suite.h.remove(c.id).catch(() => undefined));
    return c;
  }

  test('haproxy.path with strip-prefix, a header label for the whole host, a bad rule label reported', async (t) => {
    const pid = await suite.op.workerPid();
    await app(t, { 'haproxy.domain': 'lbl.test' }, 'root-app');
    await app(t, { 'haproxy.domain': 'lbl.test', 'haproxy.path': '/api', 'haproxy.strip-prefix': 'true', 'haproxy.header.x-frame-options': 'SAMEORIGIN' }, 'api-app');
    const bad = await app(t, { 'haproxy.domain': 'bad-rule.test', 'haproxy.hsts': 'max-age=abc' }, 'bad-app');
    const reply = async (path: string) => {
      const r = await get(suite.op.httpPort, 'lbl.test', path);
      return r.status === 200 ? `${r.body.trim()} ${r.headers['x-frame-options'] ?? '-'}` : String(r.status);
    };
    // busybox httpd serves the body at / only: /api reaches it because the prefix was stripped.
    await waitFor(async () => (await reply('/api')) === 'api-app SAMEORIGIN', { timeoutMs: 20_000, message: 'lbl.test/api routed to the path container, prefix stripped' });
    await waitFor(async () => (await reply('/')) === 'root-app SAMEORIGIN', { timeoutMs: 20_000, message: 'lbl.test/ routed to the host container, with the host header rule' });
    assert.deepEqual(
      suite.op.operator.ops.listDomains().map((d) => d.domain).filter((d) => d.startsWith('lbl.test')),
      ['lbl.test', 'lbl.test/api'],
    );
    const report = await waitFor(async () => (await suite.watcher.explainContainer(bad.name))?.errors?.length ? suite.watcher.explainContainer(bad.name) : undefined, { message: 'bad container reported' });
    assert.deepEqual(report?.errors, [`container ${bad.name}: label haproxy.hsts="max-age=abc": not an HSTS value (max-age=SECONDS, optionally ; includeSubDomains and ; preload)`]);
    assert.equal(suite.op.operator.ops.getDomain('bad-rule.test'), undefined, 'the container with the bad label is not routed');
    assert.equal(await suite.op.workerPid(), pid, 'no reload');
  });
});
