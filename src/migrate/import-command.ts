/**
 * @module The `haproxy-operator import --from DIR [--dry-run]
 * [--cloudflare-ini FILE]` command: its options and the glue from settings to
 * importOriginal. A real import takes the state directory's lock, so it
 * cannot race a running operator over servers.json.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { OptionDef } from '../config/options.ts';
import type { Settings } from '../config/settings.ts';
import { ValidationError } from '../model/errors.ts';
import { acquireLock } from '../store/lock.ts';
import { runImportCommand } from './import-original.ts';

/** Options only the import command takes; pass `[...OPTIONS, ...IMPORT_OPTIONS]` to parseArgv/resolveSettings for it. */
export const IMPORT_OPTIONS: readonly OptionDef[] = [
  { key: 'from', type: 'string', help: 'import: root of the original install (holds conf/ and certs/), e.g. /opt/haproxy' },
  { key: 'dryRun', type: 'bool', default: 'false', help: 'import: print the report, write nothing' },
  { key: 'cloudflareIni', type: 'string', help: "import: certbot's Cloudflare credentials to check (default ~/.secrets/cloudflare.ini; never printed)" },
];

/** Name of the operator's lock file in the state directory (as the operator names it). */
export const LOCK_FILE = 'operator.lock';

/**
 * Runs the import with the operator's confDir, certDir, pools and slots.
 * Returns the exit status (0 clean, 2 with problems listed); throws a
 * ValidationError when --from is missing and a LockError while an operator
 * holds the state directory.
 */
export async function importCommand(settings: Settings, deps: { logger: Logger; now: () => Date; print: (text: string) => void }): Promise<number> {
  const from = settings.extra.from;
  if (!from) throw new ValidationError('--from', from ?? '', 'required: the directory of the original install (the one holding conf/domains.map)');
  const dryRun = ['true', '1', 'yes'].includes(settings.extra.dryRun ?? 'false');
  const cloudflareIni = settings.extra.cloudflareIni;
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
  const lock = await acquireLock(join(settings.stateDir, LOCK_FILE));
  try {
    return await runImportCommand(opts, deps);
  } finally {
    await lock.release();
  }
}
