/**
 * @module The operator's HTTP listener: health routes, mounted routes, the
 * client address a route sees (TCP peer; forged X-Forwarded-For ignored), and
 * the HAProxy-only unix socket (0600, PROXY v2 required, its address used).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpListener } from '../../src/http/listener.ts';
import { captureLogger } from '../mcp/harness.ts';
import { requestViaProxySocket } from './proxy-client.ts';
import { request } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import { waitFor } from '../helpers/wait.ts';

/** GET with an explicit Host header (fetch does not let a caller set it). */
function getWithHost(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function start(t: import('node:test').TestContext, opts: { proxy?: boolean; ready?: () => boolean; allowedHosts?: string[] } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'http-listener-'));
  const proxySocketPath = opts.proxy ? join(dir, 'mcp-proxy.sock') : undefined;
  const listener = createHttpListener({
    logger: captureLogger().logger,
    port: 0,
    ...(proxySocketPath ? { proxySocketPath, proxyHeaderTimeoutMs: 500, publishedPaths: ['/whoami'] } : {}),
    ...(opts.ready ? { ready: opts.ready } : {}),
    allowedHosts: opts.allowedHosts ?? ['mcp.example.com'],
  });
  listener.addRoute('/whoami', (_req, res, ctx) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ctx.client));
  });
  const bound = await listener.start();
  t.after(async () => {
    await listener.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { listener, bound, proxySocketPath };
}

test('healthz, readyz, mounted routes and 404', async (t) => {
  let ready = false;
  const { bound } = await start(t, { ready: () => ready });
  assert.equal(bound.host, '127.0.0.1');
  assert.ok(bound.port > 0);
  assert.equal((await fetch(`${bound.url}/healthz`)).status, 200);
  assert.equal((await fetch(`${bound.url}/readyz`)).status, 503);
  ready = true;
  assert.equal((await fetch(`${bound.url}/readyz`)).status, 200);
  assert.equal((await fetch(`${bound.url}/nope`)).status, 404);
  assert.deepEqual(await (await fetch(`${bound.url}/whoami?x=1`)).json(), { address: '127.0.0.1', via: 'tcp' });
});

test('a forged X-Forwarded-For, Forwarded or X-Real-IP on TCP does not change the client address', async (t) => {
  const { bound } = await start(t);
  const res = await fetch(`${bound.url}/whoami`, { headers: { 'x-forwarded-for': '100.64.0.1', forwarded: 'for=100.64.0.1', 'x-real-ip': '100.64.0.1' } });
  assert.deepEqual(await res.json(), { address: '127.0.0.1', via: 'tcp' });
});

test('proxy socket: created 0600, the PROXY v2 source address is the client address, no header means no service', async (t) => {
  const { proxySocketPath } = await start(t, { proxy: true });
  assert.equal((await stat(proxySocketPath!)).mode & 0o777, 0o600);
  const res = await requestViaProxySocket(proxySocketPath!, '203.0.113.9', { path: '/whoami' });
  assert.equal(res.status, 200);
  assert.deepEqual(JSON.parse(res.body), { address: '203.0.113.9', via: 'proxy-v2' });
  const v6 = await requestViaProxySocket(proxySocketPath!, '2001:db8::7', { path: '/whoami' });
  assert.deepEqual(JSON.parse(v6.body), { address: '2001:db8::7', via: 'proxy-v2' });
  // Through the public host name only the published paths exist.
  for (const path of ['/healthz', '/readyz', '/nope']) assert.equal((await requestViaProxySocket(proxySocketPath!, '203.0.113.9', { path })).status, 404, path);
  // A client that skips the header (or puts XFF instead) is disconnected, never served.
  await assert.rejects(requestViaProxySocket(proxySocketPath!, undefined, { path: '/whoami', headers: { 'x-forwarded-for': '100.64.0.1' } }));
});

test('stop removes the proxy socket and frees the port', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'http-listener-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const proxySocketPath = join(dir, 'p.sock');
  const listener = createHttpListener({ logger: captureLogger().logger, port: 0, proxySocketPath });
  const bound = await listener.start();
  await listener.stop();
  await assert.rejects(stat(proxySocketPath), /ENOENT/);
  await assert.rejects(fetch(`${bound.url}/healthz`));
});

test('DNS rebinding: /healthz, /readyz and mounted routes (/metrics) refuse a Host that is not an IP, localhost or allowed', async (t) => {
  const { listener, bound } = await start(t, { ready: () => true });
  listener.addRoute('/metrics', (_req, res) => void res.end('haproxy_operator_up 1\n'));
  for (const path of ['/healthz', '/readyz', '/metrics', '/whoami']) {
    const rebound = await getWithHost(bound.port, path, 'evil.example');
    assert.equal(rebound.status, 403, path);
    assert.match(rebound.body, /Host header "evil\.example" is not an allowed host name/);
    assert.doesNotMatch(rebound.body, /haproxy_operator_up/);
    for (const host of [`127.0.0.1:${bound.port}`, `localhost:${bound.port}`, 'mcp.example.com']) {
      assert.equal((await getWithHost(bound.port, path, host)).status, 200, `${path} ${host}`);
    }
  }
});

test('connections per client address are capped (more are closed at once); idle keep-alive connections are closed', async (t) => {
  const listener = createHttpListener({ logger: captureLogger().logger, port: 0, maxConnectionsPerClient: 3, keepAliveTimeoutMs: 300 });
  const bound = await listener.start();
  t.after(() => listener.stop());
  const open = async () => {
    const s = connect(bound.port, '127.0.0.1');
    await once(s, 'connect');
    return s;
  };
  const held = [await open(), await open(), await open()];
  t.after(() => held.forEach((s) => s.destroy()));
  const fourth = await open();
  await once(fourth, 'close');
  // One connection freed: a new one is served again.
  held.pop()!.destroy();
  await waitFor(async () => (await fetch(`${bound.url}/healthz`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined))?.status === 200, { timeoutMs: 10_000, message: 'served after a slot freed' });

  const idle = held[0]!;
  idle.resume(); // read the reply, and so see the server's FIN
  idle.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  const started = performance.now();
  await once(idle, 'close');
  assert.ok(performance.now() - started < 3000, 'the idle keep-alive connection was closed within seconds');
});
