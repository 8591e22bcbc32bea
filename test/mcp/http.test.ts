/**
 * @module /mcp over real HTTP: the original's curl initialize example, the
 * SDK's streamable HTTP client (sessions and session-less calls), token
 * required from an untrusted address and not from a trusted one, forged
 * X-Forwarded-For ignored, PROXY v2 on the unix socket judged by the header's
 * address, idle sessions reaped, and the token never in logs or responses.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createHttpListener } from '../../src/http/listener.ts';
import { createMcpAuth } from '../../src/mcp/auth.ts';
import { createMcpHttpHandler } from '../../src/mcp/http-transport.ts';
import { createMcpServer } from '../../src/mcp/server.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { createFakeAdmin, createFakeOps } from './fake-ops.ts';
import { captureLogger } from './harness.ts';
import { requestViaProxySocket } from '../http/proxy-client.ts';

const TOKEN = 'tok-8f3b2c1d9e7a6b5c4d3e2f1a';
const INIT = '{"jsonrpc":"2.0","method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"test","version":"1.0"}},"id":0}';
const run = promisify(execFile);

async function startMcp(t: TestContext, opts: { trustedNetworks?: string[]; now?: () => number } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-http-'));
  const logs = captureLogger();
  const ops = createFakeOps();
  const auditFile = join(dir, 'audit.log');
  const factory = createMcpServer({ ops, admin: createFakeAdmin(), logger: logs.logger, audit: createAuditLog({ file: auditFile, logger: logs.logger }) });
  const auth = createMcpAuth({ token: TOKEN, trustedNetworks: opts.trustedNetworks ?? [], allowedHosts: ['mcp.example.com'] });
  const handler = createMcpHttpHandler({ logger: logs.logger, factory, auth, sessionIdleMs: 60_000, ...(opts.now ? { now: opts.now } : {}) });
  const proxySocketPath = join(dir, 'mcp-proxy.sock');
  const listener = createHttpListener({ logger: logs.logger, port: 0, proxySocketPath, allowedHosts: ['mcp.example.com'] });
  listener.addRoute('/mcp', handler.handle);
  const bound = await listener.start();
  t.after(async () => {
    await handler.close();
    await listener.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { url: `${bound.url}/mcp`, ops, logs, handler, proxySocketPath, auditFile };
}

function sseJson(body: string): { result?: { protocolVersion?: string; serverInfo?: { name: string } }; error?: unknown } {
  const data = body.split('\n').find((l) => l.startsWith('data: '));
  return JSON.parse(data ? data.slice(6) : body);
}

async function connectClient(t: TestContext, url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  t.after(() => client.close());
  return client;
}

test("the original's curl initialize example returns a valid initialize result", async (t) => {
  const { url } = await startMcp(t);
  const { stdout } = await run('curl', ['-sS', '-i', '-X', 'POST', url, '-H', `Authorization: Bearer ${TOKEN}`, '-H', 'Content-Type: application/json', '-H', 'Accept: application/json, text/event-stream', '-d', INIT]);
  const [head, body] = stdout.split('\r\n\r\n');
  assert.match(head!, /^HTTP\/1\.1 200/);
  assert.match(head!, /mcp-session-id: [0-9a-f-]{36}/i);
  const msg = sseJson(body!);
  assert.equal(msg.result?.protocolVersion, '2024-11-05');
  assert.equal(msg.result?.serverInfo?.name, 'haproxy-operator');
});

test('untrusted address: 401 with WWW-Authenticate without or with a wrong token; the right token works', async (t) => {
  const { url } = await startMcp(t, { trustedNetworks: [] });
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const none = await fetch(url, { method: 'POST', headers, body: INIT });
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
  const wrong = await fetch(url, { method: 'POST', headers: { ...headers, authorization: `Bearer ${TOKEN}x` }, body: INIT });
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers.get('www-authenticate') ?? '', /invalid_token/);
  const client = await connectClient(t, url, { authorization: `Bearer ${TOKEN}` });
  const tools = await client.listTools();
  assert.equal(tools.tools.length, 21);
});

test('trusted address needs no token; a forged X-Forwarded-For from an untrusted one changes nothing', async (t) => {
  const trusted = await startMcp(t, { trustedNetworks: ['127.0.0.0/8'] });
  const client = await connectClient(t, trusted.url);
  const r = await client.callTool({ name: 'haproxy_add_domain', arguments: { domain: 'a.example.com', ip: '10.0.0.1' } });
  assert.equal(r.isError, undefined);
  const audit = JSON.parse((await readFile(trusted.auditFile, 'utf8')).trim());
  assert.equal(audit.caller, '127.0.0.1');

  const untrusted = await startMcp(t, { trustedNetworks: ['100.64.0.0/10'] });
  const forged = await fetch(untrusted.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-forwarded-for': '100.64.0.1', forwarded: 'for=100.64.0.1', 'x-real-ip': '100.64.0.1' },
    body: INIT,
  });
  assert.equal(forged.status, 401);
});

test('PROXY v2 on the unix socket: judged by the address in the header, not by the socket', async (t) => {
  const { proxySocketPath, auditFile } = await startMcp(t, { trustedNetworks: ['100.64.0.0/10'] });
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const call = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'haproxy_add_domain', arguments: { domain: 'p.example.com', ip: '10.0.0.2' } } });
  const external = await requestViaProxySocket(proxySocketPath, '203.0.113.50', { method: 'POST', path: '/mcp', headers, body: call });
  assert.equal(external.status, 401, 'an external client behind HAProxy must need the token');
  const tailscale = await requestViaProxySocket(proxySocketPath, '100.100.1.2', { method: 'POST', path: '/mcp', headers, body: call });
  assert.equal(tailscale.status, 200, tailscale.body);
  assert.equal(JSON.parse(tailscale.body).result.isError, undefined);
  const withToken = await requestViaProxySocket(proxySocketPath, '203.0.113.50', {
    method: 'POST',
    path: '/mcp',
    headers: { ...headers, authorization: `Bearer ${TOKEN}` },
    body: call.replace('p.example.com', 'q.example.com'),
  });
  assert.equal(withToken.status, 200);
  const callers = (await readFile(auditFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l).caller);
  assert.deepEqual(callers, ['100.100.1.2', '203.0.113.50']);
});

test('session-less tools/call works (stateless), and an unknown session id is 404', async (t) => {
  const { url, ops } = await startMcp(t, { trustedNetworks: ['127.0.0.0/8'] });
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'haproxy_add_domain', arguments: { domain: 'b.example.com', ip: '10.0.0.3', port: 8080 } } }) });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { id: number; result: { structuredContent: { summary: string } } };
  assert.equal(body.id, 7);
  assert.match(body.result.structuredContent.summary, /added b\.example\.com/);
  assert.ok(ops.getDomain('b.example.com'));
  const gone = await fetch(url, { method: 'POST', headers: { ...headers, 'mcp-session-id': 'no-such-session' }, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' });
  assert.equal(gone.status, 404);
  const get = await fetch(url, { headers: { accept: 'text/event-stream' } });
  assert.equal(get.status, 405);
});

test('Host header of another name is refused (DNS rebinding), even from a trusted address', async (t) => {
  const { url } = await startMcp(t, { trustedNetworks: ['127.0.0.0/8'] });
  const { stdout } = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST', url, '-H', 'Host: evil.example.net', '-H', 'Content-Type: application/json', '-H', 'Accept: application/json, text/event-stream', '-d', INIT]);
  assert.equal(stdout, '403');
});

test('idle sessions are reaped; a session with an open stream is kept', async (t) => {
  let clock = 1_000_000;
  const { url, handler } = await startMcp(t, { trustedNetworks: ['127.0.0.0/8'], now: () => clock });
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  // A curl-style client: initialize, then nothing; it holds no stream open.
  const init = await fetch(url, { method: 'POST', headers, body: INIT });
  const idleId = init.headers.get('mcp-session-id')!;
  await init.text();
  // The SDK client keeps a GET event stream open after initialize: that session is alive.
  const live = await connectClient(t, url);
  await live.listTools();
  assert.equal(handler.sessionCount(), 2);
  clock += 59_000;
  assert.equal(await handler.reapIdle(), 0, 'reaped before the idle timeout');
  clock += 2_000;
  assert.equal(await handler.reapIdle(), 1);
  assert.equal(handler.sessionCount(), 1);
  const after = await fetch(url, { method: 'POST', headers: { ...headers, 'mcp-session-id': idleId }, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' });
  assert.equal(after.status, 404);
  assert.equal((await live.listTools()).tools.length, 21, 'the live session was closed');
});

test('the token never appears in logs, errors or tool output', async (t) => {
  const { url, logs, auditFile } = await startMcp(t, { trustedNetworks: [] });
  const client = await connectClient(t, url, { authorization: `Bearer ${TOKEN}` });
  const seen: string[] = [];
  seen.push(JSON.stringify(await client.callTool({ name: 'haproxy_add_domain', arguments: { domain: 'c.example.com', ip: '10.0.0.4' } })));
  seen.push(JSON.stringify(await client.callTool({ name: 'haproxy_add_domain', arguments: { domain: 'bad domain', ip: '1.2.3.4;shutdown' } })));
  seen.push(JSON.stringify(await client.callTool({ name: 'haproxy_list_domains', arguments: {} })));
  seen.push(JSON.stringify(await client.callTool({ name: 'haproxy_explain_route', arguments: { host: 'c.example.com' } })));
  const wrong = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${TOKEN}-wrong` }, body: INIT });
  seen.push(await wrong.text());
  const everything = [...seen, logs.text(), await readFile(auditFile, 'utf8')].join('\n');
  assert.ok(logs.text().includes('mcp tool call'), 'nothing was logged, the check would be vacuous');
  assert.match(seen[1]!, /domain=\\"bad domain\\"/, 'the error path was not exercised');
  assert.equal(everything.includes(TOKEN), false, 'the bearer token leaked into logs, errors, audit or tool output');
});
