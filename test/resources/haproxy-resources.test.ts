/**
 * @module Resources end to end against a real HAProxy (managed by a real
 * operator): a Domain applied from YAML routes through the Runtime API with
 * no reload; editing the file in the watched directory changes the route;
 * an invalid file is reported and changes nothing else; a Domain whose
 * server is down is not Ready and says which server; delete gives 503; a
 * Domain with two servers of one family routes to both.
 * Skips when haproxy is not installed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parse } from 'yaml';
import { haproxyMissing, startTestOperator, testEachHaproxy } from '../helpers/haproxy.ts';
import { get, getText, startBackend } from '../helpers/http.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';
import { createResourceController } from '../../src/resources/controller.ts';
import { formatProblem } from '../../src/resources/load.ts';
import { formatResources } from '../../src/resources/format.ts';
import { getCondition } from '../../src/model/conditions.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { domainManifest } from '../helpers/manifests.ts';
import { commands } from '../../src/haproxy/commands.ts';
import { adminStateName, parseServersState } from '../../src/haproxy/parsers/servers-state.ts';
import { DesiredState } from '../../src/model/state.ts';

const skip = haproxyMissing();

const domainYaml = (name: string, host: string, port: number, check = '') => domainManifest({ name, host, port, check });


testEachHaproxy('resources drive a real HAProxy without reloads', { skip }, async (t, haproxy) => {
  const defer = deferCleanup(t);
  const one = await startBackend('backend-one');
  defer(() => one.close());
  const two = await startBackend('backend-two');
  defer(() => two.close());
  const h = await startTestOperator({ pools: 5, haproxy });
  defer(() => h.stop());
  const dir = await mkdtemp(join(tmpdir(), 'hop-resdir-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  const controller = createResourceController({
    dir,
    stateDir: h.stateDir,
    ops: h.operator.ops,
    logger: pino({ level: 'silent' }),
    debounceMs: 50,
    resyncMs: 0,
  });
  defer(() => controller.stop());
  await controller.start();
  const pid = await h.workerPid();

  await t.test('apply a Domain -> HAProxy routes its host to the server', async () => {
    const result = await controller.applyDocuments(domainYaml('web', 'web.test', one.port));
    assert.equal(result.ok, true, JSON.stringify(result.problems));
    const reply = await get(h.httpPort, 'web.test');
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'backend-one');
    const ready = await waitFor(
      async () => {
        await controller.reconcile();
        const c = getCondition(controller.get('Domain', 'web')!.status.conditions, 'Ready');
        return c?.status === 'True' ? c : undefined;
      },
      { timeoutMs: 5000, message: 'Domain web Ready=True' },
    );
    assert.equal(ready.reason, 'ServersUp');
  });

  await t.test('edit the file in the watched directory -> the change is applied', async () => {
    const file = join(dir, 'domain-web.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace(`port: ${one.port}`, `port: ${two.port}`));
    await waitFor(async () => (await getText(h.httpPort, 'web.test')) === '200 backend-two', { timeoutMs: 5000, message: 'web.test served by backend-two' });
  });

  await t.test('an invalid file -> a clear error naming file, document, field and value; nothing else changes', async () => {
    const before = JSON.stringify(h.operator.ops.snapshot());
    await writeFile(join(dir, 'broken.yaml'), `${domainYaml('fine', 'fine.test', one.port)}---\n${domainYaml('broken', 'broken.test', 70000)}`);
    const problem = await waitFor(() => controller.problems()[0], { timeoutMs: 5000, message: 'the invalid document to be reported' });
    assert.equal(formatProblem(problem), `${join(dir, 'broken.yaml')}#1 Domain/broken: spec.servers.0.port=70000: not a port (1-65535)`);
    // The valid document in the same file is applied; the rest of the state is as before.
    await waitFor(async () => (await getText(h.httpPort, 'fine.test')) === '200 backend-one', { timeoutMs: 5000, message: 'fine.test routed' });
    assert.equal((await get(h.httpPort, 'web.test')).body, 'backend-two');
    assert.equal((await get(h.httpPort, 'broken.test')).status, 503);
    const after = h.operator.ops.snapshot();
    delete after.domains['fine.test'];
    assert.equal(JSON.stringify(after), before);
    await rm(join(dir, 'broken.yaml'));
    await waitFor(async () => (await getText(h.httpPort, 'fine.test')).startsWith('503'), { timeoutMs: 5000, message: 'fine.test gone with its file' });
  });

  await t.test('a Domain whose server is down is not Ready, and says which server and why', async () => {
    const closed = await freePort();
    const result = await controller.applyDocuments(domainYaml('down', 'down.test', closed, '/healthz'));
    assert.equal(result.ok, true, JSON.stringify(result.problems));
    const ready = await waitFor(
      async () => {
        await controller.reconcile();
        const c = getCondition(controller.get('Domain', 'down')!.status.conditions, 'Ready');
        return c?.reason === 'ServersDown' ? c : undefined;
      },
      { timeoutMs: 8000, message: 'Domain down to report ServersDown' },
    );
    assert.equal(ready.status, 'False');
    assert.match(ready.message, new RegExp(`down\\.test 127\\.0\\.0\\.1:${closed} \\(pool_\\d+_1\\) DOWN`));
    const yaml = parse(formatResources('Domain', [controller.get('Domain', 'down')!], 'yaml', { now: new Date(), single: true }));
    assert.equal(yaml.status.conditions[0].reason, 'ServersDown');
    // Its server never came up: a request waits out the hold (shortened through MCP's path), then the 503 names the host.
    await h.operator.ops.setHold({ domain: 'down.test', holdMs: 300 });
    const started = performance.now();
    const reply = await get(h.httpPort, 'down.test');
    assert.equal(reply.status, 503);
    assert.match(reply.body, /no server available for host down\.test/);
    assert.ok(performance.now() - started >= 290, `held for the hold time, not ${Math.round(performance.now() - started)} ms`);
    assert.equal(getCondition(controller.get('Domain', 'web')!.status.conditions, 'Ready')!.status, 'True');
  });

  await t.test('delete -> 503', async () => {
    const result = await controller.deleteDocuments(domainYaml('web', 'web.test', two.port));
    assert.equal(result.ok, true, JSON.stringify(result.problems));
    assert.equal((await get(h.httpPort, 'web.test')).status, 503);
    assert.equal(controller.get('Domain', 'web'), undefined);
  });

  await t.test('a Domain with two http servers -> both are live in HAProxy and saved in servers.json', async () => {
    const second = `    - address: 127.0.0.1\n      port: ${two.port}\n`;
    const result = await controller.applyDocuments(domainManifest({ name: 'pair', host: 'pair.test', port: one.port, extra: second }));
    assert.equal(result.ok, true, JSON.stringify(result.problems));
    const saved = DesiredState.parse(JSON.parse(await readFile(join(h.settings.confDir, 'servers.json'), 'utf8'))).domains['pair.test']!;
    const endpoints = (list: Array<{ address: string; port: number }>) => list.map((s) => `${s.address}:${s.port}`).sort();
    assert.deepEqual(endpoints(saved.servers), endpoints([{ address: '127.0.0.1', port: one.port }, { address: '127.0.0.1', port: two.port }]));
    const [reply] = await h.operator.runtime.execute([commands.showServersState(`pool_${saved.pool}`)]);
    const live = parseServersState(reply ?? '').filter((row) => adminStateName(row.adminState) === 'ready' && row.port !== 1);
    assert.deepEqual(endpoints(live), endpoints(saved.servers));
    // Round robin over both: two requests are answered by both backends.
    const bodies = new Set([(await get(h.httpPort, 'pair.test')).body, (await get(h.httpPort, 'pair.test')).body]);
    assert.deepEqual([...bodies].sort(), ['backend-one', 'backend-two']);
  });

  await t.test('no reload: the worker PID is unchanged', async () => {
    assert.equal(await h.workerPid(), pid);
  });
});
