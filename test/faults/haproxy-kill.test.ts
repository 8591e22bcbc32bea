/**
 * Fault: kill -9 of the HAProxy master, then of the worker, under a running
 * operator. The supervisor restarts HAProxy, restores every route from the
 * desired state, the worker PID changes, the routes serve again, and each
 * failure is reported exactly once in the log.
 */
import assert from 'node:assert/strict';
import { haproxyMissing, testEachHaproxy } from '../helpers/haproxy.ts';
import { startBackend, get } from '../helpers/http.ts';
import { waitFor } from '../helpers/wait.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { startFaultOperator } from './harness.ts';

testEachHaproxy('kill -9 of the HAProxy master and of the worker: restored, served, reported once each', { skip: haproxyMissing() ?? false, timeout: 60_000 }, async (t, haproxy) => {
  const defer = deferCleanup(t);
  const op = await startFaultOperator({ haproxy });
  defer(() => op.stop());
  const a = await startBackend('backend-a');
  const b = await startBackend('backend-b');
  defer(() => a.close());
  defer(() => b.close());
  await op.operator.ops.addDomain({ domain: 'a.test', ip: '127.0.0.1', port: a.port });
  await op.operator.ops.addDomain({ domain: 'b.test', ip: '127.0.0.1', port: b.port });
  const serves = async () => (await get(op.httpPort, 'a.test')).body === 'backend-a' && (await get(op.httpPort, 'b.test')).body === 'backend-b';
  await waitFor(serves, { timeoutMs: 10_000, message: 'both routes served before the faults' });
  const sup = op.operator.supervisor!;
  const exited = () => op.log.count('haproxy exited; restarting');
  const restored = () => op.log.events().filter((e) => e.msg === 'routes restored' && e.why === 'haproxy restarted').length;
  let cases = 0;

  for (const target of ['master', 'worker'] as const) {
    const masterBefore = sup.masterPid();
    const workerBefore = sup.workerPid();
    const exitsBefore = exited();
    const restoresBefore = restored();
    process.kill(target === 'master' ? masterBefore : workerBefore, 'SIGKILL');
    await waitFor(() => sup.workerPid() !== workerBefore && sup.workerPid() > 0 && restored() > restoresBefore, { timeoutMs: 20_000, message: `HAProxy restarted and restored after kill -9 of the ${target}` });
    await waitFor(serves, { timeoutMs: 10_000, message: `routes served again after kill -9 of the ${target}` });
    assert.notEqual(sup.masterPid(), masterBefore, 'a new master');
    assert.notEqual(sup.workerPid(), workerBefore, 'a new worker');
    assert.equal(exited() - exitsBefore, 1, `the ${target} kill was reported once`);
    assert.equal(restored() - restoresBefore, 1, 'restored once');
    // Nothing lost: the desired state still has both domains, and a change after the fault works.
    assert.deepEqual(op.operator.ops.listDomains().map((d) => d.domain).sort(), ['a.test', 'b.test']);
    cases += 1;
  }
  const c = await startBackend('backend-c');
  defer(() => c.close());
  await op.operator.ops.addDomain({ domain: 'c.test', ip: '127.0.0.1', port: c.port });
  await waitFor(async () => (await get(op.httpPort, 'c.test')).body === 'backend-c', { timeoutMs: 10_000, message: 'a new route after the faults' });
  assert.equal(sup.restarts, 2);
  assert.equal(exited(), 2, 'two failures, two reports (not one per retry or poll)');
  t.diagnostic(`fault cases: ${cases} (master, worker)`);
});
