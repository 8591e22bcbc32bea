/**
 * @module The `podman system service` the operator runs when no Podman socket
 * exists: one per state directory, always. Its PID is kept in a pid file next
 * to the socket; a service an earlier (killed) operator left is stopped before
 * ours starts, since two services on one path unlink each other's socket. A
 * socket that disappears or stops answering gets the service replaced, and
 * `onReady` tells the watcher to reconnect and resync.
 */
import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { OperatorError } from '../model/errors.ts';
import { isProcess, pollUntil } from '../os/process-util.ts';
import { writeFileAtomic } from '../os/atomic-write.ts';
import { pingPodman } from './ping.ts';

const PING_TIMEOUT_MS = 5000;

export interface PodmanServiceDeps {
  logger: Logger;
  socketPath: string;
  /** Default: podman-service.pid next to the socket. */
  pidFile?: string;
  /** Environment of the child (CONTAINERS_CONF passes through). */
  env?: NodeJS.ProcessEnv;
  spawn?: typeof nodeSpawn;
  /** First restart delay; doubles up to maxBackoffMs, reset after 30 s of uptime. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How often the socket is pinged; two failed pings in a row replace the service (default 2000 ms). */
  checkIntervalMs?: number;
  /** Called when a restarted service answers (not after the first start). */
  onReady?: () => void;
}

export interface PodmanService {
  readonly socketPath: string;
  /** Stops a leftover service, starts ours; resolves when the socket answers /_ping (rejects after timeoutMs, default 15 s). */
  start(timeoutMs?: number): Promise<void>;
  /** Stops the child by PID and stops restarting it. */
  stop(): Promise<void>;
  /** SIGKILLs the child now (forced shutdown). */
  kill(): void;
  /** True while the child runs and its socket answered the last ping. */
  healthy(): boolean;
  pid(): number | undefined;
  restarts(): number;
}

/** PIDs of `podman system service` processes serving exactly this socket (ours or a killed operator's). */
function servicesOn(socketPath: string, pidFile: string): number[] {
  const needle = `unix://${socketPath}`;
  const candidates = new Set<number>();
  const recorded = Number(readFileSync(pidFile, 'utf8').split(/\s/)[0]);
  if (recorded > 1) candidates.add(recorded);
  for (const entry of readdirSync('/proc')) if (/^\d+$/.test(entry)) candidates.add(Number(entry));
  return [...candidates].filter((pid) => pid !== process.pid && isProcess(pid, 'system') && isProcess(pid, needle));
}

function safeServicesOn(socketPath: string, pidFile: string): number[] {
  try {
    return servicesOn(socketPath, pidFile);
  } catch {
    // No pid file: still scan, an older operator may not have written one.
    try {
      return servicesOn(socketPath, '/dev/null');
    } catch {
      return [];
    }
  }
}

