/**
 * @module Finding the Podman API socket (flag, CONTAINER_HOST, DOCKER_HOST,
 * the rootful and rootless default paths, in that order) and, when there is
 * none but podman is installed, running `podman system service` as a
 * supervised child on a socket in the state directory.
 */
import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Logger } from 'pino';
import { OperatorError } from '../model/errors.ts';

export const ROOTFUL_SOCKET = '/run/podman/podman.sock';
export const PODMAN_ABSENT_MESSAGE = 'podman not found: container discovery disabled';

/** Where a socket path came from, for the startup log line. */
export type SocketSource = '--podman-socket' | 'CONTAINER_HOST' | 'DOCKER_HOST' | typeof ROOTFUL_SOCKET | 'XDG_RUNTIME_DIR';

export type SocketChoice =
  | { kind: 'found'; socketPath: string; from: SocketSource }
  | { kind: 'start'; socketPath: string }
  | { kind: 'absent'; message: string };

export interface DiscoverInput {
  /** Value of --podman-socket, if given. */
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  stateDir: string;
  exists?: (file: string) => boolean;
  /** True when an executable named `bin` is on PATH. */
  onPath?: (bin: string) => boolean;
}

/** A unix socket path from `unix:///path` or `/path`; throws for other schemes (tcp://, ssh://). */
export function parseSocketAddress(value: string, field: string): string {
  const trimmed = value.trim();
  if (trimmed.startsWith('unix://')) {
    const p = trimmed.slice('unix://'.length);
    if (path.isAbsolute(p)) return p;
  } else if (path.isAbsolute(trimmed)) {
    return trimmed;
  }
  throw new OperatorError(`${field}=${JSON.stringify(value)}: not a unix socket (use unix:///path/podman.sock or an absolute path)`);
}

/** True when `bin` is an existing file in one of PATH's directories. */
export function isOnPath(bin: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && existsSync(path.join(dir, bin)));
}

/**
 * Decides which socket to use, without side effects. An explicit setting
 * (flag, CONTAINER_HOST, DOCKER_HOST) is used even if the socket is not there
 * yet, since the watcher reconnects; the default paths count only if they
 * exist. Throws when an explicit setting is not a unix socket.
 */
export function discoverSocket(input: DiscoverInput): SocketChoice {
  const exists = input.exists ?? existsSync;
  const onPath = input.onPath ?? ((bin: string) => isOnPath(bin, input.env));
  if (input.flag) return { kind: 'found', socketPath: parseSocketAddress(input.flag, '--podman-socket'), from: '--podman-socket' };
  for (const name of ['CONTAINER_HOST', 'DOCKER_HOST'] as const) {
    const value = input.env[name];
    if (value) return { kind: 'found', socketPath: parseSocketAddress(value, name), from: name };
  }
  if (exists(ROOTFUL_SOCKET)) return { kind: 'found', socketPath: ROOTFUL_SOCKET, from: ROOTFUL_SOCKET };
  const xdg = input.env.XDG_RUNTIME_DIR;
  if (xdg) {
    const candidate = path.join(xdg, 'podman', 'podman.sock');
    if (exists(candidate)) return { kind: 'found', socketPath: candidate, from: 'XDG_RUNTIME_DIR' };
  }
  if (onPath('podman')) return { kind: 'start', socketPath: path.join(input.stateDir, 'run', 'podman.sock') };
  return { kind: 'absent', message: PODMAN_ABSENT_MESSAGE };
}

