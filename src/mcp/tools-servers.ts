/**
 * @module Server tools of the original (list, add, remove, state, weight,
 * health) plus haproxy_clear_override. Precedence rule, stated in the tool
 * descriptions: on a server owned by a container or manifest, a manual state
 * or weight is an override that holds until cleared; the state HAProxy gets
 * is the more restrictive of the source's and the override's.
 */
import { z } from 'zod';
import { NotFoundError } from '../model/errors.ts';
import { operationInputs } from '../model/operations.ts';
import type { Operations } from '../operations/types.ts';
import { ChangeOut, DomainArg, HealthOut, operationArgs, ServerOut, toolInput } from './schemas.ts';
import { serverLine } from './views-text.ts';
import { defineTool } from './tool-kit.ts';
import type { ToolSpec } from './tool-kit.ts';

export interface ServerToolDeps {
  ops: Operations;
  /** Slots per pool (settings.slots); bounds the slot argument. */
  slots: number;
}

const OVERRIDE_RULE =
  'On a server owned by a container or manifest this is a manual override: it survives that source\'s updates until haproxy_clear_override, ' +
  'and HAProxy gets the more restrictive of the source state and the override.';

/** The server tools; slot arguments are bounded by `deps.slots`. */
export function serverTools(deps: ServerToolDeps): ToolSpec[] {
  const { ops } = deps;
  const inputs = operationInputs(deps.slots);
  return [
    defineTool({
      name: 'haproxy_list_servers',
      title: 'List servers of a domain',
      description: 'List the servers in a domain\'s pool: slot, family, address, weight, state, provenance, override and effective state.',
      input: z.strictObject({ domain: DomainArg }),
      output: z.object({ domain: z.string(), pool: z.number(), backend: z.string(), source: z.string(), servers: z.array(ServerOut) }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: async (a) => {
        const d = ops.getDomain(a.domain);
        if (!d) throw new NotFoundError(`domain=${JSON.stringify(a.domain)}: not routed (see haproxy_list_domains)`);
        return d;
      },
      compact: true,
      text: (out) => [`${out.domain} -> ${out.backend} (${out.source}): ${out.servers.length} server(s)`, ...out.servers.map((s) => `  ${serverLine(s)}`)].join('\n'),
    }),
    defineTool({
      name: 'haproxy_add_server',
      title: 'Add server to slot',
      description: `Put a server into a slot of a domain's pool (replacing what the slot held) at runtime, no reload; saved to servers.json. Slots 1-${deps.slots}.`,
      input: toolInput(inputs.addServer, ['source']),
      output: ChangeOut,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
      run: (a) => ops.parsed.addServer({ ...operationArgs(a), source: 'manual' }),
      text: (out) => out.summary,
    }),
    defineTool({
      name: 'haproxy_remove_server',
      title: 'Remove server from slot',
      description: 'Empty a slot of a domain\'s pool (the server is put in maintenance and its address cleared); saved to servers.json.',
      input: toolInput(inputs.removeServer),
      output: ChangeOut,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
      run: (a) => ops.parsed.removeServer(operationArgs(a)),
      text: (out) => out.summary,
    }),
    defineTool({
      name: 'haproxy_set_server_state',
      title: 'Set server state',
      description: `Set a server's administrative state: ready (takes traffic), drain (finishes current requests, no new ones) or maint (out of service). ${OVERRIDE_RULE}`,
      input: toolInput(inputs.setServerState, ['by']),
      output: ChangeOut,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
      run: (a, ctx) => ops.parsed.setServerState({ ...operationArgs(a), by: `mcp:${ctx.caller}` }),
      text: (out) => out.summary,
    }),
    defineTool({
      name: 'haproxy_set_server_weight',
      title: 'Set server weight',
      description: `Set a server's weight, 0-256 (0 stops new traffic to it). ${OVERRIDE_RULE}`,
      input: toolInput(inputs.setServerWeight, ['by']),
      output: ChangeOut,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
      run: (a, ctx) => ops.parsed.setServerWeight({ ...operationArgs(a), by: `mcp:${ctx.caller}` }),
      text: (out) => out.summary,
    }),
    defineTool({
      name: 'haproxy_clear_override',
      title: 'Clear manual override',
      description: 'Remove the manual state/weight override on a server owned by a container or manifest, so the source decides again.',
      input: toolInput(inputs.clearOverride),
      output: ChangeOut,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
      run: (a) => ops.parsed.clearOverride(operationArgs(a)),
      text: (out) => out.summary,
    }),
    defineTool({
      name: 'haproxy_get_server_health',
      title: 'Get server health',
      description: 'Live health of a domain\'s servers as HAProxy reports it: UP, DOWN, MAINT, DRAIN or NOLB, with check status and current sessions.',
      input: z.strictObject({ domain: DomainArg }),
      output: z.object({ domain: z.string(), servers: z.array(HealthOut) }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: async (a) => ({ domain: a.domain, servers: await ops.parsed.health(a.domain) }),
      compact: true,
      text: (out) => out.servers.map((s) => `${s.name} ${s.address}:${s.port} ${s.status}${s.checkStatus ? ` (${s.checkStatus})` : ''} ${s.currentSessions} current`).join('\n') || `${out.domain}: no servers`,
    }),
  ];
}
