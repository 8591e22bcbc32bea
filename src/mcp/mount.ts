/**
 * @module One call that puts MCP on the operator's HTTP listener: loads the
 * token, opens the audit log, builds the auth judge and the /mcp handler, and
 * mounts it. main.ts/operator.ts call this; nothing else needs wiring.
 */
import { join } from 'node:path';
import { createAuditLog } from '../audit/audit-log.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { createMcpAuth, DEFAULT_TRUSTED_NETWORKS, loadMcpToken } from './auth.ts';
import type { McpAuth } from './auth.ts';
import { createMcpHttpHandler } from './http-transport.ts';
import type { McpHttpHandler } from './http-transport.ts';
import { createMcpServer } from './server.ts';
import type { McpServerDeps } from './server.ts';
import type { HttpListener } from '../http/listener.ts';

export interface MountMcpDeps extends Omit<McpServerDeps, 'audit'> {
  listener: Pick<HttpListener, 'addRoute'>;
  /** Directory for audit.log (the state directory). */
  stateDir: string;
  /** Token file (the original's mcp-token.env works as is); else env HAPROXY_OPERATOR_MCP_TOKEN. */
  mcpTokenFile?: string;
  env?: NodeJS.ProcessEnv;
  /** CIDRs that need no token; default loopback and 100.64.0.0/10. */
  trustedNetworks?: string[];
  /** The public MCP host name routed by HAProxy (settings.mcpHost): allowed in the Host header. */
  mcpHost?: string;
  /** More host names allowed in the Host header. */
  allowedHosts?: string[];
  sessionIdleMs?: number;
}

/**
 * Mounts /mcp on `deps.listener`. Throws (naming the setting) when the token
 * file is unreadable or empty, or a trusted network is not a CIDR.
 */
export async function mountMcp(deps: MountMcpDeps): Promise<{ handler: McpHttpHandler; audit: AuditLog; auth: McpAuth; close(): Promise<void> }> {
  const log = deps.logger.child({ module: 'mcp' });
  const token = await loadMcpToken({ ...(deps.mcpTokenFile ? { file: deps.mcpTokenFile } : {}), env: deps.env ?? process.env });
  const trustedNetworks = deps.trustedNetworks ?? DEFAULT_TRUSTED_NETWORKS;
  const auth = createMcpAuth({ ...(token ? { token } : {}), trustedNetworks, allowedHosts: [...(deps.mcpHost ? [deps.mcpHost] : []), ...(deps.allowedHosts ?? [])] });
  // Say where the token came from and which ranges are trusted, never the token.
  log.info({ tokenFrom: deps.mcpTokenFile ? 'file' : token ? 'env' : 'none', trustedNetworks }, 'MCP auth configured');
  if (!token) log.warn('no MCP token configured: only trusted networks can use /mcp');
  const audit = createAuditLog({ file: join(deps.stateDir, 'audit.log'), logger: deps.logger });
  const factory = createMcpServer({ ...deps, audit });
  const handler = createMcpHttpHandler({ logger: deps.logger, factory, auth, ...(deps.sessionIdleMs ? { sessionIdleMs: deps.sessionIdleMs } : {}) });
  deps.listener.addRoute('/mcp', handler.handle);
  return { handler, audit, auth, close: () => handler.close() };
}
