/**
 * @module Issue 16, point 5, as the attack itself: the real operator (a child
 * process with `ulimit -n 1024`, HAProxy managed) gets 2,000 MCP sessions
 * from one address, each holding its GET event stream open as the SDK client
 * does. The caps must hold: the least recently used sessions are closed,
 * streams included, the operator's descriptors stay bounded, and the Runtime
 * API connection (haproxy_stats) and /healthz still work afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { haproxyMissing } from '../helpers/haproxy.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';
import { killIfOurs } from '../faults/harness.ts';

const SESSIONS = 2000;
const CONCURRENCY = 16;
const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'flood', version: '1' } } });

function send(port: number, method: string, headers: Record<string, string>, body?: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/mcp', method, headers, agent: false }, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

test('2,000 MCP sessions holding streams against ulimit -n 1024: capped, descriptors bounded, Runtime API still served', { skip: haproxyMissing() ?? false, timeout: 240_000 }, async (t) => {
  const stateDir = await mkdtemp(join(tmpdir(), 'hop-flood-'));
  const [http, https, runtime, listen] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const args = [
    '--import', 'tsx', 'src/main.ts', 'run',
    '--state-dir', stateDir, '--bind-address', '127.0.0.1', '--http-port', String(http), '--https-port', String(https),
    '--runtime-api', `127.0.0.1:${runtime}`, '--listen', `127.0.0.1:${listen}`, '--pools', '2', '--slots', '2', '--maxconn', '200',
    '--podman-socket', join(stateDir, 'no-podman.sock'), '--log-level', 'warn',
  ];
  // exec keeps the PID: the child is the operator itself, with the lowered limit.
  const child: ChildProcess = spawn('sh', ['-c', 'ulimit -n 1024 && exec "$0" "$@"', process.execPath, ...args], { cwd: process.cwd(), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + String(d)).slice(-4000)));
  const streams = new Set<IncomingMessage>();
  t.after(async () => {
    for (const s of streams) s.destroy();
    if (child.exitCode === null && child.signalCode === null) {
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
      await gone;
      clearTimeout(timer);
    }
    const pids = (await readFile(join(stateDir, 'run', 'haproxy.pids'), 'utf8').catch(() => '')).split(/\s+/).map(Number).filter((n) => n > 1);
    for (const pid of pids) killIfOurs(pid, join(stateDir, 'haproxy.cfg'));
    await rm(stateDir, { recursive: true, force: true });
  });
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`operator exited ${child.exitCode}: ${stderr}`);
    return (await fetch(`http://127.0.0.1:${listen}/readyz`).catch(() => undefined))?.status === 200;
  }, { timeoutMs: 60_000, message: 'operator ready' });
  const limit = (await readFile(`/proc/${child.pid}/limits`, 'utf8')).split('\n').find((l) => l.startsWith('Max open files'))!;
  assert.match(limit, /\s1024\s/, 'the operator runs with the lowered limit');

  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  let opened = 0;
  let endedByServer = 0;
  let maxFds = 0;
  const fds = async () => (await readdir(`/proc/${child.pid}/fd`)).length;
  async function one(): Promise<void> {
    const init = await send(listen, 'POST', headers, INIT);
    const id = init.headers['mcp-session-id'] as string | undefined;
    init.resume();
    assert.equal(init.statusCode, 200, `initialize ${opened}`);
    assert.ok(id);
    const stream = await send(listen, 'GET', { accept: 'text/event-stream', 'mcp-session-id': id, 'mcp-protocol-version': '2025-03-26' });
    assert.equal(stream.statusCode, 200);
    opened += 1;
    streams.add(stream);
    stream.resume();
    stream.once('close', () => {
      streams.delete(stream);
      endedByServer += 1;
    });
  }
  for (let i = 0; i < SESSIONS; i += CONCURRENCY) {
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, SESSIONS - i) }, one));
    if (i % 200 === 0) maxFds = Math.max(maxFds, await fds());
  }
  maxFds = Math.max(maxFds, await fds());
  assert.equal(opened, SESSIONS, 'every initialize was answered');
  await waitFor(() => streams.size <= 50, { timeoutMs: 10_000, message: `open streams ${streams.size} down to the per-client cap` });
  assert.ok(endedByServer >= SESSIONS - 50, `the server closed the evicted sessions' streams (${endedByServer})`);
  assert.ok(maxFds < 400, `the operator held at most ${maxFds} descriptors`);

  // The Runtime API connection and the listener still work.
  assert.equal((await fetch(`http://127.0.0.1:${listen}/healthz`)).status, 200);
  const client = new Client({ name: 'after-flood', version: '1.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${listen}/mcp`)));
  t.after(() => client.close());
  const stats = await client.callTool({ name: 'haproxy_stats', arguments: {} });
  assert.equal(stats.isError, undefined, JSON.stringify(stats.content));
  assert.ok((stats.structuredContent as { pid: number }).pid > 0);
  assert.doesNotMatch(stderr, /EMFILE/);
});
