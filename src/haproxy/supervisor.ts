/**
 * @module Runs HAProxy as a supervised child in master-worker mode
 * (`haproxy -W -S master.sock -f cfg`). If it exits, it is restarted with
 * backoff and `onStarted` restores every route. After `kill -9` of the
 * master, its worker lingers for seconds holding the Runtime API port (both
 * bind with SO_REUSEPORT, so commands could land in the dying worker): the
 * supervisor kills the old worker by PID before starting a new master.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { OperatorError } from '../model/errors.ts';
import { writeFileAtomic } from '../os/atomic-write.ts';
import { commands } from './commands.ts';
import { haproxyOutputLevel } from './output-level.ts';
import { parseShowInfo } from './parsers/show-info.ts';
import { isProcess, pollUntil, signalIf } from '../os/process-util.ts';
import type { RuntimeClient } from './runtime-client.ts';

export interface SupervisorDeps {
  bin: string;
  configFile: string;
  masterSocket: string;
  /** Where the PIDs of our HAProxy are recorded, to clean up after an operator crash. */
  pidFile: string;
  runtime: RuntimeClient;
  logger: Logger;
  /** Called after each (re)start or reload once the Runtime API answers; returns how many commands restored the routes. */
  onStarted: (info: { pid: number; restarts: number }) => Promise<number>;
  startTimeoutMs?: number;
  /**
   * Take over a live HAProxy recorded in the pid file (the operator was
   * killed or restarted) instead of replacing it, so traffic never stops;
   * `configChanged` makes it reload once to load the new config.
   */
  adopt?: { configChanged: boolean };
}

export interface Supervisor {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Reload (SIGUSR2 to the master); resolves once the new worker answers and its routes are restored. */
  reload(reason: string): Promise<{ oldPid: number; newPid: number; restoredCommands: number }>;
  workerPid(): number;
  masterPid(): number;
  /** True when the running HAProxy was taken over from an earlier run. */
  adopted(): boolean;
  /** Stops supervising and leaves HAProxy running (a failed start must not stop the traffic it adopted). */
  detach(): void;
  readonly restarts: number;
}

/** The current worker's PID, on a fresh connection (a persistent one may still be held by an old worker). */
async function workerInfo(runtime: RuntimeClient): Promise<number> {
  return parseShowInfo(await runtime.oneShot(commands.showInfo())).pid;
}

/** The master process: our child, or one adopted from an earlier run (watched by polling its PID). */
interface Master {
  pid: number;
  kill(signal: NodeJS.Signals): void;
  running(): boolean;
  exited: Promise<void>;
}

function childMaster(proc: ChildProcess): Master {
  return {
    pid: proc.pid ?? 0,
    kill: (signal) => void proc.kill(signal),
    running: () => proc.exitCode === null && proc.signalCode === null,
    exited: new Promise((resolve) => proc.once('exit', () => resolve())),
  };
}

