/**
 * Faults during certificate renewal with a live HAProxy serving the old
 * certificate: the Cloudflare API answering 500, 429 and timing out on every
 * request, and the ACME server (Pebble) down. Each renewal fails with a clear
 * error, is reported once, leaves no TXT record and keeps the old
 * certificate served; after the fault is gone the next renewal succeeds and
 * the new certificate is served without a reload.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { haproxyMissing, testEachHaproxy } from '../helpers/haproxy.ts';
import { httpsGet, pebbleSkipReason } from '../helpers/pebble.ts';
import { waitFor } from '../helpers/wait.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { startAcmeEnv } from '../acme/setup.ts';
import { captureRootLogger } from '../log/capture.ts';
import { startFaultOperator } from './harness.ts';
import { servedCert } from '../helpers/tls.ts';

const skip = pebbleSkipReason() ?? haproxyMissing();


/** PIDs of processes whose command line contains `needle` (the Pebble this test started, by its private config path). */
function pidsMatching(needle: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

testEachHaproxy('Cloudflare 500/429/timeouts and ACME down during renewal: clear error once, TXT cleaned, old cert served, later success', { skip: skip ?? false, timeout: 120_000 }, async (t, haproxy) => {
  const defer = deferCleanup(t);
  const env = await startAcmeEnv(t);
  const op = await startFaultOperator({ haproxy });
  defer(() => op.stop());
  const log = captureRootLogger('info');
  const mgr = await env.makeManager({ logger: log.logger, certDir: op.settings.certDir, hotload: op.operator.ops, policy: { budgetMaxOrders: 100 } });
  const pidBefore = op.operator.supervisor!.workerPid();
  await mgr.issue({ domain: 'a.test' });
  let served = (await servedCert(op.httpsPort, 'a.test')).serial;
  const failedOrders = () => log.count('certificate order failed');
  let cases = 0;

  const t0 = Date.now();
  async function expectFailure(what: string, pattern: RegExp): Promise<void> {
    t.diagnostic(`${what} start +${Date.now() - t0} ms`);
    const before = failedOrders();
    const err = await mgr.renew({ domain: 'a.test', force: true }).catch((e: unknown) => e);
    assert.ok(err instanceof Error, `${what}: the renewal failed: ${JSON.stringify(err).slice(0, 300)} ${JSON.stringify(env.cf.requests.slice(-6))}`);
    assert.match(err.message, pattern, `${what}: clear error`);
    assert.equal(failedOrders() - before, 1, `${what}: reported once`);
    assert.deepEqual(env.cf.records(), [], `${what}: no TXT record left`);
    assert.equal((await servedCert(op.httpsPort, 'a.test')).serial, served, `${what}: the old certificate is still served`);
    const [status] = await mgr.list();
    assert.equal(status!.ready, true, `${what}: the old certificate still counts as ready`);
    assert.match(status!.lastError ?? '', pattern);
    cases += 1;
  }
  async function expectSuccess(what: string): Promise<void> {
    const res = await mgr.renew({ domain: 'a.test', force: true });
    assert.equal(res.hotloaded, true, what);
    const next = await waitFor(async () => {
      const s = (await servedCert(op.httpsPort, 'a.test')).serial;
      return s !== served ? s : undefined;
    }, { timeoutMs: 5000, message: `${what}: the new certificate served` });
    served = next;
    assert.deepEqual(env.cf.records(), []);
  }

  for (const kind of [500, 429, 'timeout'] as const) {
    // Faults left unused must not leak into the next round: each round has its own switch.
    const round = { on: true };
    env.cf.inject(...Array.from({ length: 40 }, () => ({ kind, retryAfter: '0', match: () => round.on })));
    await expectFailure(`Cloudflare ${kind}`, kind === 'timeout' ? /timed? ?out|abort/i : new RegExp(String(kind)));
    round.on = false;
    await expectSuccess(`after Cloudflare ${kind}`);
  }

  // ACME down: stop this test's Pebble by PID (found by its private config path), then bring it back on the same port.
  const cfg = join(env.pebble.dir, 'pebble.json');
  const pebblePids = pidsMatching(cfg);
  assert.equal(pebblePids.length, 1, 'found our Pebble');
  process.kill(pebblePids[0]!, 'SIGKILL');
  await waitFor(() => pidsMatching(cfg).length === 0, { message: 'Pebble stopped' });
  await expectFailure('ACME down', /ECONNREFUSED|connect|pebble/i);
  t.diagnostic(`ACME down failed +${Date.now() - t0} ms`);
  const revived: ChildProcess = spawn('pebble', ['-config', cfg, '-dnsserver', env.pebble.dnsAddress], {
    stdio: 'ignore',
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
  });
  defer(async () => {
    if (revived.exitCode === null && revived.signalCode === null) {
      const gone = once(revived, 'exit');
      revived.kill('SIGKILL');
      await gone;
    }
  });
  await waitFor(async () => (await httpsGet(env.pebble.directoryUrl, env.pebble.tlsCaPem)).status === 200, { message: 'Pebble back' });
  t.diagnostic(`Pebble back +${Date.now() - t0} ms`);
  await expectSuccess('after ACME is back');
  assert.equal(op.operator.supervisor!.workerPid(), pidBefore, 'no reload through all of it');
  t.diagnostic(`renewal faults: ${cases} (Cloudflare 500, 429, timeout; ACME down), each followed by a successful renewal`);
});
