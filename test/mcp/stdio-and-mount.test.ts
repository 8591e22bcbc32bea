/**
 * @module runStdio speaks MCP on the given streams (caller "stdio" in the
 * audit log), and mountMcp wires token file, audit log and /mcp in one call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStdio } from '../../src/mcp/stdio.ts';
import { mountMcp } from '../../src/mcp/mount.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { createHttpListener } from '../../src/http/listener.ts';
import { createFakeAdmin, createFakeOps } from './fake-ops.ts';
import { captureLogger } from './harness.ts';
import { waitFor } from '../helpers/wait.ts';

test('runStdio answers JSON-RPC lines on its streams and audits calls as "stdio"', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-stdio-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const { logger } = captureLogger();
  const ops = createFakeOps();
  const auditFile = join(dir, 'audit.log');
  const session = await runStdio({ ops, admin: createFakeAdmin(), logger, audit: createAuditLog({ file: auditFile, logger }), stdin, stdout });
  t.after(() => session.close());
  const send = (m: object) => stdin.write(`${JSON.stringify(m)}\n`);
  send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
  send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'haproxy_add_domain', arguments: { domain: 's.example.com', ip: '10.0.0.1' } } });
  const lines = await waitFor(() => {
    const parsed = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id?: number; result?: { serverInfo?: { name: string }; structuredContent?: { summary: string } } });
    return parsed.length >= 2 ? parsed : undefined;
  }, { message: 'two stdio responses' });
  assert.equal(lines[0]!.result?.serverInfo?.name, 'haproxy-operator');
  assert.match(lines[1]!.result?.structuredContent?.summary ?? '', /added s\.example\.com/);
  assert.ok(ops.getDomain('s.example.com'));
  const entry = JSON.parse((await readFile(auditFile, 'utf8')).trim());
  assert.equal(entry.caller, 'stdio');
});

test('mountMcp: the original mcp-token.env works as is, audit.log lands in the state dir, the token is not logged', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-mount-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const tokenFile = join(dir, 'mcp-token.env');
  await writeFile(tokenFile, '# MCP bearer token\nMCP_TOKEN=orig-token-abcdef123456\n', { mode: 0o600 });
  const logs = captureLogger();
  const listener = createHttpListener({ logger: logs.logger, port: 0 });
  const mounted = await mountMcp({ listener, ops: createFakeOps(), admin: createFakeAdmin(), logger: logs.logger, stateDir: dir, mcpTokenFile: tokenFile, trustedNetworks: [], env: {} });
  const bound = await listener.start();
  t.after(async () => {
    await mounted.close();
    await listener.stop();
  });
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const call = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'haproxy_add_domain', arguments: { domain: 'm.example.com', ip: '10.0.0.1' } } });
  assert.equal((await fetch(`${bound.url}/mcp`, { method: 'POST', headers, body: call })).status, 401);
  const ok = await fetch(`${bound.url}/mcp`, { method: 'POST', headers: { ...headers, authorization: 'Bearer orig-token-abcdef123456' }, body: call });
  assert.equal(ok.status, 200);
  await ok.text();
  assert.equal(JSON.parse((await readFile(join(dir, 'audit.log'), 'utf8')).trim()).tool, 'haproxy_add_domain');
  assert.ok(logs.text().includes('MCP auth configured'));
  assert.equal(logs.text().includes('orig-token-abcdef123456'), false);
  await assert.rejects(mountMcp({ listener, ops: createFakeOps(), admin: createFakeAdmin(), logger: logs.logger, stateDir: dir, trustedNetworks: ['300.0.0.0/8'], env: {} }), /mcpTrustedNetworks="300\.0\.0\.0\/8"/);
});
