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
import { commands } from '../haproxy/commands.ts';
import { parseShowInfo } from '../haproxy/parsers/show-info.ts';
import { parseShowStat } from '../haproxy/parsers/show-stat.ts';
import { parseServersState } from '../haproxy/parsers/servers-state.ts';
import { planRestore } from './restore-state.ts';
import type { RuntimeClient } from '../haproxy/runtime-client.ts';
import type { Supervisor } from '../haproxy/supervisor.ts';
import { writeFileAtomic } from '../store/atomic-write.ts';
import { checkNotLink, ensureSavedDir, savedStatePath } from '../store/saved-states.ts';
import type { Settings } from '../config/settings.ts';
import type { Admin, Operations } from './types.ts';

const run = promisify(execFile);

export interface AdminDeps {
  runtime: RuntimeClient;
  ops: Operations;
  settings: Settings;
  paths: { configFile: string };
  supervisor?: Supervisor;
  logger: Logger;
}

export function createAdmin(deps: AdminDeps): Admin {
  const { runtime, settings } = deps;
  const admin: Admin = {
    async info() {
      const [reply] = await runtime.execute([commands.showInfo()]);
      return parseShowInfo(reply ?? '');
    },
    async stats() {
      const [reply] = await runtime.execute([commands.showStat()]);
      return parseShowStat(reply ?? '');
    },
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
      const [reply] = await runtime.execute([commands.showServersState()]);
      const rows = parseServersState(reply ?? '');
      await writeFileAtomic(path, reply ?? '');
      return { file: path, servers: rows.length };
    },
    async restoreState(file, opts = {}) {
      const path = savedStatePath(settings.stateDir, file);
      await checkNotLink(path);
      const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') throw new NotFoundError(`file=${JSON.stringify(file ?? basename(path))}: no saved state at ${path}; save one with haproxy_save_state`);
        throw error;
      });
      const planned = planRestore(parseServersState(text), deps.ops.listDomains(), settings.slots);
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
