/**
 * @module The root logger (src/log.ts createLogger) writing into memory: one
 * string per write, so tests can check redaction, one JSON event per line,
 * and how often a message was logged.
 */
import type { Logger } from 'pino';
import { createLogger } from '../../src/log.ts';

export interface CapturedLog {
  logger: Logger;
  /** Every write the logger made, in order. */
  writes: string[];
  /** Parsed events. */
  events(): Array<Record<string, unknown>>;
  /** Events whose msg contains `needle`. */
  count(needle: string): number;
}

export function captureRootLogger(level = 'debug'): CapturedLog {
  const writes: string[] = [];
  const logger = createLogger({ level, destination: { write: (s: string) => void writes.push(s) } });
  const events = () => writes.flatMap((w) => w.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>));
  return { logger, writes, events, count: (needle) => events().filter((e) => String(e.msg ?? '').includes(needle)).length };
}
