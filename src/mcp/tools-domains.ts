/**
 * @module Domain tools of the original: list, add (with its port logic) and
 * remove domains. Each is a thin call into the injected operations API.
 */
import { z } from 'zod';
import { HoldString, holdTextMs } from '../model/hold.ts';
import { operationInputs } from '../model/operations.ts';
import type { Operations } from '../operations/types.ts';
import { ChangeOut, DomainArg, DomainOut, operationArgs, toolInput } from './schemas.ts';
import { CursorArg, limitArg, PageOut, paginate } from './paging.ts';
import { serverLine } from './views-text.ts';
import { defineTool } from './tool-kit.ts';
import type { ToolSpec } from './tool-kit.ts';

export interface DomainToolDeps {
  ops: Operations;
  /** Slots per pool (settings.slots): picks the operation schemas the tools derive from. */
  slots: number;
}

/** haproxy_list_domains, haproxy_add_domain, haproxy_remove_domain, haproxy_set_hold. */
export function domainTools(deps: DomainToolDeps): ToolSpec[] {
  const { ops } = deps;
  const inputs = operationInputs(deps.slots);
  return [
    defineTool({
      name: 'haproxy_list_domains',
      title: 'List domains',
      description:
        'List domains with their pool mapping (domains.map) and servers, including provenance and effective state. ' +
        'Paged: limit and cursor; domain picks one.',
      input: z.strictObject({ domain: DomainArg.optional().describe('Only this domain'), limit: limitArg(20, 200), cursor: CursorArg }),
      output: z.object({ domains: z.array(DomainOut), ...PageOut }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      compact: true,
      run: async (a) => {
        const all = ops.listDomains().filter((d) => a.domain === undefined || d.domain === a.domain);
        const page = paginate(all, (d) => d.domain, a.limit ?? 20, a.cursor);
        return { domains: page.items, total: page.total, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      },
      text: (out) =>
        [
          `${out.domains.length} of ${out.total} domain(s)${out.nextCursor ? `; more: cursor=${out.nextCursor}` : ''}`,
          ...out.domains.flatMap((d) => [`${d.domain} -> ${d.backend} (${d.source})`, ...d.servers.map((s) => `  ${serverLine(s)}`)]),
        ].join('\n'),
    }),
    defineTool({
      name: 'haproxy_add_domain',
      title: 'Add domain',
      description:
        'Route a new domain to a free pool without reloading HAProxy (domains.map entry plus servers, persisted in servers.json). ' +
        'Default ports (port omitted, 80 or 443) create three servers: pool_N_1 to ip:80, pool_N_ssl_1 to ip:443 over TLS and pool_N_h3_1 to ip:443; ' +
        'any other port creates pool_N_1 to ip:port only.',
      input: toolInput(inputs.addDomain, ['source']),
      output: ChangeOut,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
      run: (a) => ops.parsed.addDomain({ ...operationArgs(a), source: 'manual' }),
      text: (out) => out.summary,
    }),
    defineTool({
      name: 'haproxy_remove_domain',
      title: 'Remove domain',
      description: 'Remove a domain: delete its domains.map entry and free its pool and servers (no reload). Persisted.',
      input: toolInput(inputs.removeDomain),
      output: ChangeOut,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
      run: (a) => ops.parsed.removeDomain(operationArgs(a)),
      text: (out) => out.summary,
    }),
    defineTool({
      name: 'haproxy_set_hold',
      title: 'Set hold time',
      description:
        'How long requests for a domain wait while it has no server in service (a container restarting or being replaced) before HAProxy answers 503; ' +
        'released to the new server as soon as it is up (health-checked when it has a check). Takes effect at once (hold.map, no reload), persisted, ' +
        'and wins over the haproxy.hold label and the Domain spec.hold until set back to "default".',
      // The hold as text (as labels and manifests write it) instead of holdMs; converted within HoldMs' bounds.
      input: toolInput(inputs.setHold, ['holdMs']).extend({
        hold: z.union([HoldString, z.literal('default')]).describe('0 (off), 1500ms, 5s, up to 60s; or "default" to go back to the label, the Domain spec or the default'),
      }),
      output: ChangeOut,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      run: ({ hold, ...a }) => ops.parsed.setHold({ ...operationArgs(a), holdMs: hold === 'default' ? null : holdTextMs(hold) }),
      text: (out) => out.summary,
    }),
  ];
}
