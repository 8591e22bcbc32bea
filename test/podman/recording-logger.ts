/**
 * @module A pino-compatible logger for tests that records every call, so a
 * test can assert what was logged and how often.
 */
import type { Logger } from 'pino';

export interface LogEntry {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  msg: string;
  obj: Record<string, unknown>;
}

/** A logger whose entries (children included) land in `entries`. */
export function recordingLogger(entries: LogEntry[] = [], bindings: Record<string, unknown> = {}): Logger & { entries: LogEntry[] } {
  const log =
    (level: LogEntry['level']) =>
    (objOrMsg: unknown, msg?: string): void => {
      if (typeof objOrMsg === 'string') entries.push({ level, msg: objOrMsg, obj: { ...bindings } });
      else entries.push({ level, msg: msg ?? '', obj: { ...bindings, ...(objOrMsg as Record<string, unknown>) } });
    };
  const logger = {
    entries,
    trace: log('trace'),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    fatal: log('fatal'),
    child: (more: Record<string, unknown>) => recordingLogger(entries, { ...bindings, ...more }),
    level: 'trace',
  };
  return logger as unknown as Logger & { entries: LogEntry[] };
}
