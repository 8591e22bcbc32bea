/**
 * @module Finding the Podman API socket (flag, CONTAINER_HOST, DOCKER_HOST,
 * the rootful and rootless default paths, in that order) and, when there is
 * none but podman is installed, running `podman system service` (service.ts)
 * as a supervised child on a socket in the state directory.
 */
import type { spawn as nodeSpawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { OperatorError } from '../model/errors.ts';
import { createPodmanService, type PodmanService, type PodmanServiceDeps } from './service.ts';
import { pingPodman } from './ping.ts';

export { createPodmanService, pingPodman, type PodmanService, type PodmanServiceDeps };

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


export interface ResolveDeps {
  logger: Logger;
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  stateDir: string;
  exists?: (file: string) => boolean;
  onPath?: (bin: string) => boolean;
  spawn?: typeof nodeSpawn;
  /** Called with the service before it is spawned, so a stop requested meanwhile reaches it. */
  onService?: (service: PodmanService) => void;
  /** Called each time a replaced service answers again (reconnect the watcher now). */
  onServiceReady?: () => void;
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
  if (deps.onServiceReady) serviceDeps.onReady = deps.onServiceReady;
  const service = createPodmanService(serviceDeps);
  deps.onService?.(service);
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
