/**
 * @module Fault-injection helpers: a real operator (managed HAProxy) on free
 * ports whose root logger writes into memory so a test can count how often a
 * failure was reported; process checks by PID.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSettings, type Settings } from '../../src/config/settings.ts';
import { startOperator, type Operator } from '../../src/operator.ts';
import { freePort } from '../helpers/ports.ts';
import { captureRootLogger, type CapturedLog } from '../log/capture.ts';

export interface FaultOperator {
  operator: Operator;
  settings: Settings;
  stateDir: string;
  httpPort: number;
  httpsPort: number;
  log: CapturedLog;
  stop(): Promise<void>;
}

/** Starts an operator on free loopback ports; `stateDir` is created (and removed on stop) unless given. */
export async function startFaultOperator(opts: { stateDir?: string; flags?: Record<string, string> } = {}): Promise<FaultOperator> {
  const stateDir = opts.stateDir ?? (await mkdtemp(join(tmpdir(), 'hop-fault-')));
  const [httpPort, httpsPort, runtimePort, listenPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const settings = resolveSettings(
    {
      stateDir,
      bindAddress: '127.0.0.1',
      httpPort: String(httpPort),
      httpsPort: String(httpsPort),
      runtimeApi: `127.0.0.1:${runtimePort}`,
      listen: `127.0.0.1:${listenPort}`,
      pools: '5',
      slots: '4',
      checkInterval: '500',
      ...opts.flags,
    },
    {},
  );
  const log = captureRootLogger('info');
  const operator = await startOperator(settings, log.logger);
  let stopped = false;
  return {
    operator,
    settings,
    stateDir,
    httpPort,
    httpsPort,
    log,
    async stop() {
      if (stopped) return;
      stopped = true;
      await operator.stop();
      if (!opts.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** True when `pid` is alive and its command line mentions `needle`. */
export function processMatches(pid: number, needle: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
  } catch {
    return false;
  }
}

/** SIGKILLs `pid` if it is alive and its command line mentions `needle` (never a stranger's process). */
export function killIfOurs(pid: number, needle: string): void {
  if (pid > 1 && processMatches(pid, needle)) process.kill(pid, 'SIGKILL');
}
