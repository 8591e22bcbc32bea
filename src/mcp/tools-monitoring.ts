/**
 * @module Monitoring tools of the original: process statistics, backends,
 * frontends and connections per server, all read through the injected Admin.
 * Unused slots and pool backends (most of a 100-pool install) are counted,
 * not listed, and lists are paged, so each answer fits an agent's context.
 */
import { z } from 'zod';
import type { Admin, Operations } from '../operations/types.ts';
import type { StatRow } from '../model/haproxy.ts';
import { PLACEHOLDER } from '../model/plan.ts';
import { NotFoundError } from '../model/errors.ts';
import { DomainArg, StatRowOut } from './schemas.ts';
import { CursorArg, limitArg, PageOut, paginate } from './paging.ts';
import { defineTool } from './tool-kit.ts';
import type { ToolSpec } from './tool-kit.ts';

export interface MonitoringToolDeps {
  admin: Admin;
  ops: Operations;
}

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true } as const;
const PLACEHOLDER_ADDR = `${PLACEHOLDER.address}:${PLACEHOLDER.port}`;
const POOL_BACKEND = /^pool_\d+(?:_ssl|_h3)?$/;

/** Who is routed where, from the desired state: server keys in use and the hosts of each backend. */
function routing(ops: Operations, domain?: string): { servers: Set<string>; hostsOf: Map<string, string[]> } {
  const servers = new Set<string>();
  const hostsOf = new Map<string, string[]>();
  for (const d of ops.listDomains()) {
    if (domain !== undefined && d.domain !== domain) continue;
    for (const backend of new Set([d.backend, ...d.servers.map((s) => s.backend)])) hostsOf.set(backend, [...(hostsOf.get(backend) ?? []), d.domain]);
    for (const s of d.servers) servers.add(`${s.backend}/${s.name}`);
  }
  return { servers, hostsOf };
}

/** A slot nobody uses: not in the desired state and parked in maintenance (on the placeholder address). */
function unusedSlot(row: StatRow, used: Set<string>): boolean {
  if (used.has(`${row.proxy}/${row.name}`)) return false;
  return row.status === 'MAINT' && (!row.address || row.address === PLACEHOLDER_ADDR || row.address.startsWith('0.0.0.0'));
}

/** A ready server HAProxy does not health-check reports "no check": it takes traffic, so it is up. */
function isUp(status: string): boolean {
  return status.startsWith('UP') || status === 'no check';
}

function notFound(domain: string): never {
  throw new NotFoundError(`domain=${JSON.stringify(domain)}: not routed (see haproxy_list_domains)`);
}

