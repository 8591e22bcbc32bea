/**
 * @module Watches the resources directory and calls `onChange` after a quiet
 * period (debounce), plus on a fixed interval as a safety net: fs.watch can
 * miss events (editors that replace files, a directory that is recreated),
 * and a periodic full rescan also refreshes status from HAProxy's health.
 * Events only trigger; the callback always reads the whole directory.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';

export interface DirectoryWatchDeps {
  dir: string;
  logger: Logger;
  onChange: (why: string) => void;
  /** Quiet period after the last event, in ms (default 100). */
  debounceMs?: number;
  /** Full rescan interval in ms (default 30000; 0 disables). */
  resyncMs?: number;
}

export interface DirectoryWatch {
  stop(): void;
}

/** Starts watching; a watcher that fails is re-created on the next resync tick. */
export function watchDirectory(deps: DirectoryWatchDeps): DirectoryWatch {
  const debounceMs = deps.debounceMs ?? 100;
  const resyncMs = deps.resyncMs ?? 30_000;
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const fire = (why: string): void => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (!stopped) deps.onChange(why);
    }, debounceMs);
  };

  const open = (): void => {
    if (stopped || watcher) return;
    try {
      watcher = watch(deps.dir, { persistent: false }, (_event, file) => {
        // Our own temp files (.name.xxx.tmp) change on every atomic write; the rename that follows is the real event.
        if (typeof file === 'string' && file.startsWith('.')) return;
        fire(`file ${file ?? '?'} changed`);
      });
      watcher.on('error', (err) => {
        deps.logger.warn({ err, dir: deps.dir }, 'resources directory watch failed; relying on periodic rescan');
        watcher?.close();
        watcher = undefined;
      });
    } catch (err) {
      deps.logger.warn({ err, dir: deps.dir }, 'cannot watch resources directory; relying on periodic rescan');
    }
  };

  open();
  const interval =
    resyncMs > 0
      ? setInterval(() => {
          open();
          deps.onChange('periodic rescan');
        }, resyncMs)
      : undefined;
  interval?.unref();

  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (interval) clearInterval(interval);
      watcher?.close();
      watcher = undefined;
    },
  };
}
