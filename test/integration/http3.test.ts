/**
 * HTTP/3 served for real by the operator's frontend, with the real ngtcp2
 * client over UDP: every routed host answers over QUIC on the HTTPS port,
 * TLS responses advertise it (alt-svc with the HTTPS port), QUIC requests go
 * to the h3 family when it has a usable server, else ssl, else http, and a
 * certificate hot-loaded at runtime is served over QUIC too. On a build
 * without QUIC nothing about h3 is rendered or advertised.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { haproxyVersions, quicHaproxy, startTestOperator, type TestOperator } from '../helpers/haproxy.ts';
import { get, startBackend, type Reply } from '../helpers/http.ts';
import { h3Get, http3ClientMissing } from '../helpers/http3.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { waitFor } from '../helpers/wait.ts';
import { selfSignedPem } from '../migrate/original-install.ts';

/** GET https://host/ over TLS/TCP (HTTP/1.1), SNI host, certificate not verified. */
async function tlsGet(port: number, host: string): Promise<Reply> {
  return await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', servername: host, headers: { host, connection: 'close' }, rejectUnauthorized: false, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error(`TLS GET ${host} on :${port} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** An HTTPS server on 127.0.0.1 answering `name` (what the ssl and h3 families connect to). */
async function startTlsBackend(name: string): Promise<{ port: number; close(): Promise<void> }> {
  const pem = selfSignedPem(['backend.test']);
  const server: Server = createServer({ key: pem, cert: pem }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(name);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

for (const version of haproxyVersions()) {
  test(`${version.label}: alt-svc and a QUIC bind only when the build has QUIC`, { skip: version.missing ?? false }, async (t) => {
    const defer = deferCleanup(t);
    const op = await startTestOperator({ haproxy: version, pools: 2, slots: 2 });
    defer(() => op.stop());
    const app = await startBackend('app');
    defer(() => app.close());
    await op.operator.ops.addDomain({ domain: 'app.test', ip: '127.0.0.1', port: app.port });
    const cfg = await readFile(join(op.settings.confDir, 'haproxy.cfg'), 'utf8');
    const tls = await tlsGet(op.httpsPort, 'app.test');
    assert.equal(tls.body, 'app');
    const plain = await get(op.httpPort, 'app.test');
    assert.equal(plain.body, 'app');
    assert.equal(plain.headers['alt-svc'], undefined, 'plain HTTP never advertises h3');
    if (version.caps.quic) {
      assert.equal(tls.headers['alt-svc'], `h3=":${op.httpsPort}"; ma=86400`);
      assert.match(cfg, new RegExp(`^ {4}bind quic4@127\\.0\\.0\\.1:${op.httpsPort} `, 'm'));
      assert.equal(/^ {4}limited-quic$/m.test(cfg), version.caps.quicOpensslCompat, 'limited-quic exactly when QUIC goes through the OpenSSL compat layer');
    } else {
      assert.equal(tls.headers['alt-svc'], undefined, 'no h3 advertised without QUIC');
      assert.doesNotMatch(cfg, /quic|alt-svc|fc_http_major 3/);
    }
  });
}

const quic = quicHaproxy();
const skip = http3ClientMissing() ?? (quic ? false : 'no HAProxy with QUIC here (run sh scripts/ensure-haproxy3.sh)');
const label = quic?.label ?? 'HAProxy with QUIC';

async function quicOperator(t: Parameters<typeof deferCleanup>[0]): Promise<TestOperator> {
  const op = await startTestOperator({ haproxy: quic!, pools: 3, slots: 2 });
  deferCleanup(t)(() => op.stop());
  return op;
}

test(`${label}: every routed host is served over HTTP/3 on the HTTPS port, with no reload`, { skip, timeout: 60_000 }, async (t) => {
  const op = await quicOperator(t);
  const pid = await op.workerPid();
  const [one, two] = [await startBackend('first app'), await startBackend('second app')];
  t.after(() => one.close());
  t.after(() => two.close());
  await op.operator.ops.addDomain({ domain: 'one.test', ip: '127.0.0.1', port: one.port });
  await op.operator.ops.addDomain({ domain: 'two.test', ip: '127.0.0.1', port: two.port });
  for (const [host, body] of [['one.test', 'first app'], ['two.test', 'second app']] as const) {
    const reply = await h3Get(op.httpsPort, host);
    assert.equal(reply.status, 200, `${host} over HTTP/3`);
    assert.equal(reply.body, body);
    assert.equal(reply.headers['alt-svc'], `h3=":${op.httpsPort}"; ma=86400`);
  }
  const none = await h3Get(op.httpsPort, 'unrouted.test');
  assert.equal(none.status, 503);
  assert.match(none.body, /no route for host unrouted\.test/);
  assert.equal(await op.workerPid(), pid, 'no reload');
});

test(`${label}: QUIC requests use the h3 family when usable, else ssl, else http`, { skip, timeout: 60_000 }, async (t) => {
  const op = await quicOperator(t);
  const http = await startBackend('http family');
  const ssl = await startTlsBackend('ssl family');
  const h3 = await startTlsBackend('h3 family');
  for (const b of [http, ssl, h3]) t.after(() => b.close());
  const ops = op.operator.ops;
  await ops.addDomain({ domain: 'fam.test', ip: '127.0.0.1', port: http.port });
  await ops.addServer({ domain: 'fam.test', slot: 1, family: 'ssl', ip: '127.0.0.1', port: ssl.port });
  await ops.addServer({ domain: 'fam.test', slot: 1, family: 'h3', ip: '127.0.0.1', port: h3.port });
  const h3Body = async () => (await h3Get(op.httpsPort, 'fam.test')).body;

  assert.equal(await h3Body(), 'h3 family');
  assert.equal((await tlsGet(op.httpsPort, 'fam.test')).body, 'ssl family', 'TLS over TCP uses the ssl family');
  assert.equal((await get(op.httpPort, 'fam.test')).body, 'http family');
  await ops.setServerState({ domain: 'fam.test', slot: 1, family: 'h3', state: 'maint' });
  await waitFor(async () => (await h3Body()) === 'ssl family', { timeoutMs: 5000, message: 'QUIC falls back to the ssl family' });
  await ops.setServerState({ domain: 'fam.test', slot: 1, family: 'ssl', state: 'maint' });
  await waitFor(async () => (await h3Body()) === 'http family', { timeoutMs: 5000, message: 'QUIC falls back to the http family' });
  await ops.setServerState({ domain: 'fam.test', slot: 1, family: 'h3', state: 'ready' });
  await waitFor(async () => (await h3Body()) === 'h3 family', { timeoutMs: 5000, message: 'QUIC back on the h3 family' });
});

test(`${label}: a certificate hot-loaded at runtime is served over QUIC`, { skip, timeout: 60_000 }, async (t) => {
  // The client's SNI is always "localhost" (test/helpers/http3.ts): start
  // with only a certificate for another name, so the default is not it.
  const defer = deferCleanup(t);
  const stateDir = await mkdtemp(join(tmpdir(), 'hop-h3cert-'));
  defer(() => rm(stateDir, { recursive: true, force: true }));
  await mkdir(join(stateDir, 'certs'), { recursive: true });
  await writeFile(join(stateDir, 'certs', '00-other.pem'), selfSignedPem(['other.test']), { mode: 0o600 });
  const op = await startTestOperator({ haproxy: quic!, pools: 2, slots: 2, stateDir });
  defer(() => op.stop());
  const pid = await op.workerPid();
  const app = await startBackend('secure app');
  defer(() => app.close());
  await op.operator.ops.addDomain({ domain: 'secure.test', ip: '127.0.0.1', port: app.port });
  const before = await h3Get(op.httpsPort, 'secure.test');
  assert.match(before.cert?.subject ?? 'none', /CN=other\.test/, 'the only certificate is served before the hot-load');

  const pem = selfSignedPem(['localhost', 'secure.test']);
  const loaded = await op.operator.ops.loadCert({ dir: op.settings.certDir, path: join(op.settings.certDir, 'localhost.pem'), pem });
  assert.equal(loaded.created, true);
  const reply = await h3Get(op.httpsPort, 'secure.test');
  assert.equal(reply.cert?.fingerprint256, new X509Certificate(pem).fingerprint256, 'the hot-loaded certificate is served over QUIC');
  assert.equal(reply.status, 200);
  assert.equal(reply.body, 'secure app');
  assert.equal(await op.workerPid(), pid, 'no reload');
});
