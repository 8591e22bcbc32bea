/**
 * @module Issue 22, operations side: when HAProxy misses a container sync
 * (runtime connection lost, a command refused), the saved state is ahead of
 * HAProxy. The watcher re-sends the same set; that must bring HAProxy up to
 * date at once, not report "no change" and leave the container unrouted
 * until the periodic restore. Real HAProxy, real backend; only one runtime
 * call is made to fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haproxyMissing, startTestOperator, type TestOperator } from '../helpers/haproxy.ts';
import { get, startBackend } from '../helpers/http.ts';
import { RuntimeCommandError } from '../../src/model/errors.ts';
import type { SourceServer } from '../../src/operations/types.ts';
import type { RuntimeClient } from '../../src/haproxy/runtime-client.ts';

const skip = haproxyMissing();

/** Makes the next call of `method` fail with `error`; later calls go through. */
function failOnce(runtime: RuntimeClient, method: 'apply' | 'execute', error: Error): void {
  const target = runtime as { apply: RuntimeClient['apply']; execute: RuntimeClient['execute'] };
  const real = target[method];
  target[method] = () => {
    target[method] = real;
    return Promise.reject(error);
  };
}

async function setup(t: import('node:test').TestContext): Promise<{ op: TestOperator; server: SourceServer; status: () => Promise<number> }> {
  const backend = await startBackend('catch-up');
  t.after(() => backend.close());
  const op = await startTestOperator({ pools: 3 });
  t.after(() => op.stop());
  const server: SourceServer = { source: 'container:c22', domain: 'late.test', family: 'http', address: '127.0.0.1', port: backend.port, state: 'ready' };
  return { op, server, status: async () => (await get(op.httpPort, 'late.test')).status };
}

test('a sync whose apply HAProxy refused is applied by the next sync of the same set', { skip }, async (t) => {
  const { op, server, status } = await setup(t);
  failOnce(op.operator.runtime, 'apply', new RuntimeCommandError('HAProxy refused 1 of 4 commands', 'set server pool_1/pool_1_1 state ready'));
  await assert.rejects(op.operator.ops.syncSource('container', [server]), /refused/);
  assert.equal(await status(), 503, 'not routed after the failed apply');
  const again = await op.operator.ops.syncSource('container', [server]);
  assert.equal(again.changed, false, 'the desired state was already saved');
  assert.ok(again.plan.length > 0, 'the catch-up sent commands');
  assert.equal(await status(), 200);
  const third = await op.operator.ops.syncSource('container', [server]);
  assert.deepEqual(third.plan, [], 'caught up: nothing more to send');
});

test('a sync made while HAProxy was unreachable says so, and the next sync applies it', { skip }, async (t) => {
  const { op, server, status } = await setup(t);
  // The runner plans from its cache of HAProxy, so the connection is lost on the apply (no command named: unreachable).
  failOnce(op.operator.runtime, 'apply', new RuntimeCommandError('runtime API 127.0.0.1: connection closed'));
  const first = await op.operator.ops.syncSource('container', [server]);
  assert.equal(first.changed, true);
  assert.equal(first.unapplied, true, 'the caller learns the change is not in HAProxy yet');
  assert.equal(await status(), 503);
  const again = await op.operator.ops.syncSource('container', [server]);
  assert.equal(again.unapplied, undefined);
  assert.equal(await status(), 200);
});
