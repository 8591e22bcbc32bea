/**
 * End to end with a real HAProxy (managed by the operator), a real Pebble and
 * the fake Cloudflare: an issued certificate is served by SNI at once, without
 * a reload (the worker PID stays), and a renewed one replaces it live.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pebbleSkipReason } from '../helpers/pebble.ts';
import { haproxyMissing, startTestOperator, testEachHaproxy } from '../helpers/haproxy.ts';
import { waitFor } from '../helpers/wait.ts';
import { startAcmeEnv } from './setup.ts';
import { servedCert } from '../helpers/tls.ts';

const skip = pebbleSkipReason() ?? haproxyMissing();


testEachHaproxy('issued and renewed certificates are served live by HAProxy, PID unchanged', { skip, timeout: 60_000 }, async (t, haproxy) => {
  const env = await startAcmeEnv(t);
  const op = await startTestOperator({ haproxy });
  t.after(() => op.stop());
  const pidBefore = await op.workerPid();
  const mgr = await env.makeManager({ certDir: op.settings.certDir, hotload: op.operator.ops });

  const before = await servedCert(op.httpsPort, 'x.a.test');
  const issued = await mgr.issue({ domain: 'a.test', wildcard: true });
  assert.equal(issued.hotloaded, true);
  const pem = await readFile(join(op.settings.certDir, 'a.test.pem'), 'utf8');
  const leaf = new X509Certificate(pem);
  assert.notEqual(before.serial, leaf.serialNumber, 'the fallback was served before');

  // Served at once: no polling needed, the commit is synchronous.
  const served = await servedCert(op.httpsPort, 'x.a.test');
  assert.equal(served.serial, leaf.serialNumber);
  assert.match(served.issuer, /Pebble Intermediate CA/);
  assert.equal((await servedCert(op.httpsPort, 'a.test')).serial, leaf.serialNumber, 'the apex too');
  assert.equal(await op.workerPid(), pidBefore, 'no reload');

  const renewed = await mgr.renew({ domain: 'a.test', force: true });
  assert.equal(renewed.action, 'renewed');
  assert.equal(renewed.hotloaded, true);
  const newLeaf = new X509Certificate(await readFile(join(op.settings.certDir, 'a.test.pem'), 'utf8'));
  assert.notEqual(newLeaf.serialNumber, leaf.serialNumber);
  const servedAfter = await waitFor(async () => {
    const s = await servedCert(op.httpsPort, 'y.a.test');
    return s.serial === newLeaf.serialNumber ? s : undefined;
  }, { timeoutMs: 5000, message: 'the renewed certificate served' });
  assert.match(servedAfter.issuer, /Pebble Intermediate CA/);
  assert.equal(await op.workerPid(), pidBefore, 'no reload on renewal');
  const [status] = await mgr.list();
  assert.equal(status!.hotloadPending, false);
  assert.equal(status!.ready, true);
});