function adoptedMaster(pid: number, needle: string): Master {
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<void>((resolve) => {
    timer = setInterval(() => {
      if (!isProcess(pid, needle)) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
    // After detach() nobody waits on it; it must not keep a failed start's process alive.
    timer.unref();
  });
  return {
    pid,
    kill: (signal) => void signalIf(pid, needle, signal),
    running: () => isProcess(pid, needle),
    exited,
  };
}

export function createSupervisor(deps: SupervisorDeps): Supervisor {
  const { logger, runtime } = deps;
  const needle = deps.configFile;
  const startTimeout = deps.startTimeoutMs ?? 15000;
  let child: Master | undefined;
  let worker = 0;
  let restarts = 0;
  let stopping = false;
  let backoffMs = 0;
  let startedAt = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let adoptedPid = 0;

  function recordedPids(): number[] {
    try {
      return readFileSync(deps.pidFile, 'utf8').split(/\s+/).map(Number).filter((n) => n > 1);
    } catch {
      return [];
    }
  }

  /** Kills HAProxy processes recorded by an earlier operator that did not stop them. */
  function killStale(): void {
    for (const pid of recordedPids()) if (signalIf(pid, needle, 'SIGKILL')) logger.warn({ pid }, 'killed a stale HAProxy left by an earlier run');
  }

  /** Takes over the HAProxy an earlier operator left running, if it answers; returns whether it did. */
  async function adopt(configChanged: boolean): Promise<boolean> {
    const [masterPid] = recordedPids();
    if (!masterPid || !isProcess(masterPid, needle)) return false;
    let pid = 0;
    try {
      pid = await workerInfo(runtime);
    } catch {
      return false;
    }
    if (pid <= 0) return false;
    const master = adoptedMaster(masterPid, needle);
    child = master;
    adoptedPid = masterPid;
    worker = pid;
    startedAt = Date.now();
    void master.exited.then(() => onExit(master, null, null));
    runtime.reset();
    logger.info({ master: masterPid, worker, configChanged }, 'took over the HAProxy of an earlier run (traffic never stopped)');
    if (configChanged) await reloadMaster('the rendered config changed while the operator was down');
    else await deps.onStarted({ pid: worker, restarts });
    return true;
  }

  /** SIGUSR2 to the master, then wait for a new worker, reset the connection and restore. */
  async function reloadMaster(reason: string): Promise<{ oldPid: number; newPid: number; restoredCommands: number }> {
    if (!child) throw new OperatorError('haproxy is not running');
    const oldPid = worker;
    logger.info({ reason }, 'reloading haproxy');
    child.kill('SIGUSR2');
    let newPid = 0;
    const ok = await pollUntil(async () => {
      try {
        newPid = await workerInfo(runtime);
        return newPid > 0 && newPid !== oldPid;
      } catch {
        return false;
      }
    }, startTimeout);
    if (!ok) throw new OperatorError(`reload did not produce a new worker within ${startTimeout} ms`);
    worker = newPid;
    runtime.reset();
    await writeFileAtomic(deps.pidFile, `${child.pid} ${worker}\n`);
    const restoredCommands = await deps.onStarted({ pid: newPid, restarts });
    return { oldPid, newPid, restoredCommands };
  }

  async function launch(): Promise<void> {
    // A stop requested while start-up awaited must not spawn a master nobody stops.
    if (stopping) throw new OperatorError('haproxy start cancelled: the operator is stopping');
    killStale();
    const args = ['-W', '-S', `${deps.masterSocket},level,admin`, '-f', deps.configFile];
    // Own process group: a terminal's Ctrl-C reaches the operator, which stops
    // HAProxy in order, instead of racing it.
    const proc = spawn(deps.bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const master = childMaster(proc);
    child = master;
    startedAt = Date.now();
    for (const stream of [proc.stdout, proc.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        if (line.trim()) logger[haproxyOutputLevel(line, stopping)]({ haproxy: line.slice(0, 500) }, 'haproxy output');
      });
    }
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.once('exit', (code, signal) => onExit(master, code, signal));
    proc.once('error', (error) => logger.error({ err: error }, 'cannot run haproxy'));
    let pid = 0;
    const up = await pollUntil(async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return true;
      try {
        pid = await workerInfo(runtime);
        return pid > 0 && pid !== worker;
      } catch {
        return false;
      }
    }, startTimeout);
    if (proc.exitCode !== null || proc.signalCode !== null || !up) {
      // Its exit event schedules the next attempt.
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
      throw new OperatorError(`haproxy did not start (exit ${proc.exitCode ?? proc.signalCode ?? 'timeout'}); see the haproxy output above`);
    }
    worker = pid;
    runtime.reset();
    await writeFileAtomic(deps.pidFile, `${proc.pid} ${worker}\n`);
    logger.info({ master: proc.pid, worker, restarts }, 'haproxy is up');
    await deps.onStarted({ pid: worker, restarts });
  }

  function onExit(master: Master, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== master) return;
    child = undefined;
    // The orphaned worker would keep the ports and the Runtime API for seconds.
    if (worker) signalIf(worker, needle, 'SIGKILL');
    if (stopping) return;
    const ranMs = Date.now() - startedAt;
    backoffMs = ranMs > 10000 ? 0 : Math.min(5000, backoffMs === 0 ? 50 : backoffMs * 2);
    restarts += 1;
    logger.error({ code, signal, restartInMs: backoffMs, restarts }, 'haproxy exited; restarting');
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (stopping) return;
      launch().catch((error) => logger.error({ err: error }, 'haproxy restart failed'));
    }, backoffMs);
  }

  return {
    async start() {
      if (deps.adopt && (await adopt(deps.adopt.configChanged))) return;
      await launch();
    },
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const master = child;
      if (master?.running()) {
        master.kill('SIGTERM');
        const timer = setTimeout(() => master.kill('SIGKILL'), 5000);
        await master.exited;
        clearTimeout(timer);
      }
      if (worker) {
        const pid = worker;
        await pollUntil(() => !isProcess(pid, needle), 2000);
        signalIf(pid, needle, 'SIGKILL');
      }
      logger.info('haproxy stopped');
    },
    reload: (reason) => reloadMaster(reason),
    adopted: () => adoptedPid !== 0 && child?.pid === adoptedPid,
    detach() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      child = undefined;
      logger.warn({ master: adoptedPid, worker }, 'start failed: the HAProxy taken over keeps serving (not stopped)');
    },
    workerPid: () => worker,
    masterPid: () => child?.pid ?? 0,
    get restarts() {
      return restarts;
    },
  };
}
