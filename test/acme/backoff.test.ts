/**
 * The backoff and the order budget against a real Pebble and the fake
 * Cloudflare: a wrong token costs one API call and no order, every path then
 * waits; the fixed token is used at once without a restart. Apex + wildcard
 * in a row never fail; an unreachable CA answers fast.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pebbleSkipReason } from '../helpers/pebble.ts';
import { freePort } from '../helpers/ports.ts';
import { BackoffError } from '../../src/acme/renewal.ts';
import { certProvider, certsFacade } from '../../src/wiring/certs.ts';
import { waitFor } from '../helpers/wait.ts';
import { startAcmeEnv, TOKEN, txtAt } from './setup.ts';

const skip = pebbleSkipReason();

test('backoff, budget and CA reachability through Pebble and the fake Cloudflare', { skip, concurrency: false }, async (t) => {
  const env = await startAcmeEnv(t);

  await t.test('a wrong token: one Cloudflare call, no order, every path backs off; fixed: issued without a restart', async () => {
    const tokenFile = join(env.dir, 'cf-token');
    await writeFile(tokenFile, 'wrong\n', { mode: 0o600 }); // short tokens are Cloudflare's to judge
    const mgr = await env.makeManager({ tokenFile });
    const before = env.cf.requests.length;
    const first = (await mgr.issue({ domain: 'a.test', wildcard: true, origin: 'Certificate/a' }).then(() => new Error('issued'), (e: unknown) => e)) as Error;
    assert.match(first.message, /refused the API token for zone a\.test .*: HTTP 403 \(10000 Authentication error\)/, 'Cloudflare answer in the error');
    assert.equal(env.cf.requests.length - before, 1, 'one API call');
    // Every path that can start an order now waits: issue (resources, tls=auto, MCP, CLI), ensure, renew, the schedule.
    await assert.rejects(mgr.issue({ domain: 'a.test', wildcard: true }), BackoffError);
    const ensured = await mgr.ensure([{ domain: 'a.test', wildcard: true, origin: 'tls=auto' }]);
    assert.match((ensured[0] as { error: string }).error, /backing off after 1 failed attempt\(s\) until .*Authentication error/);
    await assert.rejects(mgr.renew({ domain: 'a.test' }), BackoffError);
    assert.equal((await mgr.checkRenewals()).find((r) => r.name === 'a.test')?.action, 'backoff');
    assert.equal(env.cf.requests.length - before, 1, 'still one API call after five attempts');
    let [status] = await mgr.list();
    assert.equal(status!.ordersInWindow, 0, 'the budget is untouched: the CA never saw an order');
    assert.equal(status!.failures, 1);
    assert.equal(status!.source, 'acme:pebble (Certificate/a)');
    assert.match(status!.lastError!, /Authentication error/);

    await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const res = await mgr.issue({ domain: 'a.test', wildcard: true });
    assert.equal(res.action, 'issued', 'the new token resets the backoff');
    [status] = await mgr.list();
    assert.equal(status!.ordersInWindow, 1);
    assert.equal(status!.failures, 0);
    assert.equal(status!.failuresTotal, 1, 'the failure stays counted');
    assert.ok(!env.logText().includes(TOKEN), 'no token in the log');
  });

  await t.test('apex + wildcard 20 orders in a row: no failure, no TXT left', async () => {
    const mgr = await env.makeManager({ policy: { budgetMaxOrders: 50 } });
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      const r = i === 0 ? await mgr.issue({ domain: 'b.test', wildcard: true }) : await mgr.renew({ domain: 'b.test', force: true });
      assert.equal(r.status.ready, true, `order ${i + 1}`);
      assert.deepEqual(r.status.domains, ['b.test', '*.b.test']);
      assert.deepEqual(await txtAt(env.pebble.dnsAddress, '_acme-challenge.b.test'), [], `no TXT value left after order ${i + 1}`);
    }
    const [status] = (await mgr.list()).filter((s) => s.name === 'b.test');
    assert.equal(status!.failuresTotal, 0);
    assert.equal(status!.ordersInWindow, 20);
    assert.deepEqual(env.cf.records(), []);
    t.diagnostic(`20 apex+wildcard orders in ${Date.now() - started} ms`);
  });

  await t.test('the CA down: the MCP tool answers in seconds, no order counted', async () => {
    const port = await freePort();
    const mgr = await env.makeManager({ issuer: { name: 'down', directoryUrl: `https://127.0.0.1:${port}/dir`, email: 'ops@a.test' } });
    const provider = certProvider(certsFacade({ certDir: env.certDir, manager: mgr }));
    const t0 = Date.now();
    const out = await provider.issue!({ domains: ['c.test'] }).catch((e: unknown) => e as Error);
    const ms = Date.now() - t0;
    assert.ok(out instanceof Error);
    assert.match(out.message, /cannot reach the ACME server https:\/\/127\.0\.0\.1:\d+\/dir .*ECONNREFUSED/);
    assert.ok(ms < 5000, `answered in ${ms} ms`);
    const [status] = (await mgr.list()).filter((s) => s.name === 'c.test');
    assert.equal(status!.ordersInWindow, 0);
    assert.ok(Date.parse(status!.nextAttempt!) > Date.now(), 'backs off');
    t.diagnostic(`connection refused answered in ${ms} ms`);
  });

  await t.test('a CA that never answers: the MCP tool returns a handle, the outcome lands in the list', async () => {
    const sockets = new Set<Socket>();
    const hole = createServer((s) => void sockets.add(s));
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
    t.after(() => {
      for (const s of sockets) s.destroy();
      hole.close();
    });
    const port = (hole.address() as { port: number }).port;
    const mgr = await env.makeManager({ issuer: { name: 'hole', directoryUrl: `https://127.0.0.1:${port}/dir`, email: 'ops@a.test' } });
    const provider = certProvider(certsFacade({ certDir: env.certDir, manager: mgr }), { answerWithinMs: 500 });
    const t0 = Date.now();
    const out = await provider.issue!({ domains: ['d.test'] });
    assert.ok(Date.now() - t0 < 2000);
    assert.match(out.summary, /order for d\.test: still running after 1 s; it goes on in the background/);
    // acme-client has no timeout of its own; ours ends the hung request.
    const lastError = async () => (await provider.list()).find((c) => c.name === 'd.test')?.lastError ?? '';
    await waitFor(async () => /no answer within 15000 ms/.test(await lastError()), { timeoutMs: 25_000, intervalMs: 200, message: 'the outcome in the list' });
    assert.match(await lastError(), /cannot reach the ACME server https:\/\/127\.0\.0\.1:\d+\/dir/);
  });
});
