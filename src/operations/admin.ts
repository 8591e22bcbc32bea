/**
 * @module Process-level views and actions: info, stats, config check,
 * reload (validate first, restore after) and the original's legacy state
 * files (in <state>/saved/, never a file the operator owns). Reads go to HAProxy; changes to routing still go through the
 * operations layer.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { NotFoundError, OperatorError } from '../model/errors.ts';
import type { HaproxyReads } from '../model/haproxy.ts';
import { planRestore } from './restore-state.ts';
import { writeFileAtomic } from '../os/atomic-write.ts';
import { checkNotLink, ensureSavedDir, savedStatePath } from '../store/saved-states.ts';
import type { Settings } from '../config/settings.ts';
import type { Admin, Operations } from './types.ts';

const run = promisify(execFile);

export interface AdminDeps {
  haproxy: HaproxyReads;
  ops: Operations;
  settings: Settings;
  paths: { configFile: string };
  /** Managed mode: reloads the HAProxy we run (it restores the routes into the new worker before it returns). */
  supervisor?: { reload(reason: string): Promise<{ oldPid: number; newPid: number; restoredCommands: number }> };
  logger: Logger;
}

export function createAdmin(deps: AdminDeps): Admin {
  const { haproxy, settings } = deps;
  const admin: Admin = {
    info: () => haproxy.info(),
    stats: () => haproxy.stats(),
    async checkConfig() {
      try {
        const { stdout, stderr } = await run(settings.haproxyBin, ['-c', '-f', deps.paths.configFile], { timeout: 30000 });
        return { valid: true, output: (stdout + stderr).trim() };
      } catch (error) {
        const e = error as { stdout?: string; stderr?: string; message: string };
        return { valid: false, output: ((e.stdout ?? '') + (e.stderr ?? '') || e.message).trim() };
      }
    },
    async reload(reason) {
      if (!deps.supervisor) throw new OperatorError('reload needs managed mode: in external mode reload HAProxy through its own service (systemctl reload haproxy); the operator restores routes when it sees the new worker');
      const check = await admin.checkConfig();
      if (!check.valid) throw new OperatorError(`config check failed, not reloading: ${check.output.slice(0, 2000)}`);
      // The supervisor restores the routes into the new worker before it returns.
      return deps.supervisor.reload(reason);
    },
    async saveState(file) {
      await ensureSavedDir(settings.stateDir);
      const path = savedStatePath(settings.stateDir, file);
      await checkNotLink(path);
      const text = await haproxy.serversStateText();
      const rows = haproxy.parseServersState(text);
      await writeFileAtomic(path, text);
      return { file: path, servers: rows.length };
    },
    async restoreState(file, opts = {}) {
      const path = savedStatePath(settings.stateDir, file);
      await checkNotLink(path);
      const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') throw new NotFoundError(`file=${JSON.stringify(file ?? basename(path))}: no saved state at ${path}; save one with haproxy_save_state`);
        throw error;
      });
      const planned = planRestore(haproxy.parseServersState(text), deps.ops.listDomains(), settings.slots);
      const dryRun = opts.dryRun ?? false;
      const change = planned.inputs.length > 0 ? await deps.ops.addServers(planned.inputs, { dryRun, why: `restored from ${basename(path)}:` }) : undefined;
      const skipped = planned.skipped.length > 0 ? `; ${planned.skipped.length} skipped` : '';
      const summary = change ? `${change.summary}${skipped}` : `${dryRun ? 'dry run: ' : ''}nothing to restore from ${basename(path)}${skipped}`;
      deps.logger.info({ file: path, dryRun, restored: planned.restored.length, skipped: planned.skipped }, 'restore_state');
      return { file: path, dryRun, summary, restored: planned.restored, skipped: planned.skipped, plan: change?.plan ?? [] };
    },
  };
  return admin;
}
