/**
 * @module Polls `show info` and reports when HAProxy's worker changed (new
 * PID, or uptime went backwards): a reload or restart that lost the
 * runtime state. Used in external mode, where HAProxy is not our child,
 * and in managed mode for reloads made by someone else.
 */
import type { Logger } from 'pino';
import { commands } from './commands.ts';
import { parseShowInfo } from './parsers/show-info.ts';
import type { HaproxyInfo } from '../model/haproxy.ts';
import type { RuntimeClient } from './runtime-client.ts';

export interface PidWatchDeps {
  runtime: RuntimeClient;
  intervalMs: number;
  logger: Logger;
  /** Known worker PID at start (managed mode); 0 makes the first answer count as a change. */
  initialPid?: number;
  onChange: (info: HaproxyInfo) => Promise<void>;
}

export function createPidWatch(deps: PidWatchDeps): { stop(): void; check(): Promise<void> } {
  let pid = deps.initialPid ?? 0;
  let uptime = 0;
  let reachable = true;
  let busy = false;
  let stopped = false;

  async function check(): Promise<void> {
    if (busy || stopped) return;
    busy = true;
    try {
      // A fresh connection each time: the persistent one may still be held by
      // an old worker that a reload left finishing its connections.
      const info = parseShowInfo(await deps.runtime.oneShot(commands.showInfo()));
      if (!reachable) deps.logger.info({ pid: info.pid }, 'haproxy runtime API reachable again');
      reachable = true;
      if (info.pid > 0 && (info.pid !== pid || info.uptimeSec < uptime)) {
        pid = info.pid;
        uptime = info.uptimeSec;
        deps.runtime.reset();
        await deps.onChange(info);
      }
      uptime = info.uptimeSec;
    } catch (error) {
      // Reported once per outage, not on every poll.
      if (reachable) deps.logger.warn({ err: (error as Error).message }, 'haproxy runtime API unreachable');
      reachable = false;
    } finally {
      busy = false;
    }
  }

  const timer = setInterval(() => void check(), deps.intervalMs);
  timer.unref();
  void check();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
    check,
  };
}
