/**
 * @module The root logger: JSON lines, or human-readable on a terminal.
 * Secrets are redacted by key wherever they appear in a log object; the
 * redaction rule is tested.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

/** Keys whose values never reach a log line, at any depth up to three levels. */
export const REDACT_KEYS = ['token', 'apiToken', 'authorization', 'Authorization', 'password', 'secret', 'hmacKey', 'hmac', 'privateKey', 'key', 'pem', 'cookie'];

export function redactPaths(): string[] {
  const paths: string[] = [];
  for (const k of REDACT_KEYS) paths.push(k, `*.${k}`, `*.*.${k}`, `headers.${k.toLowerCase()}`);
  return paths;
}

export interface LoggerOptions {
  level?: string;
  /** Human-readable output (pino-pretty); defaults to stderr being a TTY. */
  pretty?: boolean;
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const base = { level: options.level ?? 'info', redact: { paths: redactPaths(), censor: '[redacted]' } };
  if (options.destination) return pino(base, options.destination);
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  if (pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { destination: 2, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino(base, pino.destination(2));
}

