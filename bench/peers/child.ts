/**
 * @module A long-running child of the bench (a proxy engine, a backend
 * replica): spawned with its output kept in a file, stopped by its own PID
 * with a signal and a deadline, and signalled even if the bench exits
 * without stopping it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';

const running = new Set<ChildProcess>();
process.once('exit', () => {
  // Last resort (an uncaught error skipped the finally blocks): the engines' masters stop their workers on SIGTERM.
  for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
});

export interface Child {
  proc: ChildProcess;
  /** Tail of what it printed (stdout and stderr). */
  output(): string;
  /** Signals it (default SIGTERM), then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export function startChild(command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): Child {
  const fd = openSync(logFile, 'a');
  const proc = spawn(command, args, { stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  running.add(proc);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  void exited.then(() => running.delete(proc));
  return {
    proc,
    output: () => {
      try {
        return readFileSync(logFile, 'utf8').slice(-1500);
      } catch {
        return '';
      }
    },
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** True once the child has exited. */
export function hasExited(c: Child): boolean {
  return c.proc.exitCode !== null || c.proc.signalCode !== null;
}
