/**
 * @module A pino logger whose output is kept in memory, so tests can assert
 * that secrets never reach the log.
 */
import { pino, type Logger } from 'pino';

/** A trace-level logger and the text of everything it wrote. */
export function captureLogger(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (s: string) => void lines.push(s) });
  return { logger, text: () => lines.join('') };
}
