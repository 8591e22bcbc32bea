/**
 * @module The access rules' config lines (haproxy/access-config.ts) and maps
 * (model/access-rules.ts) in a real HAProxy 2.6 and 3.0, with no operator:
 * the maps are filled over the Runtime API exactly as the model computes
 * them, so a failure here is in the HAProxy mechanics, not the plumbing.
 * Covers the IPv4 and IPv6 allowlist with overlapping networks, basic auth
 * (none, wrong user, wrong password, right one), and the rate limit's 429,
 * its Retry-After and the recovery.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCESS_MAPS, type AccessFields } from '../../src/model/access-rules.ts';
import { hashCredentials, type HashedUser } from '../../src/model/basic-auth.ts';
import { accessRequestRules, accessTables } from '../../src/haproxy/access-config.ts';
import { SET_HOST } from '../../src/haproxy/rule-config.ts';
import { createRuntimeClient, type RuntimeClient } from '../../src/haproxy/runtime-client.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { haproxyMissing, testEachHaproxy, type HaproxyVersion } from '../helpers/haproxy.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';
import { accessGet, accessStatus } from '../helpers/access-client.ts';
import type { TestContext } from 'node:test';

const skip = haproxyMissing();

interface Bench {
  port: number;
  /** Replaces every access map with the entries of `hosts`. */
  set(hosts: Map<string, AccessFields>): Promise<void>;
}

