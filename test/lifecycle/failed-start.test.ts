/**
 * A failed start after a crash never takes the sites down: after `kill -9`
 * of the operator (its HAProxy keeps serving), starts with a bad setting (a
 * Cloudflare token file that does not exist, then one holding a token of an
 * unexpected length) exit non-zero naming the flag, the variable, the config
 * key and the file, and requests to a routed host succeed before, during and
 * after each failed start; the HAProxy master is the same one throughout.
 *
 * Bug found here (issue 13): the start adopted the running HAProxy, then
 * failed on the token and stopped it: 20 of 20 requests failed right after.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { haproxyMissing, testEachHaproxy } from '../helpers/haproxy.ts';
import { get, startBackend } from '../helpers/http.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { createOperatorRun, kill9, runtimeCommand } from './harness.ts';
import { waitFor } from '../helpers/wait.ts';
import { parseArgv, resolveSettings } from '../../src/config/settings.ts';
import { ALL_OPTIONS } from '../../src/config/options.ts';
import { startOperator } from '../../src/operator.ts';
import { createLifecycle } from '../../src/lifecycle.ts';
import { captureRootLogger } from '../log/capture.ts';

testEachHaproxy('kill -9, then starts with a bad token setting: traffic never stops, the error names the setting', { skip: haproxyMissing() ?? false, timeout: 120_000 }, async (t, haproxy) => {
  const defer = deferCleanup(t);
  const run = await createOperatorRun({ flags: { containers: 'false', 'haproxy-bin': haproxy.bin } });
  defer(() => run.cleanup());
  const backend = await startBackend('kept');
  defer(() => backend.close());

  const first = run.start();
  await first.ready();
  const client = new Client({ name: 'lifecycle-test', version: '1.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${run.listen}/mcp`)));
  const added = await client.callTool({ name: 'haproxy_add_domain', arguments: { domain: 'kept.test', ip: '127.0.0.1', port: backend.port } });
  assert.notEqual(added.isError, true, JSON.stringify(added.content));
  await client.close();
  assert.equal((await get(run.http, 'kept.test')).body, 'kept');
  await kill9(first);
  const pids = async () => (await readFile(join(run.stateDir, 'run', 'haproxy.pids'), 'utf8')).split(/\s+/).map(Number).filter((n) => n > 1);
  const [master] = await pids();

  // Requests every 20 ms for the whole test from here on.
  let requests = 0;
  const failures: string[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      requests += 1;
      const reply = await get(run.http, 'kept.test').catch((e: Error) => ({ status: 0, body: e.message }));
      if (reply.body !== 'kept') failures.push(`${reply.status} ${reply.body.slice(0, 80)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  defer(async () => {
    polling = false;
    await poller;
  });

  const shortToken = join(run.stateDir, 'short-token');
  await writeFile(shortToken, 'abc def\n', { mode: 0o600 }); // any token without white space is Cloudflare's to judge (issue 14)
  const cases = [
    { what: 'missing token file', file: join(run.stateDir, 'no-such-token'), reason: /cannot read \(ENOENT\)/ },
    { what: 'token holding white space', file: shortToken, reason: /not a Cloudflare API token/ },
  ];
  for (const c of cases) {
    const before = requests;
    const bad = run.start({ 'acme-email': 'ops@example.test', 'cloudflare-token-file': c.file });
    const { code } = await bad.exited;
    const out = bad.stderr();
    assert.notEqual(code, 0, `${c.what}: the start fails`);
    for (const name of ['--cloudflare-token-file', 'HAPROXY_OPERATOR_CLOUDFLARE_TOKEN_FILE', 'cloudflareTokenFile', c.file]) {
      assert.ok(out.includes(name), `${c.what}: the error names ${name}: ${out.slice(-1500)}`);
    }
    assert.match(out, c.reason);
    assert.ok(!out.includes('abc'), 'the token is never shown');
    // Keep requesting for a while after the failed start.
    const after = requests;
    await waitFor(() => requests >= after + 25, { message: `25 more requests after the failed start (${c.what})` });
    assert.deepEqual(failures, [], `${c.what}: every request to the routed host succeeded (${requests - before} during and after the start)`);
    assert.deepEqual((await pids())[0], master, `${c.what}: the HAProxy master was neither stopped nor replaced`);
    assert.ok((await run.haproxyPids()).includes(master!), 'the HAProxy master still runs');
  }

  // A good start still takes that HAProxy over.
  const good = run.start();
  await good.ready();
  assert.equal((await pids())[0], master, 'the next good start took the same HAProxy over');
  polling = false;
  await poller;
  assert.deepEqual(failures, []);
  t.diagnostic(`${requests} requests over two failed starts and one good one, 0 failed`);
});

test('a start that fails after taking HAProxy over (past every check) leaves that HAProxy serving', { skip: haproxyMissing() ?? false, timeout: 90_000 }, async (t) => {
  const defer = deferCleanup(t);
  const run = await createOperatorRun({ flags: { containers: 'false' } });
  defer(() => run.cleanup());
  const first = run.start();
  await first.ready();
  await kill9(first);
  const [master] = (await readFile(join(run.stateDir, 'run', 'haproxy.pids'), 'utf8')).split(/\s+/).map(Number);
  // The same settings the process had, started in this test process on the same state directory.
  const argv = run.args().slice(4);
  const settings = resolveSettings(parseArgv(argv, ALL_OPTIONS).values, {}, process.cwd(), ALL_OPTIONS);
  const log = captureRootLogger('info');
  const life = createLifecycle();
  const operator = await startOperator(settings, log.logger, life);
  assert.equal(operator.supervisor?.masterPid(), master, 'the running HAProxy was taken over');
  // A later part fails: runOperator marks the start failed and stops what it started.
  life.markStartFailed();
  await life.stop();
  assert.ok((await run.haproxyPids()).includes(master!), 'the adopted HAProxy master still runs');
  assert.equal((await runtimeCommand(run.runtime, 'show info')).includes('Pid:'), true, 'and answers on its Runtime API');
  assert.equal(log.count('keeps serving (not stopped)'), 1);
});
