/**
 * @module Podman socket discovery (fake env and file system) and the
 * supervised `podman system service` child (real Podman).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { discoverSocket, parseSocketAddress, pingPodman, resolvePodmanSocket, PODMAN_ABSENT_MESSAGE, type SocketChoice } from '../../src/podman/socket.ts';
import { CONTAINERS_CONF, podmanSkipReason } from '../helpers/podman.ts';
import { waitFor } from '../helpers/wait.ts';
import { recordingLogger } from './recording-logger.ts';

const cases: Array<{ desc: string; flag?: string; env: Record<string, string>; files?: string[]; podman?: boolean; want: SocketChoice }> = [
  {
    desc: 'flag wins over everything',
    flag: 'unix:///srv/p.sock',
    env: { CONTAINER_HOST: 'unix:///c.sock', DOCKER_HOST: 'unix:///d.sock' },
    files: ['/run/podman/podman.sock'],
    want: { kind: 'found', socketPath: '/srv/p.sock', from: '--podman-socket' },
  },
  { desc: 'flag as a plain path', flag: '/srv/p.sock', env: {}, want: { kind: 'found', socketPath: '/srv/p.sock', from: '--podman-socket' } },
  {
    desc: 'CONTAINER_HOST before DOCKER_HOST',
    env: { CONTAINER_HOST: 'unix:///c.sock', DOCKER_HOST: 'unix:///d.sock' },
    want: { kind: 'found', socketPath: '/c.sock', from: 'CONTAINER_HOST' },
  },
  { desc: 'DOCKER_HOST', env: { DOCKER_HOST: '/d.sock' }, want: { kind: 'found', socketPath: '/d.sock', from: 'DOCKER_HOST' } },
  {
    desc: 'rootful default path when it exists',
    env: { XDG_RUNTIME_DIR: '/run/user/1000' },
    files: ['/run/podman/podman.sock', '/run/user/1000/podman/podman.sock'],
    want: { kind: 'found', socketPath: '/run/podman/podman.sock', from: '/run/podman/podman.sock' },
  },
  {
    desc: 'rootless path when only it exists',
    env: { XDG_RUNTIME_DIR: '/run/user/1000' },
    files: ['/run/user/1000/podman/podman.sock'],
    want: { kind: 'found', socketPath: '/run/user/1000/podman/podman.sock', from: 'XDG_RUNTIME_DIR' },
  },
  { desc: 'no socket, podman installed: start one in the state dir', env: {}, podman: true, want: { kind: 'start', socketPath: '/state/run/podman.sock' } },
  { desc: 'no socket, no podman', env: { XDG_RUNTIME_DIR: '/run/user/1000' }, want: { kind: 'absent', message: PODMAN_ABSENT_MESSAGE } },
];

for (const c of cases) {
  test(`discoverSocket: ${c.desc}`, () => {
    const files = new Set(c.files ?? []);
    const got = discoverSocket({
      flag: c.flag,
      env: c.env,
      stateDir: '/state',
      exists: (f) => files.has(f),
      onPath: (bin) => bin === 'podman' && c.podman === true,
    });
    assert.deepEqual(got, c.want);
  });
}

test('parseSocketAddress rejects tcp:// and relative paths, naming the field and value', () => {
  assert.throws(() => parseSocketAddress('tcp://127.0.0.1:2375', 'DOCKER_HOST'), {
    message: 'DOCKER_HOST="tcp://127.0.0.1:2375": not a unix socket (use unix:///path/podman.sock or an absolute path)',
  });
  assert.throws(() => parseSocketAddress('podman.sock', '--podman-socket'), /--podman-socket="podman.sock": not a unix socket/);
  assert.throws(() => discoverSocket({ flag: 'ssh://host', env: {}, stateDir: '/s' }), /--podman-socket="ssh:\/\/host"/);
});

test('resolvePodmanSocket: podman absent is said once, clearly', async () => {
  const logger = recordingLogger();
  const got = await resolvePodmanSocket({ logger, env: {}, stateDir: '/state', exists: () => false, onPath: () => false });
  assert.deepEqual(got, { enabled: false, reason: 'podman not found: container discovery disabled' });
  assert.deepEqual(
    logger.entries.map((e) => [e.level, e.msg]),
    [['warn', 'podman not found: container discovery disabled']],
  );
});

test('supervised podman system service: starts, restarts after a crash, stops by PID', async (t) => {
  const skip = await podmanSkipReason();
  if (skip) return t.skip(skip);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hop-sock-'));
  await writeFile(path.join(dir, 'containers.conf'), CONTAINERS_CONF);
  const logger = recordingLogger();
  const env = { ...process.env, CONTAINERS_CONF: path.join(dir, 'containers.conf') };
  const resolved = await resolvePodmanSocket({ logger, env, stateDir: dir, exists: () => false, onPath: () => true });
  assert.equal(resolved.enabled, true);
  if (!resolved.enabled) return;
  const service = resolved.service!;
  t.after(async () => {
    await service.stop();
    await rm(dir, { recursive: true, force: true });
  });
  assert.equal(resolved.socketPath, path.join(dir, 'run', 'podman.sock'));
  assert.equal(await pingPodman(resolved.socketPath), true);
  const firstPid = service.pid()!;
  process.kill(firstPid, 'SIGKILL');
  await waitFor(async () => service.restarts() === 1 && service.pid() !== firstPid && (await pingPodman(resolved.socketPath)), {
    timeoutMs: 15_000,
    message: 'the service to be restarted and answer again',
  });
  assert.ok(logger.entries.some((e) => e.level === 'warn' && /exited; restarting/.test(e.msg)));
  const secondPid = service.pid()!;
  await service.stop();
  assert.equal(service.pid(), undefined);
  assert.throws(() => process.kill(secondPid, 0), /ESRCH/);
});
