/**
 * @module Fault-injection helpers: a real operator (managed HAProxy) on free
 * ports whose root logger writes into memory so a test can count how often a
 * failure was reported; process checks by PID.
 */
import { isProcess } from '../../src/os/process-util.ts';
import { startTestOperator, type HaproxyVersion, type TestOperator } from '../helpers/haproxy.ts';
import { captureRootLogger, type CapturedLog } from '../log/capture.ts';

export interface FaultOperator extends TestOperator {
  log: CapturedLog;
}

/** Starts an operator on free loopback ports (pools 5, slots 4) whose root logger writes into `log`. */
export async function startFaultOperator(opts: { stateDir?: string; flags?: Record<string, string>; haproxy?: HaproxyVersion } = {}): Promise<FaultOperator> {
  const log = captureRootLogger('info');
  const op = await startTestOperator({ pools: 5, slots: 4, logger: log.logger, ...(opts.stateDir ? { stateDir: opts.stateDir } : {}), ...(opts.flags ? { flags: opts.flags } : {}), ...(opts.haproxy ? { haproxy: opts.haproxy } : {}) });
  return Object.assign(op, { log });
}

/** True when `pid` is alive and its command line mentions `needle`. */
export const processMatches = isProcess;

/** SIGKILLs `pid` if it is alive and its command line mentions `needle` (never a stranger's process). */
export function killIfOurs(pid: number, needle: string): void {
  if (pid > 1 && processMatches(pid, needle)) process.kill(pid, 'SIGKILL');
}