async function startBench(t: TestContext, version: HaproxyVersion): Promise<Bench> {
  const defer = deferCleanup(t);
  const dir = await mkdtemp(join(tmpdir(), 'hop-access-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  const map = (file: string) => join(dir, `${file}.map`);
  const files = [...new Set(ACCESS_MAPS.map((m) => m.file))];
  for (const f of files) await writeFile(map(f), '');
  const socket = join(dir, 'admin.sock');
  const cfg = [
    'global',
    `    stats socket ${socket} mode 600 level admin`,
    'defaults',
    '    mode http',
    '    timeout connect 5s',
    '    timeout client 10s',
    '    timeout server 10s',
    'frontend http',
    `    bind 127.0.0.1:${port}`,
    `    bind [::1]:${port}`,
    SET_HOST,
    ...accessRequestRules(map),
    '    http-request return status 200 content-type text/plain string "ok\\n"',
    '',
    ...accessTables(),
  ].join('\n');
  await writeFile(join(dir, 'haproxy.cfg'), `${cfg}\n`);
  const child = spawn(version.bin, ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  defer(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });
  const runtime: RuntimeClient = createRuntimeClient({ address: { kind: 'unix', path: socket } });
  defer(() => runtime.close());
  await waitFor(() => runtime.execute(['show info']).then(() => true), { message: `HAProxy to start (${stderr})` });
  return {
    port,
    async set(hosts) {
      const cmds: string[] = [];
      for (const f of files) cmds.push(`clear map ${map(f)}`);
      for (const m of ACCESS_MAPS) for (const [k, v] of m.entries(hosts)) cmds.push(`add map ${map(m.file)} ${k} ${v}`);
      await runtime.apply(cmds);
    },
  };
}

testEachHaproxy('access rules: IPv4 and IPv6 allowlists with overlapping networks answer 403 to other clients', { skip, timeout: 30_000 }, async (t, version) => {
  const bench = await startBench(t, version);
  await bench.set(
    new Map<string, AccessFields>([
      ['wide.test', { allow: ['127.0.0.0/8'] }],
      ['narrow.test', { allow: ['127.0.0.2/32', '::1/128'] }],
      ['v6.test', { allow: ['::1/128'] }],
    ]),
  );
  const seen: Record<string, number> = {};
  for (const host of ['wide.test', 'narrow.test', 'v6.test', 'open.test']) {
    for (const from of ['127.0.0.1', '127.0.0.2', '::1']) seen[`${host} ${from}`] = await accessStatus({ port: bench.port, host, from });
  }
  assert.deepEqual(seen, {
    // 127.0.0.2's longest match is narrow.test's /32; wide.test's /8 covers it, so both hosts admit it.
    'wide.test 127.0.0.1': 200,
    'wide.test 127.0.0.2': 200,
    'wide.test ::1': 403,
    'narrow.test 127.0.0.1': 403,
    'narrow.test 127.0.0.2': 200,
    'narrow.test ::1': 200,
    'v6.test 127.0.0.1': 403,
    'v6.test 127.0.0.2': 403,
    'v6.test ::1': 200,
    'open.test 127.0.0.1': 200,
    'open.test 127.0.0.2': 200,
    'open.test ::1': 200,
  });
  // Removing the allowlist opens the host again.
  await bench.set(new Map<string, AccessFields>([['narrow.test', { allow: ['127.0.0.2/32'] }]]));
  assert.equal(await accessStatus({ port: bench.port, host: 'wide.test', from: '::1' }), 200);
  assert.equal(await accessStatus({ port: bench.port, host: 'narrow.test', from: '::1' }), 403);
});

testEachHaproxy('access rules: basic auth answers 401 with the realm unless the user and password are right', { skip, timeout: 30_000 }, async (t, version) => {
  const bench = await startBench(t, version);
  const users = hashCredentials('alice:correct horse: battery\nbob:b0b\n') as HashedUser[];
  await bench.set(
    new Map<string, AccessFields>([
      ['private.test', { basicAuth: { realm: 'Staff only', users } }],
      ['default-realm.test', { basicAuth: { users } }],
    ]),
  );
  const none = await accessGet({ port: bench.port, host: 'private.test' });
  assert.equal(none.status, 401);
  assert.equal(none.headers['www-authenticate'], 'Basic realm="Staff only"');
  assert.equal((await accessGet({ port: bench.port, host: 'default-realm.test' })).headers['www-authenticate'], 'Basic realm="default-realm.test"');
  const status = (auth: [string, string]) => accessStatus({ port: bench.port, host: 'private.test', auth });
  assert.equal(await status(['alice', 'wrong']), 401);
  assert.equal(await status(['alice', '']), 401);
  assert.equal(await status(['carol', 'b0b']), 401);
  assert.equal(await status(['bob', 'correct horse: battery']), 401);
  assert.equal(await status(['alice', 'correct horse: battery']), 200);
  assert.equal(await status(['bob', 'b0b']), 200);
  assert.equal(await accessStatus({ port: bench.port, host: 'open.test' }), 200);
});

testEachHaproxy('access rules: a rate limit answers 429 with Retry-After per host and client, and lets the client in again', { skip, timeout: 30_000 }, async (t, version) => {
  const bench = await startBench(t, version);
  await bench.set(new Map<string, AccessFields>([['limited.test', { rateLimit: { rate: 2, burst: 4 } }]]));
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push(await accessStatus({ port: bench.port, host: 'limited.test' }));
  // The burst is let through; past it, refused (HAProxy's sliding estimate can admit one more across a second's edge).
  assert.deepEqual(statuses.slice(0, 4), [200, 200, 200, 200]);
  assert.ok(statuses.slice(4).includes(429), `no 429 past the burst: ${statuses.join(' ')}`);
  const refused = await accessGet({ port: bench.port, host: 'limited.test' });
  assert.equal(refused.status, 429);
  assert.equal(refused.headers['retry-after'], '1');
  // Another client address, and another host from the same client, have their own budget.
  assert.equal(await accessStatus({ port: bench.port, host: 'limited.test', from: '127.0.0.2' }), 200);
  assert.equal(await accessStatus({ port: bench.port, host: 'other.test' }), 200);
  // Refused requests do not count: once the second has passed the client gets in again.
  const started = Date.now();
  await waitFor(async () => (await accessStatus({ port: bench.port, host: 'limited.test' })) === 200, { timeoutMs: 3000, intervalMs: 100, message: 'the limited client to be let in again' });
  assert.ok(Date.now() - started < 2500);
});
