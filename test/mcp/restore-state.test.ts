/**
 * haproxy_restore_state through a real MCP client, the real operations layer
 * and a real HAProxy. Bug: it failed as soon as a container- or
 * manifest-owned server existed ("slot=1: pool_1_1 belongs to
 * container:..."), after applying the rows before the failing one, and its
 * dry run showed a placeholder instead of the commands. Now: manual servers
 * are restored, owned ones are skipped with the reason, the dry run lists the
 * exact commands and changes nothing, and a batch is all or nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { haproxyMissing, startTestOperator, testEachHaproxy } from '../helpers/haproxy.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { connectInMemory, captureLogger, textOf } from './harness.ts';
import { statePaths } from '../../src/operator.ts';
import { commands } from '../../src/haproxy/commands.ts';
import { parseServersState } from '../../src/haproxy/parsers/servers-state.ts';
import type { SourceServer } from '../../src/operations/types.ts';

const skip = haproxyMissing();

interface RestoreOut {
  dryRun: boolean;
  servers: number;
  skipped: Array<{ server: string; reason: string }>;
  restored: Array<{ server: string; address: string; port: number; state: string }>;
  plan: Array<{ command: string }>;
}

testEachHaproxy('restore_state restores manual servers, skips container- and manifest-owned ones with the reason, dry run lists the commands', { timeout: 60_000 }, async (t, haproxy) => {
  const defer = deferCleanup(t);
  const h = await startTestOperator({ haproxy, pools: 5 });
  defer(() => h.stop());
  const { ops, admin } = h.operator;
  const { logger } = captureLogger();
  const { client, close } = await connectInMemory({ ops, admin, logger, settings: { slots: 10 } });
  defer(close);

  await ops.addDomain({ domain: 'manual.test', ip: '10.1.0.1', port: 8080 });
  await ops.addServer({ domain: 'manual.test', slot: 2, ip: '10.1.0.2', port: 8080 });
  const container: SourceServer = { source: 'container:0123456789ab', domain: 'app.test', family: 'http', address: '10.2.0.1', port: 80, state: 'ready' };
  const manifest: SourceServer = { source: 'manifest:Domain/web', domain: 'web.test', family: 'http', address: '10.3.0.1', port: 80, state: 'ready' };
  await ops.syncSource('container', [container]);
  await ops.syncSource('manifest', [manifest]);
  const pool = (d: string) => ops.getDomain(d)!.pool;
  const saved = await admin.saveState('before.state');

  // Change the manual servers after the save, so there is something to restore.
  await ops.addServer({ domain: 'manual.test', slot: 1, ip: '10.1.0.9', port: 9090, state: 'maint' });
  await ops.setServerWeight({ domain: 'manual.test', slot: 2, weight: 7 });
  const serversJson = await readFile(statePaths(h.settings).serversFile, 'utf8');
  const live = async () => parseServersState((await h.operator.runtime.execute([commands.showServersState()]))[0] ?? '');
  const liveBefore = JSON.stringify(await live());

  const dry = await client.callTool({ name: 'haproxy_restore_state', arguments: { file: 'before.state', dry_run: true } });
  assert.equal(dry.isError, undefined, textOf(dry));
  const d = dry.structuredContent as unknown as RestoreOut;
  const m = pool('manual.test');
  const commandsText = d.plan.map((s) => s.command).join('\n');
  assert.match(commandsText, new RegExp(`set server pool_${m}/pool_${m}_1 addr 10\\.1\\.0\\.1 port 8080`), commandsText);
  assert.match(commandsText, new RegExp(`set weight pool_${m}/pool_${m}_2 1`), commandsText);
  assert.doesNotMatch(commandsText, /per saved server|\.\.\./, 'no placeholder');
  assert.deepEqual(d.skipped.map((s) => s.server).sort(), [`pool_${pool('app.test')}_1`, `pool_${pool('web.test')}_1`].sort());
  assert.ok(d.skipped.every((s) => /belongs to (container:0123456789ab|manifest:Domain\/web)/.test(s.reason)), JSON.stringify(d.skipped));
  assert.match(textOf(dry), /skipped pool_\d+_1: belongs to container:0123456789ab/);
  assert.equal(await readFile(statePaths(h.settings).serversFile, 'utf8'), serversJson, 'dry run left servers.json alone');
  assert.equal(JSON.stringify(await live()), liveBefore, 'dry run left HAProxy alone');

  const real = await client.callTool({ name: 'haproxy_restore_state', arguments: { file: 'before.state' } });
  assert.equal(real.isError, undefined, textOf(real));
  const r = real.structuredContent as unknown as RestoreOut;
  assert.equal(r.servers, 2, JSON.stringify(r.restored));
  assert.equal(r.skipped.length, 2);
  const after = await live();
  const slot1 = after.find((s) => s.server === `pool_${m}_1`)!;
  assert.deepEqual([slot1.address, slot1.port, slot1.adminState & 0x01], ['10.1.0.1', 8080, 0], 'manual slot 1 is back at its saved address, out of maint');
  assert.equal(after.find((s) => s.server === `pool_${m}_2`)!.weight, 1);
  assert.equal(ops.getDomain('app.test')!.servers[0]!.address, '10.2.0.1', 'the container server is untouched');
  assert.equal(ops.getDomain('manual.test')!.servers.find((s) => s.slot === 1)!.state, 'ready', 'servers.json side restored too');

  const again = await client.callTool({ name: 'haproxy_restore_state', arguments: { file: 'before.state' } });
  assert.equal((again.structuredContent as unknown as RestoreOut).servers, 0, 'idempotent: nothing left to restore');
  t.diagnostic(`saved ${saved.servers} rows; restored 2, skipped 2`);

  const missing = await client.callTool({ name: 'haproxy_restore_state', arguments: { file: 'never-saved.state' } });
  assert.equal(missing.isError, true);
  assert.match(textOf(missing), /file="never-saved\.state": no saved state/);
});

test('a batch of servers is all or nothing: one conflicting slot leaves every server and HAProxy as they were', { skip, timeout: 60_000 }, async (t) => {
  const defer = deferCleanup(t);
  const h = await startTestOperator({ pools: 3 });
  defer(() => h.stop());
  const { ops } = h.operator;
  await ops.addDomain({ domain: 'a.test', ip: '10.1.0.1', port: 8080 });
  await ops.syncSource('container', [{ source: 'container:feedbeef', domain: 'a.test', family: 'http', address: '10.2.0.1', port: 80, state: 'ready' }]);
  const ownedSlot = ops.getDomain('a.test')!.servers.find((s) => s.source === 'container:feedbeef')!.slot;
  const before = JSON.stringify(ops.snapshot());
  await assert.rejects(
    ops.addServers([
      { domain: 'a.test', slot: 1, ip: '10.9.9.9', port: 81 },
      { domain: 'a.test', slot: ownedSlot, ip: '10.9.9.8', port: 82 },
    ]),
    /belongs to container:feedbeef/,
  );
  assert.equal(JSON.stringify(ops.snapshot()), before, 'the first server was not applied either');
  const [reply] = await h.operator.runtime.execute([commands.showServersState()]);
  assert.ok(!(reply ?? '').includes('10.9.9.9'), 'HAProxy never saw it');
});