/** Supervises `podman system service --time=0 unix://<socketPath>`: restarts it with backoff when it exits or stops answering. */
export function createPodmanService(deps: PodmanServiceDeps): PodmanService {
  const spawn = deps.spawn ?? nodeSpawn;
  const initial = deps.initialBackoffMs ?? 500;
  const max = deps.maxBackoffMs ?? 30_000;
  const pidFile = deps.pidFile ?? path.join(path.dirname(deps.socketPath), 'podman-service.pid');
  const log = deps.logger;
  let child: ChildProcess | undefined;
  let stopping = false;
  let backoff = initial;
  let restartCount = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let monitor: NodeJS.Timeout | undefined;
  let answering = false;
  let failedPings = 0;

  /** Stops every service on our socket path that is not our child (SIGTERM, then SIGKILL after 5 s). */
  async function stopLeftovers(): Promise<void> {
    const needle = `unix://${deps.socketPath}`;
    const left = safeServicesOn(deps.socketPath, pidFile).filter((pid) => pid !== child?.pid);
    if (left.length === 0) return;
    log.warn({ pids: left, socket: deps.socketPath }, 'stopping the podman API service left by an earlier run (one per state directory)');
    for (const pid of left) process.kill(pid, 'SIGTERM');
    const gone = () => left.every((pid) => !isProcess(pid, needle));
    if (!(await pollUntil(gone, 5000, 50))) {
      for (const pid of left) if (isProcess(pid, needle)) process.kill(pid, 'SIGKILL');
      await pollUntil(gone, 2000, 50);
    }
  }

  async function waitAnswering(proc: ChildProcess, timeoutMs: number): Promise<boolean> {
    return pollUntil(async () => child !== proc || (await pingPodman(deps.socketPath)), timeoutMs, 50).then((ok) => ok && child === proc);
  }

  function launch(restarted: boolean): void {
    if (stopping) return;
    mkdirSync(path.dirname(deps.socketPath), { recursive: true, mode: 0o700 });
    const startedAt = Date.now();
    // Own process group: a terminal's Ctrl-C reaches the operator, which stops it in order.
    const proc = spawn('podman', ['system', 'service', '--time=0', `unix://${deps.socketPath}`], {
      env: deps.env ?? process.env,
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    child = proc;
    answering = false;
    failedPings = 0;
    if (proc.pid) void writeFileAtomic(pidFile, `${proc.pid} ${deps.socketPath}\n`).catch((err: unknown) => log.warn({ err }, 'cannot write the podman service pid file'));
    let tail = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-2000);
    });
    proc.on('error', (err) => log.error({ err }, 'podman system service failed to start'));
    proc.on('exit', (code, signal) => {
      if (child === proc) child = undefined;
      answering = false;
      if (stopping) return;
      if (Date.now() - startedAt > 30_000) backoff = initial;
      log.warn({ code, signal, stderr: tail.trim().slice(-500), restartInMs: backoff }, 'podman system service exited; restarting');
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        restartCount += 1;
        launch(true);
      }, backoff);
      backoff = Math.min(backoff * 2, max);
    });
    log.info({ pid: proc.pid, socket: deps.socketPath }, 'started podman system service');
    if (restarted) {
      void waitAnswering(proc, 30_000).then((ok) => {
        if (!ok || stopping) return;
        answering = true;
        log.info({ pid: proc.pid }, 'podman system service answers again');
        deps.onReady?.();
      });
    }
  }

  /**
   * One health check: the socket file exists and /_ping answers; two misses in a row replace the service.
   * A ping may take seconds on a loaded host (Podman's API is slow under CPU pressure): 1 s replaced a
   * healthy service there, so only a socket that is gone or silent for PING_TIMEOUT_MS counts as a miss.
   */
  async function check(): Promise<void> {
    const proc = child;
    if (!proc || stopping || proc.exitCode !== null) return;
    const ok = existsSync(deps.socketPath) && (await pingPodman(deps.socketPath, PING_TIMEOUT_MS));
    if (child !== proc) return;
    answering = ok;
    failedPings = ok ? 0 : failedPings + 1;
    if (failedPings < 2) return;
    log.warn({ pid: proc.pid, socket: deps.socketPath, socketExists: existsSync(deps.socketPath) }, 'podman API service stopped answering; replacing it');
    backoff = initial;
    proc.kill('SIGKILL');
  }

  return {
    socketPath: deps.socketPath,
    async start(timeoutMs = 15_000) {
      stopping = false;
      await stopLeftovers();
      if (stopping) return;
      if (!child) launch(false);
      const proc = child!;
      if (!(await waitAnswering(proc, timeoutMs))) {
        if (stopping) return;
        throw new OperatorError(`podman system service did not answer on ${deps.socketPath} within ${timeoutMs} ms`);
      }
      answering = true;
      monitor ??= setInterval(() => void check(), deps.checkIntervalMs ?? 2000);
      monitor.unref();
    },
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      if (monitor) clearInterval(monitor);
      monitor = undefined;
      const proc = child;
      child = undefined;
      answering = false;
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise<void>((r) => proc.once('exit', () => r()));
        proc.kill('SIGTERM');
        const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(kill);
      }
      rmSync(pidFile, { force: true });
    },
    kill() {
      stopping = true;
      child?.kill('SIGKILL');
    },
    healthy: () => child !== undefined && answering,
    pid: () => child?.pid,
    restarts: () => restartCount,
  };
}
