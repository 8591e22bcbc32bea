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
import { writeFileAtomic } from '../store/atomic-write.ts';
import { commands } from './commands.ts';
import { parseShowInfo } from './parsers/show-info.ts';
import { isProcess, pollUntil, signalIf } from './process-util.ts';
import type { RuntimeClient } from './runtime-client.ts';

export interface SupervisorDeps {
  bin: string;
  configFile: string;
  masterSocket: string;
  /** Where the PIDs of our HAProxy are recorded, to clean up after an operator crash. */
  pidFile: string;
  runtime: RuntimeClient;
  logger: Logger;
  /** Called after each (re)start once the Runtime API answers. */
  onStarted: (info: { pid: number; restarts: number }) => Promise<void>;
  startTimeoutMs?: number;
}

export interface Supervisor {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Reload through the master socket; resolves when a new worker answers. */
  reload(reason: string): Promise<{ oldPid: number; newPid: number }>;
  workerPid(): number;
  masterPid(): number;
  readonly restarts: number;
}

/** The current worker's PID, on a fresh connection (a persistent one may still be held by an old worker). */
async function workerInfo(runtime: RuntimeClient): Promise<number> {
  return parseShowInfo(await runtime.oneShot(commands.showInfo())).pid;
}

export function createSupervisor(deps: SupervisorDeps): Supervisor {
  const { logger, runtime } = deps;
  const needle = deps.configFile;
  const startTimeout = deps.startTimeoutMs ?? 15000;
  let child: ChildProcess | undefined;
  let worker = 0;
  let restarts = 0;
  let stopping = false;
  let backoffMs = 0;
  let startedAt = 0;
  let restartTimer: NodeJS.Timeout | undefined;

  /** Kills HAProxy processes recorded by an earlier operator that did not stop them. */
  function killStale(): void {
    let pids: number[] = [];
    try {
      pids = readFileSync(deps.pidFile, 'utf8').split(/\s+/).map(Number).filter((n) => n > 1);
    } catch {
      return;
    }
    for (const pid of pids) if (signalIf(pid, needle, 'SIGKILL')) logger.warn({ pid }, 'killed a stale HAProxy left by an earlier run');
  }

  async function launch(): Promise<void> {
    killStale();
    const args = ['-W', '-S', `${deps.masterSocket},level,admin`, '-f', deps.configFile];
    // Own process group: a terminal's Ctrl-C reaches the operator, which stops
    // HAProxy in order, instead of racing it.
    const proc = spawn(deps.bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child = proc;
    startedAt = Date.now();
    for (const stream of [proc.stdout, proc.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        if (line.trim()) logger.info({ haproxy: line.slice(0, 500) }, 'haproxy output');
      });
    }
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.once('exit', (code, signal) => onExit(proc, code, signal));
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

  function onExit(proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== proc) return;
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
    start: () => launch(),
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const proc = child;
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(timer);
      }
      if (worker) {
        const pid = worker;
        await pollUntil(() => !isProcess(pid, needle), 2000);
        signalIf(pid, needle, 'SIGKILL');
      }
      logger.info('haproxy stopped');
    },
    async reload(reason) {
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
      if (child.pid) await writeFileAtomic(deps.pidFile, `${child.pid} ${worker}\n`);
      await deps.onStarted({ pid: newPid, restarts });
      return { oldPid, newPid };
    },
    workerPid: () => worker,
    masterPid: () => child?.pid ?? 0,
    get restarts() {
      return restarts;
    },
  };
}
