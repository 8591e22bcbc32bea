/**
 * @module Monitoring tools of the original: process statistics, backends,
 * frontends and connections per server, all read through the injected Admin.
 */
import { z } from 'zod';
import type { Admin, Operations } from '../operations/types.ts';
import { DomainArg, StatRowOut } from './schemas.ts';
import { defineTool } from './tool-kit.ts';
import type { ToolSpec } from './tool-kit.ts';

export interface MonitoringToolDeps {
  admin: Admin;
  ops: Operations;
}

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true } as const;

/** haproxy_stats, haproxy_backends, haproxy_list_frontends, haproxy_get_connections. */
export function monitoringTools(deps: MonitoringToolDeps): ToolSpec[] {
  const { admin, ops } = deps;
  return [
    defineTool({
      name: 'haproxy_stats',
      title: 'HAProxy statistics',
      description: 'HAProxy process statistics (show info: pid, uptime, version, current connections and the raw fields) with totals over frontends, backends and servers.',
      input: z.strictObject({}),
      output: z.object({
        pid: z.number(),
        uptimeSec: z.number(),
        version: z.string(),
        currConns: z.number(),
        frontends: z.number(),
        backends: z.number(),
        servers: z.number(),
        serversUp: z.number(),
        raw: z.record(z.string(), z.string()),
      }),
      annotations: READ,
      run: async () => {
        const [info, rows] = await Promise.all([admin.info(), admin.stats()]);
        const servers = rows.filter((r) => r.type === 'server');
        return {
          pid: info.pid,
          uptimeSec: info.uptimeSec,
          version: info.version,
          currConns: info.currConns,
          frontends: rows.filter((r) => r.type === 'frontend').length,
          backends: rows.filter((r) => r.type === 'backend').length,
          servers: servers.length,
          serversUp: servers.filter((r) => r.status.startsWith('UP')).length,
          raw: info.raw,
        };
      },
      text: (o) => `HAProxy ${o.version} pid ${o.pid}, up ${o.uptimeSec}s, ${o.currConns} connections, ${o.serversUp}/${o.servers} servers up`,
    }),
    defineTool({
      name: 'haproxy_backends',
      title: 'List backends',
      description: 'List HAProxy backends with status and session counters.',
      input: z.strictObject({}),
      output: z.object({ backends: z.array(StatRowOut) }),
      annotations: READ,
      run: async () => ({ backends: (await admin.stats()).filter((r) => r.type === 'backend') }),
      text: (o) => `${o.backends.length} backend(s)`,
    }),
    defineTool({
      name: 'haproxy_list_frontends',
      title: 'List frontends',
      description: 'List HAProxy frontends with status (OPEN/STOP) and session counters.',
      input: z.strictObject({}),
      output: z.object({ frontends: z.array(StatRowOut) }),
      annotations: READ,
      run: async () => ({ frontends: (await admin.stats()).filter((r) => r.type === 'frontend') }),
      text: (o) => o.frontends.map((f) => `${f.proxy} ${f.status} ${f.currentSessions} sessions`).join('\n') || 'no frontends',
    }),
    defineTool({
      name: 'haproxy_get_connections',
      title: 'Connections per server',
      description: 'Active (current) connections per server, optionally only for one domain\'s backends. Empty slots are left out.',
      input: z.strictObject({ domain: DomainArg.optional().describe('Only this domain\'s servers; omit for all') }),
      output: z.object({
        totalCurrent: z.number(),
        servers: z.array(z.object({ backend: z.string(), server: z.string(), address: z.string().optional(), status: z.string(), currentSessions: z.number(), totalSessions: z.number() })),
      }),
      annotations: READ,
      run: async (a) => {
        let backends: Set<string> | undefined;
        if (a.domain) {
          const d = ops.getDomain(a.domain);
          backends = new Set(d ? d.servers.map((s) => s.backend) : []);
        }
        const rows = (await admin.stats()).filter(
          (r) => r.type === 'server' && (!backends || backends.has(r.proxy)) && !(r.status === 'MAINT' && (!r.address || r.address.startsWith('0.0.0.0'))),
        );
        const servers = rows.map((r) => ({
          backend: r.proxy,
          server: r.name,
          ...(r.address ? { address: r.address } : {}),
          status: r.status,
          currentSessions: r.currentSessions,
          totalSessions: r.totalSessions,
        }));
        return { totalCurrent: servers.reduce((n, s) => n + s.currentSessions, 0), servers };
      },
      text: (o) => `${o.totalCurrent} current connection(s) on ${o.servers.length} server(s)`,
    }),
  ];
}
