/**
 * A label error and a manifest error are each logged once per change, not on
 * every resync: the real container watcher (real Podman) and the resources
 * controller are driven through several full resyncs, and the root logger's
 * output is counted. A new bad value is a change and is logged once more.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContainerWatcher } from '../../src/podman/watcher.ts';
import { createResourceController } from '../../src/resources/controller.ts';
import { podmanSkipReason, startPodmanHarness, TEST_LABEL } from '../helpers/podman.ts';
import { createFakeOperations } from '../podman/fake-operations.ts';
import { captureRootLogger } from './capture.ts';

const RESYNCS = 4;

test('a label error is logged once per change, not on every resync', { skip: (await podmanSkipReason()) ?? false, timeout: 60_000 }, async (t) => {
  const h = await startPodmanHarness();
  t.after(() => h.cleanup());
  const log = captureRootLogger();
  const ops = createFakeOperations();
  const watcher = createContainerWatcher({ logger: log.logger, ops, socketPath: h.socketPath, labelSelector: `${TEST_LABEL}=${h.runId}`, resyncIntervalMs: 3_600_000 });
  t.after(() => watcher.stop());
  await h.run({ labels: { 'haproxy.domain': 'bad.test', 'haproxy.port': '80;shutdown' } });
  await h.run({ labels: { 'haproxy.domain': 'good.test' } });
  await watcher.start();
  for (let i = 0; i < RESYNCS; i++) await watcher.resync();
  const needle = 'label haproxy.port="80;shutdown"';
  assert.equal(log.count(needle), 1, `logged once over ${RESYNCS + 1} full syncs`);
  assert.ok(ops.current().some((s) => s.domain === 'good.test'), 'the good container is routed');
  assert.ok(!ops.current().some((s) => s.domain === 'bad.test'), 'the bad one is not');

  // A second bad container is a change: its error is logged once too; the first is not repeated.
  await h.run({ labels: { 'haproxy.domain': 'bad2.test', 'haproxy.weight': '-5' } });
  for (let i = 0; i < RESYNCS; i++) await watcher.resync();
  assert.equal(log.count('label haproxy.weight="-5"'), 1);
  assert.equal(log.count(needle), 1);
  const event = log.events().find((e) => String(e.msg).includes(needle))!;
  assert.equal(event.level, 40, 'warn');
  assert.ok(String(event.container).startsWith('hop-'), 'names the container');
  t.diagnostic(`label errors logged: 2 over ${2 * RESYNCS + 1} syncs`);
});

test('a manifest error is logged once per change, not on every reconcile', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-log-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log = captureRootLogger();
  const calls: number[] = [];
  const controller = createResourceController({
    dir: join(dir, 'resources'),
    stateDir: join(dir, 'state'),
    ops: { syncSource: async (_k, servers) => (calls.push(servers.length), { changed: false, plan: [], rejected: [] }), health: async () => [] },
    logger: log.logger,
    resyncMs: 3_600_000,
  });
  await controller.start();
  t.after(() => controller.stop());
  const file = join(dir, 'resources', 'web.yaml');
  const manifest = (port: string) => `apiVersion: haproxy-operator.io/v1alpha1\nkind: Domain\nmetadata:\n  name: web\nspec:\n  hosts: [web.example.com]\n  servers:\n    - address: 10.0.0.5\n      port: ${port}\n`;
  await writeFile(file, manifest('70000'));
  for (let i = 0; i < RESYNCS; i++) await controller.reconcile('resync');
  assert.equal(log.count('spec.servers.0.port=70000'), 1, `logged once over ${RESYNCS} reconciles`);
  await writeFile(file, manifest('"80"'));
  for (let i = 0; i < RESYNCS; i++) await controller.reconcile('resync');
  assert.equal(log.count('spec.servers.0.port="80"'), 1, 'the changed error is logged once');
  assert.equal(log.count('spec.servers.0.port=70000'), 1, 'the old one is not repeated');
  await writeFile(file, manifest('8080'));
  await controller.reconcile('fixed');
  assert.equal(log.count('invalid manifest'), 2, 'nothing logged once it is valid');
  assert.ok(calls.at(-1)! > 0, 'the fixed manifest is routed');
  t.diagnostic(`manifest errors logged: 2 over ${2 * RESYNCS + 1} reconciles`);
});