/** GET /_ping on the socket; resolves true when the API answers 200. */
export function pingPodman(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

export interface PodmanServiceDeps {
  logger: Logger;
  socketPath: string;
  /** Environment of the child (CONTAINERS_CONF passes through). */
  env?: NodeJS.ProcessEnv;
  spawn?: typeof nodeSpawn;
  /** First restart delay; doubles up to maxBackoffMs, reset after 30 s of uptime. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface PodmanService {
  readonly socketPath: string;
  /** Starts the child; resolves when the socket answers /_ping (rejects after timeoutMs, default 15 s). */
  start(timeoutMs?: number): Promise<void>;
  /** Stops the child by PID and stops restarting it. */
  stop(): Promise<void>;
  pid(): number | undefined;
  restarts(): number;
}

/** Supervises `podman system service --time=0 unix://<socketPath>`: restarts it with backoff when it exits. */
export function createPodmanService(deps: PodmanServiceDeps): PodmanService {
  const spawn = deps.spawn ?? nodeSpawn;
  const initial = deps.initialBackoffMs ?? 500;
  const max = deps.maxBackoffMs ?? 30_000;
  let child: ChildProcess | undefined;
  let stopping = false;
  let backoff = initial;
  let restartCount = 0;
  let restartTimer: NodeJS.Timeout | undefined;

  function launch(): void {
    mkdirSync(path.dirname(deps.socketPath), { recursive: true, mode: 0o700 });
    const startedAt = Date.now();
    const proc = spawn('podman', ['system', 'service', '--time=0', `unix://${deps.socketPath}`], {
      env: deps.env ?? process.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    let tail = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-2000);
    });
    proc.on('error', (err) => deps.logger.error({ err }, 'podman system service failed to start'));
    proc.on('exit', (code, signal) => {
      if (child === proc) child = undefined;
      if (stopping) return;
      if (Date.now() - startedAt > 30_000) backoff = initial;
      deps.logger.warn({ code, signal, stderr: tail.trim().slice(-500), restartInMs: backoff }, 'podman system service exited; restarting');
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        restartCount += 1;
        if (!stopping) launch();
      }, backoff);
      backoff = Math.min(backoff * 2, max);
    });
    deps.logger.info({ pid: proc.pid, socket: deps.socketPath }, 'started podman system service');
  }

  return {
    socketPath: deps.socketPath,
    async start(timeoutMs = 15_000) {
      stopping = false;
      if (!child) launch();
      const deadline = Date.now() + timeoutMs;
      while (!(await pingPodman(deps.socketPath))) {
        if (Date.now() > deadline) throw new OperatorError(`podman system service did not answer on ${deps.socketPath} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(kill);
    },
    pid: () => child?.pid,
    restarts: () => restartCount,
  };
}

export interface ResolveDeps {
  logger: Logger;
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  stateDir: string;
  exists?: (file: string) => boolean;
  onPath?: (bin: string) => boolean;
  spawn?: typeof nodeSpawn;
}

export type ResolvedSocket =
  | { enabled: true; socketPath: string; from: SocketSource | 'started'; service?: PodmanService }
  | { enabled: false; reason: string };

/**
 * Finds the socket, starting a supervised API service when needed; logs the
 * choice once. When Podman is absent resolves `{ enabled: false }` and logs
 * PODMAN_ABSENT_MESSAGE once. The caller must `service.stop()` on shutdown.
 */
export async function resolvePodmanSocket(deps: ResolveDeps): Promise<ResolvedSocket> {
  const choice = discoverSocket(deps);
  if (choice.kind === 'absent') {
    deps.logger.warn(choice.message);
    return { enabled: false, reason: choice.message };
  }
  if (choice.kind === 'found') {
    deps.logger.info({ socket: choice.socketPath, from: choice.from }, 'using podman socket');
    return { enabled: true, socketPath: choice.socketPath, from: choice.from };
  }
  const serviceDeps: PodmanServiceDeps = { logger: deps.logger, socketPath: choice.socketPath, env: deps.env };
  if (deps.spawn) serviceDeps.spawn = deps.spawn;
  const service = createPodmanService(serviceDeps);
  try {
    await service.start();
  } catch (err) {
    await service.stop();
    const reason = `podman system service could not be started: ${(err as Error).message}; container discovery disabled`;
    deps.logger.error(reason);
    return { enabled: false, reason };
  }
  return { enabled: true, socketPath: choice.socketPath, from: 'started', service };
}
