/**
 * @module Builds the MCP server: every tool group wired to the injected
 * operations, admin and optional providers. Returns a factory because the
 * streamable HTTP transport needs one McpServer per session (and per
 * session-less request).
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Logger } from 'pino';
import type { Admin, Operations } from '../operations/types.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { CertProvider, ContainerProvider } from './providers.ts';
import { installTools } from './tool-kit.ts';
import type { ToolSpec } from './tool-kit.ts';
import { domainTools } from './tools-domains.ts';
import { ruleTools } from './tools-rules.ts';
import { serverTools } from './tools-servers.ts';
import { monitoringTools } from './tools-monitoring.ts';
import { configTools } from './tools-config.ts';
import { explainTools } from './tools-explain.ts';
import { extensionTools } from './tools-extensions.ts';

export interface McpServerDeps {
  ops: Operations;
  admin: Admin;
  logger: Logger;
  /** Where mutating calls are recorded; absent: no audit log (tests). */
  audit?: AuditLog;
  settings?: {
    /** Slots per pool (default 10); bounds slot arguments. */
    slots?: number;
  };
  certs?: CertProvider;
  containers?: ContainerProvider;
  /** Reported in the initialize result. */
  version?: string;
  /** Clock (ms since epoch) for expiry maths. */
  now?: () => number;
}

export type McpServerFactory = (opts?: { defaultCaller?: string }) => McpServer;

/** Every tool this configuration offers, in tools/list order. */
export function buildTools(deps: McpServerDeps): ToolSpec[] {
  const slots = deps.settings?.slots ?? 10;
  const now = deps.now ?? Date.now;
  return [
    ...domainTools({ ops: deps.ops, slots }),
    ...ruleTools({ ops: deps.ops, slots }),
    ...serverTools({ ops: deps.ops, slots }),
    ...monitoringTools({ admin: deps.admin, ops: deps.ops }),
    ...configTools({ admin: deps.admin }),
    ...explainTools({ ops: deps.ops, now, ...(deps.certs ? { certs: deps.certs } : {}) }),
    ...extensionTools({ now, ...(deps.certs ? { certs: deps.certs } : {}), ...(deps.containers ? { containers: deps.containers } : {}) }),
  ];
}

/** Returns a factory of fully registered McpServers sharing `deps`. */
export function createMcpServer(deps: McpServerDeps): McpServerFactory {
  const logger = deps.logger.child({ module: 'mcp' });
  const tools = buildTools(deps);
  return (opts = {}) => {
    const server = new McpServer(
      { name: 'haproxy-operator', version: deps.version ?? '0.1.0' },
      {
        instructions:
          'Manage HAProxy routing without reloads: domains map to pools (domains.map), servers sit in numbered slots. ' +
          'Every mutating tool accepts dry_run=true to show the exact runtime commands without changing anything. ' +
          'Use haproxy_explain_route to find out why a host does not work.',
      },
    );
    installTools(server, tools, { logger, ...(deps.audit ? { audit: deps.audit } : {}), defaultCaller: opts.defaultCaller ?? 'unknown' });
    return server;
  };
}
