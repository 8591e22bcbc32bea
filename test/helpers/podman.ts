/**
 * @module Podman test harness: its own containers.conf, its own API service on
 * a socket in a temp dir, the busybox-static test image, labelled httpd
 * containers, and a cleanup that removes every container this run made, even
 * when a test fails. Storage is the machine's (rootful Podman), so every
 * container carries `haproxy-operator-test=<runId>` and only those are touched.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, mkdir, open, rm, stat, symlink, writeFile, copyFile, chmod } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './ports.ts';
import { waitFor } from './wait.ts';
import { pingPodman } from '../../src/podman/socket.ts';

export const TEST_IMAGE = 'localhost/bbtest:latest';
export const TEST_LABEL = 'haproxy-operator-test';
const BUSYBOX = '/bin/busybox';
const APPLETS = ['sh', 'httpd', 'wget', 'mkdir', 'cat', 'sleep', 'echo', 'true', 'ls'];

/** containers.conf Podman needs on this machine (see ARCHITECTURE.md: rlimit error without it). */
export const CONTAINERS_CONF = `[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
`;

export interface RunOptions {
  /** Labels besides the harness's own run label. */
  labels?: Record<string, string>;
  /** host: httpd on 127.0.0.1:<port>; bridge: httpd on :80 published on 127.0.0.1:<port>. */
  network?: 'host' | 'bridge';
  /** Host port; a free one when absent. */
  port?: number;
  /** Body served at `/`; the container name when absent. */
  body?: string;
  /**
   * Adds a Podman healthcheck: true for a `wget` of `/`, or a shell command.
   * It only runs when driven by hand (no systemd timers here).
   */
  healthcheck?: boolean | string;
  /** Create only, do not start. */
  createOnly?: boolean;
  /**
   * Shuts down like an app with a graceful stop: on SIGTERM it stops listening and lets the
   * responses under way finish (0.3 s) before exiting. Without it, httpd's children die mid-response.
   */
  graceful?: boolean;
  /** This name (one of this run's) with `--replace`: a new container takes over the name, as auto-update does. */
  replace?: string;
}

export interface TestContainer {
  id: string;
  name: string;
  /** Port on 127.0.0.1 where the container answers. */
  port: number;
  body: string;
}

export interface PodmanHarness {
  runId: string;
  dir: string;
  socketPath: string;
  confPath: string;
  /** Environment for any podman call (CONTAINERS_CONF set). */
  env: NodeJS.ProcessEnv;
  /** Runs `podman <args>` and returns trimmed stdout; rejects with stderr. */
  podman(args: string[]): Promise<string>;
  run(opts?: RunOptions): Promise<TestContainer>;
  start(id: string): Promise<void>;
  stop(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  /** Runs the container's healthcheck once; resolves true when it passed. */
  healthcheck(id: string): Promise<boolean>;
  /** PID of the current API service process. */
  servicePid(): number | undefined;
  stopService(): Promise<void>;
  startService(): Promise<void>;
  restartService(): Promise<void>;
  /** Removes this run's containers, stops the service, deletes the temp dir. */
  cleanup(): Promise<void>;
}

/** Why Podman tests cannot run here, or undefined when they can. */
export async function podmanSkipReason(): Promise<string | undefined> {
  const found = (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, 'podman')));
  if (!found) return 'podman is not installed (not on PATH)';
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} is missing (install busybox-static) to build the test image`;
  return undefined;
}

function podmanExec(env: NodeJS.ProcessEnv, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('podman', args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`podman ${args.join(' ')}: ${stderr.trim() || err.message}`, { cause: err }));
      else resolve(stdout.trim());
    });
  });
}

/** GET /_ping on a unix socket; true when the API answers OK. */
export const pingSocket = (socketPath: string): Promise<boolean> => pingPodman(socketPath);

async function buildImage(env: NodeJS.ProcessEnv): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hop-bbtest-'));
  try {
    const root = path.join(dir, 'rootfs');
    for (const sub of ['bin', 'etc', 'tmp', 'www']) await mkdir(path.join(root, sub), { recursive: true });
    await copyFile(BUSYBOX, path.join(root, 'bin/busybox'));
    await chmod(path.join(root, 'bin/busybox'), 0o755);
    for (const applet of APPLETS) await symlink('busybox', path.join(root, 'bin', applet));
    await writeFile(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n');
    await writeFile(path.join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    await writeFile(path.join(root, 'www/index.html'), 'bbtest\n');
    const tar = path.join(dir, 'rootfs.tar');
    await new Promise<void>((resolve, reject) => {
      execFile('tar', ['-C', root, '-cf', tar, '.'], (err) => (err ? reject(err) : resolve()));
    });
    await podmanExec(env, ['import', '--change', 'CMD ["/bin/sh"]', tar, TEST_IMAGE]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Builds localhost/bbtest:latest once. Several test files may call this at the
 * same time, so a lock file serialises the build; a lock older than 60 s is
 * treated as left behind by a crashed run.
 */
export async function ensureTestImage(env: NodeJS.ProcessEnv): Promise<void> {
  const exists = () => podmanExec(env, ['image', 'exists', TEST_IMAGE]).then(() => true, () => false);
  if (await exists()) return;
  const lock = path.join(os.tmpdir(), 'haproxy-operator-bbtest.lock');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.close();
      break;
    } catch {
      if (await exists()) return;
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 60_000) await rm(lock, { force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for the image build lock ${lock}`);
      await delay(100);
    }
  }
  try {
    if (!(await exists())) await buildImage(env);
  } finally {
    await rm(lock, { force: true });
  }
}

