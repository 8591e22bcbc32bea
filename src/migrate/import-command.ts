/**
 * @module The `haproxy-operator import --from DIR [--dry-run]
 * [--cloudflare-ini FILE]` command: its options and the glue from settings to
 * importOriginal. A real import takes the state directory's lock, so it
 * cannot race a running operator over servers.json.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.ts';
import { ValidationError } from '../model/errors.ts';
import { acquireLock } from '../store/lock.ts';
import { runImportCommand } from './import-original.ts';

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
  const lock = acquireLock(join(settings.stateDir, LOCK_FILE));
  try {
    return await runImportCommand(opts, deps);
  } finally {
    lock.release();
  }
}
