/**
 * @module The audit log: one JSON line per call that may change something
 * (MCP tools, the API's apply/delete, import): time, tool, redacted
 * arguments, caller, outcome, dry_run and, where known, what changed,
 * appended to <stateDir>/audit.log. Lines are written one at a time in call
 * order so concurrent calls never interleave.
 */
import { open } from 'node:fs/promises';
import type { Logger } from 'pino';

const SECRET_KEY = /token|secret|password|key|hmac/i;
const REDACTED = '[redacted]';

/** Deep copy of `value` with every property whose name looks secret replaced by "[redacted]". */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 20) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? REDACTED : redactSecrets(v, depth + 1);
    return out;
  }
  return value;
}

export interface AuditEntry {
  tool: string;
  args: unknown;
  /** IP address of the caller (or "stdio"), and how it was learned. */
  caller: string;
  outcome: 'ok' | 'error';
  error?: string;
  dryRun: boolean;
  /** What changed, e.g. each resource as kind/name with its action; redacted like args. */
  result?: unknown;
}

export interface AuditLog {
  /** Appends one entry; never throws (a failed write is logged). Resolves once written. */
  record(entry: AuditEntry): Promise<void>;
}

export interface AuditLogDeps {
  /** Path of the log, normally <stateDir>/audit.log. */
  file: string;
  logger: Logger;
  /** Clock (ms since epoch); injected for tests. */
  now?: () => number;
}

/** Creates an append-only JSON-lines audit log; the file is created 0600 on first write. */
export function createAuditLog(deps: AuditLogDeps): AuditLog {
  const log = deps.logger.child({ module: 'audit' });
  const now = deps.now ?? Date.now;
  let tail: Promise<void> = Promise.resolve();

  async function append(line: string): Promise<void> {
    const fh = await open(deps.file, 'a', 0o600);
    try {
      await fh.appendFile(line, 'utf8');
    } finally {
      await fh.close();
    }
  }

  return {
    record(entry) {
      const line =
        JSON.stringify({
          time: new Date(now()).toISOString(),
          tool: entry.tool,
          args: redactSecrets(entry.args),
          caller: entry.caller,
          outcome: entry.outcome,
          ...(entry.error !== undefined ? { error: entry.error } : {}),
          dry_run: entry.dryRun,
          ...(entry.result !== undefined ? { result: redactSecrets(entry.result) } : {}),
        }) + '\n';
      tail = tail.then(
        () => append(line),
        () => append(line),
      );
      return tail.catch((err: unknown) => {
        log.error({ err, file: deps.file }, 'could not write the audit log');
      });
    },
  };
}