/** haproxy_stats, haproxy_backends, haproxy_list_frontends, haproxy_get_connections. */
export function monitoringTools(deps: MonitoringToolDeps): ToolSpec[] {
  const { admin, ops } = deps;
  return [
    defineTool({
      name: 'haproxy_stats',
      title: 'HAProxy statistics',
      description:
        'HAProxy process statistics (show info: pid, uptime, version, current connections and the raw fields) with totals over frontends, backends and servers. ' +
        'Servers are the slots in use; a ready server without a health check counts as up (serversUnchecked says how many); unused slots are only counted.',
      input: z.strictObject({}),
      output: z.object({
        pid: z.number(),
        uptimeSec: z.number(),
        version: z.string(),
        currConns: z.number(),
        frontends: z.number(),
        backends: z.number(),
        servers: z.number().describe('Slots in use (routed or not in maintenance)'),
        serversUp: z.number().describe('UP, or ready without a health check'),
        serversUnchecked: z.number().describe('Up without a health check (HAProxy status "no check")'),
        serversDown: z.number(),
        serversByStatus: z.record(z.string(), z.number()).describe('Servers in use per HAProxy status'),
        unusedSlots: z.number(),
        raw: z.record(z.string(), z.string()),
      }),
      annotations: READ,
      compact: true,
      run: async () => {
        const [info, rows] = await Promise.all([admin.info(), admin.stats()]);
        const { servers: used } = routing(ops);
        const all = rows.filter((r) => r.type === 'server');
        const servers = all.filter((r) => !unusedSlot(r, used));
        const byStatus: Record<string, number> = {};
        for (const s of servers) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
        return {
          pid: info.pid,
          uptimeSec: info.uptimeSec,
          version: info.version,
          currConns: info.currConns,
          frontends: rows.filter((r) => r.type === 'frontend').length,
          backends: rows.filter((r) => r.type === 'backend').length,
          servers: servers.length,
          serversUp: servers.filter((r) => isUp(r.status)).length,
          serversUnchecked: servers.filter((r) => r.status === 'no check').length,
          serversDown: servers.filter((r) => r.status.startsWith('DOWN')).length,
          serversByStatus: byStatus,
          unusedSlots: all.length - servers.length,
          raw: info.raw,
        };
      },
      text: (o) =>
        `HAProxy ${o.version} pid ${o.pid}, up ${o.uptimeSec}s, ${o.currConns} connections, ${o.frontends} frontends, ${o.backends} backends\n` +
        `${o.serversUp}/${o.servers} servers up (${o.serversUnchecked} without health check), ${o.serversDown} down` +
        `${Object.keys(o.serversByStatus).length > 0 ? ` [${Object.entries(o.serversByStatus).map(([k, v]) => `${k}: ${v}`).join(', ')}]` : ''}; ${o.unusedSlots} unused slots`,
    }),
    defineTool({
      name: 'haproxy_backends',
      title: 'List backends',
      description:
        'List HAProxy backends with status and session counters: routed pools and the operator\'s own backends. ' +
        'Pool backends no domain uses are counted (unusedBackends), not listed. Paged: limit and cursor.',
      input: z.strictObject({ domain: DomainArg.optional().describe('Only this domain\'s backends'), limit: limitArg(50, 500), cursor: CursorArg }),
      output: z.object({ backends: z.array(StatRowOut.extend({ hosts: z.array(z.string()).optional() })), unusedBackends: z.number(), ...PageOut }),
      annotations: READ,
      compact: true,
      run: async (a) => {
        const { hostsOf } = routing(ops, a.domain);
        if (a.domain !== undefined && hostsOf.size === 0) notFound(a.domain);
        const backends = (await admin.stats()).filter((r) => r.type === 'backend');
        const listed = backends.filter((r) =>
          a.domain !== undefined ? hostsOf.has(r.proxy) : hostsOf.has(r.proxy) || !POOL_BACKEND.test(r.proxy) || r.currentSessions > 0,
        );
        const page = paginate(listed, (r) => r.proxy, a.limit ?? 50, a.cursor);
        return {
          backends: page.items.map((r) => ({ ...r, ...(hostsOf.has(r.proxy) ? { hosts: hostsOf.get(r.proxy)! } : {}) })),
          unusedBackends: a.domain !== undefined ? 0 : backends.length - listed.length,
          total: page.total,
          ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
        };
      },
      text: (o) =>
        [
          ...o.backends.map((b) => `${b.proxy} ${b.status} ${b.currentSessions} current/${b.totalSessions} total sessions${b.hosts ? ` (${b.hosts.join(', ')})` : ''}`),
          `${o.backends.length} of ${o.total} backend(s)${o.unusedBackends > 0 ? `; ${o.unusedBackends} unused pool backends not listed` : ''}${o.nextCursor ? `; more: cursor=${o.nextCursor}` : ''}`,
        ].join('\n'),
    }),
    defineTool({
      name: 'haproxy_list_frontends',
      title: 'List frontends',
      description: 'List HAProxy frontends with status (OPEN/STOP) and session counters.',
      input: z.strictObject({}),
      output: z.object({ frontends: z.array(StatRowOut) }),
      annotations: READ,
      compact: true,
      run: async () => ({ frontends: (await admin.stats()).filter((r) => r.type === 'frontend') }),
      text: (o) => o.frontends.map((f) => `${f.proxy} ${f.status} ${f.currentSessions} sessions`).join('\n') || 'no frontends',
    }),
    defineTool({
      name: 'haproxy_get_connections',
      title: 'Connections per server',
      description:
        'Active (current) connections per server in use, optionally only for one domain\'s backends. Unused slots are counted (unusedSlots), not listed. Paged: limit and cursor.',
      input: z.strictObject({ domain: DomainArg.optional().describe('Only this domain\'s servers; omit for all'), limit: limitArg(100, 1000), cursor: CursorArg }),
      output: z.object({
        totalCurrent: z.number().describe('Current connections over every server that matches, all pages'),
        servers: z.array(z.object({ backend: z.string(), server: z.string(), address: z.string().optional(), status: z.string(), currentSessions: z.number(), totalSessions: z.number() })),
        unusedSlots: z.number(),
        ...PageOut,
      }),
      annotations: READ,
      compact: true,
      run: async (a) => {
        const { servers: used, hostsOf } = routing(ops, a.domain);
        if (a.domain !== undefined && hostsOf.size === 0) notFound(a.domain);
        const rows = (await admin.stats()).filter((r) => r.type === 'server' && (a.domain === undefined || hostsOf.has(r.proxy)));
        const inUse = rows.filter((r) => !unusedSlot(r, used));
        const page = paginate(inUse, (r) => `${r.proxy}/${r.name}`, a.limit ?? 100, a.cursor);
        return {
          totalCurrent: inUse.reduce((n, s) => n + s.currentSessions, 0),
          servers: page.items.map((r) => ({
            backend: r.proxy,
            server: r.name,
            ...(r.address ? { address: r.address } : {}),
            status: r.status,
            currentSessions: r.currentSessions,
            totalSessions: r.totalSessions,
          })),
          unusedSlots: rows.length - inUse.length,
          total: page.total,
          ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
        };
      },
      text: (o) =>
        [
          `${o.totalCurrent} current connection(s) on ${o.total} server(s) in use; ${o.unusedSlots} unused slots not listed`,
          ...o.servers.map((s) => `${s.backend}/${s.server} ${s.address ?? '-'} ${s.status} ${s.currentSessions} current/${s.totalSessions} total`),
          ...(o.nextCursor ? [`more: cursor=${o.nextCursor}`] : []),
        ].join('\n'),
    }),
  ];
}
