/**
 * Fault: kill -9 of the operator process (`node src/main.ts run`) while a
 * stream of MCP writes is in flight, twice. After each restart on the same
 * state directory: servers.json and domains.map parse and agree, no temp file
 * is left, every acknowledged change is there and routed through HAProxy.
 * Traffic never stops: while no operator runs, the HAProxy it left keeps
 * serving every acknowledged route, and the restarted operator takes that
 * HAProxy over (same master PID) instead of replacing it.
 *
 * Bug found here: the start-up preflight refused to start after a kill -9
 * because the orphaned HAProxy of the dead operator still held the ports
 * ("port ... is in use"), so the operator never came back on its own.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { DesiredState } from '../../src/model/state.ts';
import { haproxyMissing, testEachHaproxy } from '../helpers/haproxy.ts';
import { get, startBackend } from '../helpers/http.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';
import { killIfOurs, processMatches } from './harness.ts';

const ROUNDS = 2;
const WRITES_BEFORE_KILL = 8;

testEachHaproxy('kill -9 of the operator during writes: files parse, nothing acknowledged is lost, routes converge', { skip: haproxyMissing() ?? false, timeout: 120_000 }, async (t, haproxy) => {
  const stateDir = await mkdtemp(join(tmpdir(), 'hop-opkill-'));
  const [http, https, runtime, listen] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const args = [
    '--import', 'tsx', 'src/main.ts', 'run',
    '--state-dir', stateDir, '--bind-address', '127.0.0.1', '--http-port', String(http), '--https-port', String(https),
    '--runtime-api', `127.0.0.1:${runtime}`, '--listen', `127.0.0.1:${listen}`, '--pools', '40', '--slots', '2',
    '--check-interval', '500', '--haproxy-bin', haproxy.bin, '--podman-socket', join(stateDir, 'no-podman.sock'), '--log-level', 'warn',
  ];
  const cfg = join(stateDir, 'haproxy.cfg');
  let child: ChildProcess | undefined;
  let stderr = '';
  const haproxyPids = async () => (await readFile(join(stateDir, 'run', 'haproxy.pids'), 'utf8').catch(() => '')).split(/\s+/).map(Number).filter((n) => n > 1);
  t.after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), 8000);
      await gone;
      clearTimeout(timer);
    }
    for (const pid of await haproxyPids()) killIfOurs(pid, cfg);
    await rm(stateDir, { recursive: true, force: true });
  });
  const backend = await startBackend('kept');
  t.after(() => backend.close());

  async function start(): Promise<void> {
    stderr = '';
    child = spawn(process.execPath, args, { cwd: process.cwd(), stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d) => (stderr = (stderr + String(d)).slice(-4000)));
    const proc = child;
    await waitFor(async () => {
      if (proc.exitCode !== null) throw new Error(`operator exited ${proc.exitCode}: ${stderr}`);
      return (await fetch(`http://127.0.0.1:${listen}/readyz`)).status === 200;
    }, { timeoutMs: 30_000, message: 'operator ready' });
  }

  async function connect(): Promise<Client> {
    const client = new Client({ name: 'fault-test', version: '1.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${listen}/mcp`)));
    return client;
  }

  async function checkFiles(acked: string[]): Promise<DesiredState> {
    const state = DesiredState.parse(JSON.parse(await readFile(join(stateDir, 'servers.json'), 'utf8')));
    const mapLines = (await readFile(join(stateDir, 'domains.map'), 'utf8')).split('\n').filter(Boolean);
    for (const line of mapLines) assert.match(line, /^[a-z0-9.-]+ pool_\d+$/, 'every map line is whole');
    assert.deepEqual(mapLines.map((l) => l.split(' ')[0]).sort(), Object.keys(state.domains).sort(), 'domains.map agrees with servers.json');
    for (const d of acked) assert.ok(state.domains[d], `acknowledged ${d} is in servers.json`);
    const temps = (await readdir(stateDir)).filter((n) => n.endsWith('.tmp'));
    assert.deepEqual(temps, [], 'no temp file left');
    return state;
  }

  const acked: string[] = [];
  let n = 0;
  await start();
  for (let round = 0; round < ROUNDS; round++) {
    const client = await connect();
    for (let i = 0; i < WRITES_BEFORE_KILL; i++, n++) {
      const res = await client.callTool({ name: 'haproxy_add_domain', arguments: { domain: `d${n}.test`, ip: '127.0.0.1', port: backend.port } });
      assert.notEqual(res.isError, true, JSON.stringify(res.content));
      acked.push(`d${n}.test`);
    }
    // The next write is in flight when the operator dies: it may or may not land, but never half.
    const inflight = client.callTool({ name: 'haproxy_add_domain', arguments: { domain: `d${n++}.test`, ip: '127.0.0.1', port: backend.port } }).catch((e: unknown) => e);
    const proc = child!;
    const dead = once(proc, 'exit');
    process.kill(proc.pid!, 'SIGKILL');
    await dead;
    await inflight;
    await client.close().catch(() => undefined);
    const [master] = await haproxyPids();
    await checkFiles(acked);
    for (const d of acked) assert.equal((await get(http, d)).body, 'kept', `${d} still served while no operator runs`);

    await start();
    const state = await checkFiles(acked);
    assert.ok(master && processMatches(master, cfg), `the HAProxy of the killed operator (master ${master}) was taken over, not replaced`);
    assert.equal((await haproxyPids())[0], master, 'the pid file names the adopted master');
    for (const d of Object.keys(state.domains)) {
      await waitFor(async () => (await get(http, d)).body === 'kept', { timeoutMs: 10_000, message: `${d} routed after restart ${round + 1}` });
    }
  }
  t.diagnostic(`operator kills: ${ROUNDS}, acknowledged writes: ${acked.length}, all present and routed`);

  // The adopted HAProxy is not the operator's child: its death is noticed by
  // polling its PID, and it is replaced and restored like a child would be.
  const [adopted] = await haproxyPids();
  process.kill(adopted!, 'SIGKILL');
  await waitFor(async () => {
    const [now] = await haproxyPids();
    return now !== adopted && (await get(http, acked[0]!).catch(() => undefined))?.body === 'kept';
  }, { timeoutMs: 10_000, message: 'the adopted HAProxy, killed, was replaced and the routes restored' });
});

