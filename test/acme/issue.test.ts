/**
 * Issuance against a real Pebble through the fake Cloudflare: the happy path
 * (name + wildcard in one order), Cloudflare faults, a wrong token, an ACME
 * failure that must leave the old PEM in place, and the order budget.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile, stat, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pebbleSkipReason } from '../helpers/pebble.ts';
import { OrderBudgetError } from '../../src/acme/renewal.ts';
import { CloudflareError } from '../../src/dns/cloudflare.ts';
import { startAcmeEnv, TOKEN, txtAt } from './setup.ts';

const run = promisify(execFile);
const skip = pebbleSkipReason();

function splitPem(pem: string): string[] {
  return pem.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [];
}

test('ACME issuance through Pebble and the fake Cloudflare', { skip, concurrency: false }, async (t) => {
  const env = await startAcmeEnv(t);

  await t.test('a.test + *.a.test in one order: 0600 PEM, chain from Pebble, no TXT left', async () => {
    const mgr = await env.makeManager();
    const res = await mgr.issue({ domain: 'a.test', wildcard: true });
    assert.equal(res.action, 'issued');
    const path = join(env.certDir, 'a.test.pem');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const pem = await readFile(path, 'utf8');
    assert.ok(!/\n\s*\n/.test(pem), 'no blank line inside the PEM');
    const blocks = splitPem(pem);
    assert.ok(blocks.length >= 3, 'leaf, intermediate, key');
    assert.match(blocks.at(-1)!, /PRIVATE KEY/);
    assert.ok(blocks.slice(0, -1).every((b) => b.includes('CERTIFICATE')), 'chain first, key last');
    const leaf = new X509Certificate(blocks[0]!);
    assert.match(leaf.subjectAltName ?? '', /DNS:a\.test/);
    assert.match(leaf.subjectAltName ?? '', /DNS:\*\.a\.test/);
    // The chain must verify up to the root of this Pebble process.
    const root = join(env.dir, 'root.pem');
    const chain = join(env.dir, 'chain.pem');
    await writeFile(root, await env.pebble.rootCaPem());
    await writeFile(chain, blocks.slice(1, -1).join('\n'));
    await writeFile(join(env.dir, 'leaf.pem'), blocks[0]!);
    const { stdout } = await run('openssl', ['verify', '-CAfile', root, '-untrusted', chain, join(env.dir, 'leaf.pem')]);
    assert.match(stdout, /: OK/);
    assert.deepEqual(env.cf.records(), []);
    assert.deepEqual(await txtAt(env.pebble.dnsAddress, '_acme-challenge.a.test'), []);
    const [status] = await mgr.list();
    assert.equal(status!.name, 'a.test');
    assert.deepEqual(status!.domains, ['a.test', '*.a.test']);
    assert.equal(status!.ready, true);
    assert.equal(status!.issuer, leaf.issuer.replace(/\n/g, ', '));
    assert.equal(status!.notAfter, new Date(leaf.validTo).toISOString());
    assert.equal(status!.ordersInWindow, 1);
    const key = join(env.stateDir, 'acme', 'account-pebble.key');
    assert.equal((await stat(key)).mode & 0o777, 0o600);
    assert.equal((await stat(join(env.stateDir, 'acme', 'state.json'))).mode & 0o777, 0o600);

    // Same request again: valid and not due, so no new order; the account key is reused.
    const keyBefore = await readFile(key, 'utf8');
    const again = await (await env.makeManager()).issue({ domain: '*.a.test' });
    assert.equal(again.action, 'unchanged');
    assert.equal(await readFile(key, 'utf8'), keyBefore);
  });

  await t.test('ensure: names covered by a valid certificate (or its wildcard) place no order', async () => {
    const mgr = await env.makeManager();
    const results = await mgr.ensure(['x.a.test', 'a.test', '*.a.test', 'bad name']);
    assert.deepEqual(results.map((r) => ('action' in r ? `${r.name}:${r.action}` : `${r.name}:error`)), ['a.test:unchanged', 'a.test:unchanged', 'a.test:unchanged', 'bad name:error']);
    const [status] = (await mgr.list()).filter((s) => s.name === 'a.test');
    assert.equal(status!.ordersInWindow, 1);
    assert.equal(status!.wildcard, true, 'a plain request never narrows the wildcard');
  });

  await t.test('a propagation timeout fails clearly and removes the TXT records', async () => {
    const { createPropagationChecker, DnsPropagationError } = await import('../../src/dns/propagation.ts');
    const { pino } = await import('pino');
    const dead = createPropagationChecker({ logger: pino({ level: 'silent' }), resolvers: ['127.0.0.1:9'], intervalMs: 20, timeoutMs: 200, queryTimeoutMs: 50 });
    const mgr = await env.makeManager({ dnsWrap: (s) => ({ ...s, waitForPropagation: (ref) => dead.waitForTxt(ref.name, ref.value, ref.zoneName) }) });
    const err = await mgr.issue({ domain: 'f.test', wildcard: true }).catch((e: unknown) => e);
    assert.ok(err instanceof DnsPropagationError, String(err));
    assert.match(err.message, /TXT _acme-challenge\.f\.test not visible at 127\.0\.0\.1:9 after 200 ms; last DNS error: 127\.0\.0\.1:9: /);
    assert.deepEqual(env.cf.records(), []);
    await assert.rejects(access(join(env.certDir, 'f.test.pem')), /ENOENT/);
  });

  await t.test('Cloudflare 429 and 500 are retried and the order succeeds', async () => {
    env.cf.inject({ kind: 429, retryAfter: '0' }, { kind: 500 }, { kind: 500, match: (m) => m === 'DELETE' });
    const mgr = await env.makeManager();
    const res = await mgr.issue({ domain: 'b.test' });
    assert.equal(res.action, 'issued');
    const statuses = env.cf.requests.map((r) => r.status);
    assert.ok(statuses.includes(429) && statuses.includes(500), JSON.stringify(statuses));
    await access(join(env.certDir, 'b.test.pem'));
    assert.deepEqual(env.cf.records(), []);
  });

  await t.test('a wrong token: clear error naming the zone, no PEM, no token anywhere', async () => {
    const wrong = 'wrong-Token_0123456789abcdefghijklm';
    const mgr = await env.makeManager({ token: wrong });
    const err = await mgr.issue({ domain: 'c.test', wildcard: true }).catch((e: unknown) => e);
    assert.ok(err instanceof CloudflareError, String(err));
    assert.match(err.message, /refused the API token for zone c\.test/);
    await assert.rejects(access(join(env.certDir, 'c.test.pem')), /ENOENT/);
    assert.deepEqual(env.cf.records(), []);
    const [status] = (await mgr.list()).filter((s) => s.name === 'c.test');
    assert.match(status!.lastError!, /zone c\.test/);
    assert.equal(status!.ready, false);
    const state = await readFile(join(env.stateDir, 'acme', 'state.json'), 'utf8');
    for (const text of [err.message, String(err.stack), env.logText(), state]) {
      assert.ok(!text.includes(wrong) && !text.includes(TOKEN));
    }
  });

  await t.test('an ACME validation failure leaves the old PEM and cleans up TXT', async () => {
    const mgr = await env.makeManager({ dnsWrap: (s) => ({ ...s, waitForPropagation: async () => undefined }) });
    await mgr.issue({ domain: 'd.test', wildcard: true });
    const path = join(env.certDir, 'd.test.pem');
    const before = await readFile(path, 'utf8');
    env.cf.setPublishing(false);
    t.after(() => env.cf.setPublishing(true));
    const err = await mgr.renew({ domain: 'd.test', force: true }).catch((e: unknown) => e);
    env.cf.setPublishing(true);
    assert.ok(err instanceof Error);
    assert.match(err.message, /issuer pebble \(https:\/\/127\.0\.0\.1:\d+\/dir\): order for d\.test, \*\.d\.test failed: /);
    assert.equal(await readFile(path, 'utf8'), before);
    assert.deepEqual(env.cf.records(), []);
    const [status] = (await mgr.list()).filter((s) => s.name === 'd.test');
    assert.equal(status!.failures, 1);
    assert.equal(status!.ready, true, 'the old certificate still counts');
    assert.ok(Date.parse(status!.nextAttempt!) > Date.now(), 'a failure schedules a backed-off retry');
    // The scheduled check respects the backoff: it does not order again.
    const reports = await mgr.checkRenewals();
    assert.deepEqual(reports.find((r) => r.name === 'd.test')?.action, 'not-due');
  });

  await t.test('the order budget stops a loop of failing orders; force overrides it and says so', async () => {
    const policy = { backoffBaseMs: 1, backoffMaxMs: 1 };
    // The managers' clock, moved past the 1 ms backoff between attempts instead of sleeping.
    let skewMs = 0;
    const now = () => Date.now() + skewMs;
    const mgr = await env.makeManager({ policy, now, dnsWrap: (s) => ({ ...s, waitForPropagation: async () => undefined }) });
    env.cf.setPublishing(false);
    t.after(() => env.cf.setPublishing(true));
    let failed = 0;
    let err: unknown;
    for (let i = 0; i < 10 && !(err instanceof OrderBudgetError); i++) {
      skewMs += 5;
      err = await mgr.issue({ domain: 'e.test' }).then(() => undefined, (e: unknown) => e);
      if (err && !(err instanceof OrderBudgetError)) failed++;
    }
    assert.equal(failed, 5, 'five orders the CA accepted and failed');
    assert.ok(err instanceof OrderBudgetError, String(err));
    assert.match(err.message, /certificate e\.test: order budget spent: 5 orders in the last 7 days \(limit 5\); next order allowed after \d{4}-/);
    const [status] = (await mgr.list()).filter((s) => s.name === 'e.test');
    assert.equal(status!.ordersInWindow, 5);
    assert.equal(status!.failuresTotal, 5);
    // A restart does not reset the budget: it is persisted.
    skewMs += 5;
    await assert.rejects((await env.makeManager({ policy, now })).issue({ domain: 'e.test' }), OrderBudgetError);
    env.cf.setPublishing(true);
    const forced = await (await env.makeManager({ policy, now })).renew({ domain: 'e.test', force: true });
    assert.equal(forced.status.ready, true);
    assert.match(env.logText(), /forced order: backoff and order budget overridden/);
  });
});
