/**
 * @module The `haproxy-operator import --from DIR [--dry-run]
 * [--cloudflare-ini FILE]` command: its options and the glue from settings to
 * importOriginal. A real import takes the state directory's lock, so it
 * cannot race a running operator over servers.json.
 */
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createAuditLog } from '../audit/audit-log.ts';
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.ts';
import { ValidationError } from '../model/errors.ts';
import { acquireLock } from '../store/lock.ts';
import { runImportCommand } from './import-original.ts';

/** Usage line of `import --help`. */
export const IMPORT_USAGE = `haproxy-operator import: import an install of the original suite (conf/domains.map, conf/servers.json,
conf/mcp-token.env, certs/*.pem; cloudflare.ini is checked, never copied) into the operator's state directory

Usage:
  haproxy-operator import --from DIR [--dry-run] [--state-dir DIR] [--cloudflare-ini FILE] [options]

The state directory is created (0700) when it does not exist. The imported mcp-token.env is
the operator's MCP token from then on (it reads <conf dir>/mcp-token.env unless --mcp-token-file
or HAPROXY_OPERATOR_MCP_TOKEN says otherwise). A real import is recorded in <state dir>/audit.log.
Exit status: 0 imported, 2 imported with problems listed (or bad usage).`;

/** Options `import --help` lists: its own and the operator's settings it uses. */
export const IMPORT_HELP_KEYS = ['from', 'dryRun', 'cloudflareIni', 'stateDir', 'confDir', 'certDir', 'pools', 'slots', 'config', 'logLevel'];

/** Name of the operator's lock file in the state directory (as the operator names it). */
export const LOCK_FILE = 'operator.lock';

/**
 * Runs the import with the operator's confDir, certDir, pools and slots.
 * Returns the exit status (0 clean, 2 with problems listed); throws a
 * ValidationError when --from is missing and a LockError while an operator
 * holds the state directory.
 */
export async function importCommand(settings: Settings, deps: { logger: Logger; now: () => Date; print: (text: string) => void }): Promise<number> {
  const { from, dryRun, cloudflareIni } = settings.importer;
  if (!from) throw new ValidationError('--from', from ?? '', 'required: the directory of the original install (the one holding conf/domains.map)');
  const opts = {
    from,
    confDir: settings.confDir,
    certDir: settings.certDir,
    dryRun,
    pools: settings.pools,
    slots: settings.slots,
    ...(cloudflareIni ? { cloudflareIni } : {}),
  };
  if (dryRun) return runImportCommand(opts, deps);
  // A fresh host has no state directory yet: create it as the operator would (0700), then lock it.
  mkdirSync(settings.stateDir, { recursive: true, mode: 0o700 });
  const lock = await acquireLock(join(settings.stateDir, LOCK_FILE));
  const audit = createAuditLog({ file: join(settings.stateDir, 'audit.log'), logger: deps.logger });
  const record = (outcome: 'ok' | 'error', extra: { error?: string; result?: unknown }) =>
    audit.record({ tool: 'cli:import', args: { from, ...(cloudflareIni ? { cloudflareIni } : {}) }, caller: `cli:${userInfo().username}`, outcome, dryRun: false, ...extra });
  try {
    const status = await runImportCommand(opts, {
      ...deps,
      onReport: (r) => record('ok', { result: { domains: r.domains.map((d) => `${d.host} pool_${d.pool}`), servers: r.serverCount, certificates: r.certificates.length, problems: r.problems.length, written: r.written } }),
    });
    return status;
  } catch (error) {
    await record('error', { error: (error as Error).message });
    throw error;
  } finally {
    await lock.release();
  }
}
