/**
 * The test harness's guard against Pebble's authorization reuse: with Pebble
 * told to reuse every time, a second order for a name skips DNS-01 unless
 * the guard deactivated the first order's authorization. Every ACME test
 * that counts Cloudflare requests relies on this.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pebbleSkipReason } from '../helpers/pebble.ts';
import { authzReuseGuard } from '../helpers/pebble-no-reuse.ts';
import { startAcmeEnv } from './setup.ts';

test('Pebble reusing authorizations: each order still goes through DNS-01 with the guard, not without', { skip: pebbleSkipReason() ?? false, concurrency: false }, async (t) => {
  const env = await startAcmeEnv(t, { authzReuse: 100 });
  const mgr = await env.makeManager({ policy: { budgetMaxOrders: 100 } });
  const txtPosts = () => env.cf.requests.filter((r) => r.method === 'POST' && r.status === 200).length;
  const order = async (first: boolean) => {
    const before = txtPosts();
    await (first ? mgr.issue({ domain: 'c.test' }) : mgr.renew({ domain: 'c.test', force: true }));
    return txtPosts() - before;
  };
  t.after(() => (authzReuseGuard.on = true));

  authzReuseGuard.on = false;
  assert.equal(await order(true), 1, 'the first order publishes its TXT record');
  assert.equal(await order(false), 0, 'without the guard Pebble reuses the valid authorization: no DNS-01 at all');
  authzReuseGuard.on = true;
  await order(false); // may reuse the authorization left valid above; the guard deactivates it afterwards
  assert.equal(await order(false), 1, 'with the guard the next order publishes again');
  assert.equal(await order(false), 1, 'and the one after');
});
