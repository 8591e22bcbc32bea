/**
 * @module The access-rule labels through the real path: Podman (own API
 * service, busybox httpd) -> watcher -> operations -> HAProxy 2.6 and 3.0.
 * `haproxy.allow`, `haproxy.basic-auth=file:...`, `haproxy.basic-auth-realm`
 * and `haproxy.rate-limit` answer 403, 401 with the realm and 429 with
 * Retry-After; replacing the container with other labels changes the rules
 * with no reload; a bad value is refused naming label and value and routes
 * nothing; no password or hash reaches the log.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { describeEachHaproxy, haproxyMissing, startTestOperator, type TestOperator } from '../helpers/haproxy.ts';
import { accessGet, accessStatus } from '../helpers/access-client.ts';
import { freePort } from '../helpers/ports.ts';
import { podmanSkipReason, startPodmanHarness, TEST_LABEL, type PodmanHarness } from '../helpers/podman.ts';
import { waitFor } from '../helpers/wait.ts';
import { captureRootLogger, type CapturedLog } from '../log/capture.ts';
import { createContainerWatcher, type ContainerWatcher } from '../../src/podman/watcher.ts';

const skip = haproxyMissing() ?? (await podmanSkipReason());
const PASSWORD = 'label-pw-3c9d1e';

describeEachHaproxy('access-rule labels on containers', { skip: skip ?? false, timeout: 120_000 }, (haproxy) => {
  let h: PodmanHarness;
  let op: TestOperator;
  let watcher: ContainerWatcher;
  let log: CapturedLog;
  let dir: string;
  let users: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hop-access-labels-'));
    users = join(dir, 'users');
    await writeFile(users, `alice:${PASSWORD}\n`, { mode: 0o600 });
    log = captureRootLogger('debug');
    h = await startPodmanHarness();
    op = await startTestOperator({ pools: 5, slots: 4, haproxy, logger: log.logger });
    watcher = createContainerWatcher({ logger: log.logger, ops: op.operator.ops, socketPath: h.socketPath, labelSelector: `${TEST_LABEL}=${h.runId}`, drainTimeoutMs: 500, drainPollMs: 50 });
    await watcher.start();
  });
  after(async () => {
    await watcher?.stop();
    await op?.stop();
    await h?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  const status = (from: string, auth?: [string, string]) => accessStatus({ port: op.httpPort, host: 'lab.test', from, ...(auth ? { auth } : {}) });

  test('labels set allowlist, basic auth with realm and rate limit; a replaced container changes them with no reload', async () => {
    const port = await freePort();
    const labels = {
      'haproxy.domain': 'lab.test',
      'haproxy.port': String(port),
      'haproxy.allow': '127.0.0.5, 127.0.0.6/32',
      'haproxy.basic-auth': `file:${users}`,
      'haproxy.basic-auth-realm': 'Lab staff',
      'haproxy.rate-limit': '2/s burst=3',
    };
    const c = await h.run({ port, labels });
    await waitFor(async () => (await status('127.0.0.5').catch(() => 0)) === 401, { timeoutMs: 20_000, message: 'lab.test routed with its rules' });
    const pid = await op.workerPid();
    const denied = await accessGet({ port: op.httpPort, host: 'lab.test', from: '127.0.0.5' });
    assert.equal(denied.headers['www-authenticate'], 'Basic realm="Lab staff"');
    assert.equal(await status('127.0.0.1', ['alice', PASSWORD]), 403, 'not on the allowlist');
    assert.equal(await status('127.0.0.5', ['alice', 'wrong']), 401);
    const ok = await accessGet({ port: op.httpPort, host: 'lab.test', from: '127.0.0.6', auth: ['alice', PASSWORD] });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.trim(), c.body);
    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await accessGet({ port: op.httpPort, host: 'lab.test', from: '127.0.0.5', auth: ['alice', PASSWORD] }));
    const limited = replies.find((r) => r.status === 429);
    assert.ok(limited, `a 429 among ${replies.map((r) => r.status).join(',')}`);
    assert.match(String(limited.headers['retry-after']), /^[1-9][0-9]*$/);

    // Labels change only with a new container: the replacement drops the allowlist and the basic auth.
    await h.run({ port, replace: c.name, labels: { 'haproxy.domain': 'lab.test', 'haproxy.port': String(port), 'haproxy.rate-limit': '50/s' } });
    await waitFor(async () => (await status('127.0.0.1').catch(() => 0)) === 200, { timeoutMs: 20_000, message: 'the new labels in effect' });
    assert.deepEqual(op.operator.ops.getDomain('lab.test')?.rules, { rateLimit: { rate: 50 } });
    assert.equal(await op.workerPid(), pid, 'no reload');
  });

  test('a bad access label is refused naming label and value, and routes nothing', async () => {
    const port = await freePort();
    const c = await h.run({ port, labels: { 'haproxy.domain': 'bad.test', 'haproxy.port': String(port), 'haproxy.rate-limit': '10/m', 'haproxy.basic-auth': 'secret:alice' } });
    const view = await waitFor(() => watcher.listContainers().find((r) => r.id === c.id && r.errors.length > 0), { timeoutMs: 20_000, message: 'the container reported' });
    assert.deepEqual(view.errors, [
      `container ${c.name}: label haproxy.basic-auth="secret:alice": not a credentials reference (file:/absolute/path or env:VARIABLE)`,
      `container ${c.name}: label haproxy.rate-limit="10/m": not a rate limit (for example 10/s, or 10/s burst=30)`,
    ]);
    assert.equal(op.operator.ops.getDomain('bad.test'), undefined, 'nothing routed');
  });

  test('no password or hash in the log', () => {
    const text = log.writes.join('');
    assert.match(text, /lab\.test/, 'the log covers the rule changes');
    assert.ok(!text.includes(PASSWORD));
    assert.doesNotMatch(text, /[0-9a-f]{32}:[0-9a-f]{64}/);
  });
});
