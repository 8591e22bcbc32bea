/**
 * @module Reconciler idempotence against a real HAProxy: after a series of
 * changes (default and custom ports, extra slots, check paths, drain,
 * weights, IPv6, container servers with a manual override), a full
 * reconcile plans nothing and sends only its reads; repeating a change
 * sends nothing; and a change to one domain sends no command (read or
 * write) naming another domain's pool.
 */
import assert from 'node:assert/strict';
import { haproxyMissing, startTestOperator, testEachHaproxy } from '../helpers/haproxy.ts';
import { startBackend } from '../helpers/http.ts';
import { commands } from '../../src/haproxy/commands.ts';
import { parseServersState } from '../../src/haproxy/parsers/servers-state.ts';
import type { RuntimeClient } from '../../src/haproxy/runtime-client.ts';

const skip = haproxyMissing();

/** Records every command the operations layer sends through `runtime` from now on. */
function record(runtime: RuntimeClient): { commands: string[] } {
  const log = { commands: [] as string[] };
  const { execute, apply } = runtime;
  Object.assign(runtime, {
    execute: (cmds: readonly string[]) => {
      log.commands.push(...cmds);
      return execute(cmds);
    },
    // apply runs through the client's own execute, so it is not counted twice.
    apply: (cmds: readonly string[]) => {
      log.commands.push(...cmds);
      return apply(cmds);
    },
  });
  return log;
}

testEachHaproxy('reconcile is idempotent and changes stay inside their domain', { skip }, async (t, haproxy) => {
  const backend = await startBackend('idem');
  t.after(() => backend.close());
  const h = await startTestOperator({ pools: 5, haproxy });
  t.after(() => h.stop());
  const { ops, runtime } = h.operator;

  await ops.addDomain({ domain: 'a.test', ip: '127.0.0.1' });
  await ops.addDomain({ domain: 'b.test', ip: '127.0.0.1', port: backend.port });
  await ops.addServer({ domain: 'b.test', slot: 2, ip: '127.0.0.1', port: backend.port, check: '/healthz', weight: 20 });
  await ops.addServer({ domain: 'b.test', slot: 3, family: 'ssl', ip: '::1', port: 8443, state: 'maint' });
  await ops.setServerState({ domain: 'a.test', slot: 1, family: 'ssl', state: 'drain' });
  await ops.setServerWeight({ domain: 'a.test', slot: 1, weight: 0 });
  await ops.addDomain({ domain: 'c.test', ip: '127.0.0.3', port: 9000 });
  await ops.removeDomain({ domain: 'c.test' });
  await ops.syncSource('container', [
    { source: 'container:web1', domain: 'd.test', family: 'http', address: '127.0.0.4', port: 8081, state: 'ready', check: '/ping' },
    { source: 'container:web2', domain: 'd.test', family: 'http', address: '127.0.0.5', port: 8081, state: 'ready', weight: 3 },
  ]);
  await ops.setServerState({ domain: 'd.test', slot: 2, state: 'maint', by: 'test' });
  await ops.syncSource('container', [{ source: 'container:web2', domain: 'd.test', family: 'http', address: '127.0.0.6', port: 8081, state: 'ready', weight: 3 }]);
  const pools = Object.fromEntries(ops.listDomains().map((d) => [d.domain, d.pool]));
  assert.deepEqual(pools, { 'a.test': 1, 'b.test': 2, 'd.test': 3 });

  // HAProxy holds what was asked (read back, not remembered).
  const [state3] = await runtime.execute([commands.showServersState('pool_3')]);
  const web2 = parseServersState(state3!).find((r) => r.server === 'pool_3_2')!;
  assert.equal(web2.address, '127.0.0.6');
  assert.equal(web2.weight, 3);
  assert.equal(web2.adminState & 0x01, 0x01, 'the manual maint override holds over the container resync');

  await t.test('a full reconcile after the changes plans nothing and sends only its reads', async () => {
    for (let round = 1; round <= 2; round++) {
      // Recorded rather than counted with runtime.sent: the operator's PID watch sends `show info` every second.
      const log = record(runtime);
      const steps = await ops.restore();
      assert.deepEqual(steps, [], `round ${round}: nothing to do`);
      assert.ok(log.commands.includes('show servers state'), `round ${round}: the reconcile's reads went through the recorder`);
      assert.deepEqual(log.commands.filter((c) => !c.startsWith('show ')), [], `round ${round}: only reads were sent`);
    }
  });

  await t.test('repeating a change sends nothing', async () => {
    const log = record(runtime);
    const result = await ops.setServerWeight({ domain: 'a.test', slot: 1, weight: 0 });
    assert.deepEqual(result.plan, []);
    assert.ok(log.commands.every((c) => c.startsWith('show ')), `only reads: ${log.commands.join(' | ')}`);
  });

  await t.test("a change to one domain names no other domain's pool", async () => {
    const changes: Array<{ desc: string; run: () => Promise<{ plan: Array<{ command: string }> }> }> = [
      { desc: 'weight', run: () => ops.setServerWeight({ domain: 'a.test', slot: 1, weight: 9 }) },
      { desc: 'new server', run: () => ops.addServer({ domain: 'a.test', slot: 4, ip: '127.0.0.7', port: 8088, check: '/h' }) },
      { desc: 'address', run: () => ops.addServer({ domain: 'a.test', slot: 4, ip: '127.0.0.8', port: 8089 }) },
      { desc: 'drain', run: () => ops.setServerState({ domain: 'a.test', slot: 4, state: 'drain' }) },
      { desc: 'remove server', run: () => ops.removeServer({ domain: 'a.test', slot: 4 }) },
    ];
    for (const change of changes) {
      const log = record(runtime);
      const result = await change.run();
      assert.ok(result.plan.length > 0, `${change.desc}: something was sent`);
      const named = new Set(log.commands.flatMap((c) => [...c.matchAll(/\bpool_(\d+)/g)].map((m) => Number(m[1]))));
      assert.deepEqual([...named], [1], `${change.desc}: only pool_1 named, got ${log.commands.join(' | ')}`);
      assert.ok(!log.commands.some((c) => /\b(b|d)\.test\b/.test(c)), `${change.desc}: no other host named`);
      assert.ok(result.plan.every((step) => log.commands.includes(step.command)), `${change.desc}: the writes went through the recorder`);
      assert.deepEqual(await ops.restore(), [], `${change.desc}: settled`);
    }
    const [state1] = await runtime.execute([commands.showServersState('pool_1')]);
    assert.equal(parseServersState(state1!).find((r) => r.server === 'pool_1_1')!.weight, 9);
  });
});
