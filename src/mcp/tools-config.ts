/**
 * @module Configuration tools of the original: reload (validate, reload
 * through the master socket, restore runtime state), config check, and the
 * legacy server-state save/restore. Routing never needs a reload; these exist
 * for configuration changes and compatibility.
 */
import { z } from 'zod';
import { ConfigCheck, ReloadResult, RestoreStateResult, SavedState } from '../model/operations.ts';
import type { Admin } from '../operations/types.ts';
import { DryRun, PlanStepOut, StateFileArg } from './schemas.ts';
import { defineTool } from './tool-kit.ts';
import type { ToolSpec } from './tool-kit.ts';

export interface ConfigToolDeps {
  admin: Admin;
}

const Reason = z
  .string()
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(200, { message: 'longer than 200 characters' })
  .regex(/^[\x20-\x7e]+$/, { message: 'printable ASCII only' })
  .describe('Why the reload is needed (logged with the reload)');

/** haproxy_reload, haproxy_check_config, haproxy_save_state, haproxy_restore_state. */
export function configTools(deps: ConfigToolDeps): ToolSpec[] {
  const { admin } = deps;
  return [
    defineTool({
      name: 'haproxy_reload',
      title: 'Reload HAProxy',
      description:
        'Validate the configuration, reload HAProxy through the master socket (new worker), then restore the runtime state (map and servers). ' +
        'Not needed for routing changes; use it after configuration changes. Refuses when the configuration is invalid. ' +
        'Long-lived keep-alive connections may be closed.',
      input: z.strictObject({ reason: Reason.default('requested through MCP'), dry_run: DryRun }),
      output: ReloadResult.partial().extend({
        dryRun: z.boolean(),
        valid: z.boolean(),
        plan: z.array(PlanStepOut),
        output: ConfigCheck.shape.output.optional().describe('haproxy -c output when validation was run'),
      }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
      run: async (a) => {
        const plan = [
          { description: 'validate the configuration', command: 'haproxy -c -f <config>' },
          { description: `reload through the master socket (reason: ${a.reason})`, command: 'reload' },
          { description: 'restore domains.map and servers into the new worker', command: '(runtime commands from servers.json)' },
        ];
        if (a.dry_run) {
          const check = await admin.checkConfig();
          return { dryRun: true, valid: check.valid, plan, output: check.output };
        }
        const r = await admin.reload(a.reason);
        return { dryRun: false, valid: true, plan, oldPid: r.oldPid, newPid: r.newPid, restoredCommands: r.restoredCommands };
      },
      text: (o) => (o.dryRun ? `dry run: configuration ${o.valid ? 'valid' : 'INVALID'}; nothing reloaded` : `reloaded: worker ${o.oldPid} -> ${o.newPid}, ${o.restoredCommands} runtime commands restored`),
    }),
    defineTool({
      name: 'haproxy_check_config',
      title: 'Check configuration',
      description: 'Validate HAProxy\'s configuration syntax (haproxy -c) without applying it.',
      input: z.strictObject({}),
      output: ConfigCheck,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: () => admin.checkConfig(),
      text: (o) => (o.valid ? 'configuration valid' : 'configuration INVALID'),
    }),
    defineTool({
      name: 'haproxy_save_state',
      title: 'Save server state (legacy)',
      description: 'Legacy: write HAProxy\'s runtime server state (show servers state) to <state>/saved/<file> (a plain name; names of the operator\'s own files are refused). servers.json is always saved anyway.',
      input: z.strictObject({ file: StateFileArg, dry_run: DryRun }),
      output: SavedState.partial().extend({ dryRun: z.boolean(), plan: z.array(PlanStepOut) }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      run: async (a) => {
        const plan = [{ description: `write the runtime server state to ${a.file ?? 'the default state file'}`, command: 'show servers state' }];
        if (a.dry_run) return { dryRun: true, plan, ...(a.file ? { file: a.file } : {}) };
        const r = await admin.saveState(a.file);
        return { dryRun: false, plan, file: r.file, servers: r.servers };
      },
      text: (o) => (o.dryRun ? 'dry run: nothing written' : `saved ${o.servers} server(s) to ${o.file}`),
    }),
    defineTool({
      name: 'haproxy_restore_state',
      title: 'Restore server state (legacy)',
      description:
        'Legacy: re-apply a server-state file saved by haproxy_save_state to the servers the operator may own (manual and imported ones): ' +
        'address, port, weight and state, in HAProxy and servers.json. Servers owned by a container or manifest are skipped, each with the reason. ' +
        'All or nothing; dry_run lists the exact runtime commands.',
      input: z.strictObject({ file: StateFileArg, dry_run: DryRun }),
      output: RestoreStateResult.extend({ servers: z.number().describe('Servers restored (or, dry run, that would be)') }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
      run: async (a) => {
        const r = await admin.restoreState(a.file, { dryRun: a.dry_run });
        return { ...r, servers: r.restored.length };
      },
      text: (o) => [o.summary, ...o.skipped.map((s) => `skipped ${s.server}: ${s.reason}`)].join('\n'),
    }),
  ];
}