function startServiceProcess(env: NodeJS.ProcessEnv, socketPath: string, logPath: string): ChildProcess {
  const child = spawn('podman', ['system', 'service', '--time=0', `unix://${socketPath}`], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Keep the last bit of stderr for error messages; never let it block the pipe.
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
  });
  child.on('exit', () => {
    void writeFile(logPath, tail).catch(() => undefined);
  });
  return child;
}

/** Starts a harness: conf, API service (ready when /_ping answers), test image. */
export async function startPodmanHarness(): Promise<PodmanHarness> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hop-podman-'));
  const runId = path.basename(dir).replace(/^hop-podman-/, '').toLowerCase().replace(/[^a-z0-9]/g, '');
  const confPath = path.join(dir, 'containers.conf');
  const socketPath = path.join(dir, 'podman.sock');
  await writeFile(confPath, CONTAINERS_CONF);
  const env: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF: confPath };
  let service: ChildProcess | undefined;
  let counter = 0;
  const podman = (args: string[]) => podmanExec(env, args);

  async function startService(): Promise<void> {
    if (service && service.exitCode === null && service.signalCode === null) return;
    await rm(socketPath, { force: true });
    const child = startServiceProcess(env, socketPath, path.join(dir, 'service.log'));
    service = child;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`podman system service exited with ${child.exitCode}`);
        return pingSocket(socketPath);
      },
      { timeoutMs: 15_000, message: `podman API service on ${socketPath}` },
    );
  }

  async function stopService(): Promise<void> {
    const child = service;
    service = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  async function run(opts: RunOptions = {}): Promise<TestContainer> {
    const network = opts.network ?? 'host';
    const port = opts.port ?? (await freePort());
    counter += 1;
    const name = opts.replace ?? `hop-${runId}-${counter}`;
    const body = opts.body ?? name;
    const listen = network === 'host' ? `127.0.0.1:${port}` : '80';
    const args = [opts.createOnly ? 'create' : 'run', ...(opts.createOnly ? [] : ['-d']), '--init', '--name', name, ...(opts.replace ? ['--replace'] : [])];
    args.push('--label', `${TEST_LABEL}=${runId}`);
    for (const [k, v] of Object.entries(opts.labels ?? {})) args.push('--label', `${k}=${v}`);
    if (network === 'host') args.push('--network', 'host');
    else args.push('-p', `127.0.0.1:${port}:80`);
    if (opts.healthcheck) {
      const cmd = typeof opts.healthcheck === 'string' ? opts.healthcheck : `wget -q -O /dev/null http://127.0.0.1:${network === 'host' ? port : 80}/`;
      args.push('--health-cmd', cmd);
      args.push('--health-interval', '1h', '--health-retries', '1');
    }
    const serve = `httpd -f -p ${listen} -h /tmp/www`;
    const start = opts.graceful ? `${serve} & pid=$!; trap 'kill $pid; sleep 0.3; exit 0' TERM; wait` : `exec ${serve}`;
    const script = `mkdir -p /tmp/www && echo ${body} > /tmp/www/index.html && ${start}`;
    args.push(TEST_IMAGE, 'sh', '-c', script);
    // With --replace, Podman prints the replaced container's name first.
    const id = (await podman(args)).split('\n').pop()!;
    return { id, name, port, body };
  }

  async function cleanup(): Promise<void> {
    try {
      const ids = (await podman(['ps', '-aq', '--no-trunc', '--filter', `label=${TEST_LABEL}=${runId}`])).split('\n').filter(Boolean);
      if (ids.length > 0) await podman(['rm', '-f', '-t', '0', ...ids]);
    } finally {
      await stopService();
      await rm(dir, { recursive: true, force: true });
    }
  }

  const harness: PodmanHarness = {
    runId,
    dir,
    socketPath,
    confPath,
    env,
    podman,
    run,
    start: async (id) => void (await podman(['start', id])),
    stop: async (id) => void (await podman(['stop', '-t', '5', id])),
    remove: async (id) => void (await podman(['rm', '-f', '-t', '0', id])),
    healthcheck: (id) => podman(['healthcheck', 'run', id]).then(() => true, () => false),
    servicePid: () => service?.pid,
    stopService,
    startService,
    restartService: async () => {
      await stopService();
      await startService();
    },
    cleanup,
  };
  try {
    await ensureTestImage(env);
    await startService();
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
  return harness;
}
