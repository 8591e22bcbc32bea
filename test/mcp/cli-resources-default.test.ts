/**
 * apply/get/delete on a default start, through the real CLI client against
 * the whole operator (runOperator, real HAProxy). Bug: they failed with
 * "resources are not enabled ... start it with --resources-dir". Now the
 * resources directory defaults to <state>/resources (created at start);
 * applied manifests are written there, survive a restart and can be edited
 * by hand; the audit log names each resource (kind/name) and what changed;
 * the change log line names the resource and the API caller.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/run.ts';
import { haproxyMissing } from '../helpers/haproxy.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { get, startBackend } from '../helpers/http.ts';
import { domainManifest } from '../helpers/manifests.ts';
import { waitFor } from '../helpers/wait.ts';
import { captureRootLogger } from '../log/capture.ts';
import { startRunningOperator } from './running-operator.ts';

const skip = haproxyMissing();

test('a default start serves apply/get/delete from <state>/resources; manifests survive a restart and hand edits; audit and log name the resource', { skip, timeout: 120_000 }, async (t) => {
  const defer = deferCleanup(t);
  const stateDir = await mkdtemp(join(tmpdir(), 'hop-resdef-'));
  defer(() => rm(stateDir, { recursive: true, force: true }));
  const work = await mkdtemp(join(tmpdir(), 'hop-resdef-work-'));
  defer(() => rm(work, { recursive: true, force: true }));
  const backend = await startBackend('res-default');
  defer(() => backend.close());
  const log = captureRootLogger('debug');
  let op = await startRunningOperator({ stateDir, logger: log.logger });
  defer(() => op.stop());
  const resources = join(stateDir, 'resources');
  assert.ok((await stat(resources)).isDirectory(), 'created at start');

  const cli = async (command: string, argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(command, [...argv, '--listen', op.listen], { out: (l) => out.push(l), err: (l) => err.push(l) }, {}, { cwd: work });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  await writeFile(join(work, 'web.yaml'), domainManifest({ name: 'web', host: 'web.test', port: backend.port }));
  const applied = await cli('apply', ['-f', 'web.yaml']);
  assert.equal(applied.code, 0, applied.err);
  assert.equal(applied.out, 'domain/web created (domain-web.yaml)');
  assert.match(await readFile(join(resources, 'domain-web.yaml'), 'utf8'), /name: web/);
  await waitFor(async () => (await get(op.httpPort, 'web.test')).status === 200, { message: 'web.test served' });

  const change = log.events().find((e) => String(e.msg).startsWith('change: resource Domain/web'));
  assert.ok(change, 'a change line names the resource');
  assert.match(String(change.msg), /^change: resource Domain\/web by api:127\.0\.0\.1: web\.test \(pool_1\): web\.test routed to pool_1; pool_1_1 added 127\.0\.0\.1:\d+: applied \(\d+ commands\)$/);
  assert.deepEqual([change.hosts, change.pool, change.level], [['web.test'], 1, 30]);

  // A second version changes the port: the audit entry says which resource and which field.
  await writeFile(join(work, 'web.yaml'), domainManifest({ name: 'web', host: 'web.test', port: backend.port, check: '/healthz' }));
  assert.equal((await cli('apply', ['-f', 'web.yaml'])).code, 0);
  const audit = (await readFile(join(stateDir, 'audit.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { tool: string; result?: { resources?: unknown[] } });
  const applies = audit.filter((a) => a.tool === 'api:apply');
  assert.deepEqual(applies.map((a) => a.result?.resources), [
    [{ resource: 'Domain/web', action: 'created' }],
    [{ resource: 'Domain/web', action: 'configured', changed: ['spec.servers'] }],
  ]);

  // Restart: the applied manifest is still there and still routed.
  await op.stop({ keepState: true });
  op = await startRunningOperator({ stateDir, logger: log.logger });
  const listed = await cli('get', ['domains']);
  assert.equal(listed.code, 0, listed.err);
  assert.match(listed.out, /\bweb\b/);
  await waitFor(async () => (await get(op.httpPort, 'web.test')).status === 200, { message: 'web.test served after restart' });

  // Edited by hand: the host changes.
  const text = await readFile(join(resources, 'domain-web.yaml'), 'utf8');
  await writeFile(join(resources, 'domain-web.yaml'), text.replace('web.test', 'www.test'));
  await waitFor(async () => (await get(op.httpPort, 'www.test')).status === 200, { message: 'hand edit applied' });

  const deleted = await cli('delete', ['-f', join(resources, 'domain-web.yaml')]);
  assert.equal(deleted.code, 0, deleted.err);
  await waitFor(async () => (await get(op.httpPort, 'www.test')).status === 503, { message: 'deleted' });
  const last = (await readFile(join(stateDir, 'audit.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { tool: string; result?: unknown }).at(-1)!;
  assert.deepEqual([last.tool, last.result], ['api:delete', { resources: [{ resource: 'Domain/web', action: 'deleted' }] }]);
});
