/**
 * @module The operator's HTTP listener with MCP mounted (and, when HAProxy
 * publishes MCP under a host name, the PROXY-protocol socket it forwards to).
 */
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.ts';
import { createHttpListener, type HttpListener } from '../http/listener.ts';
import { mountMcp } from '../mcp/mount.ts';
import type { CertProvider, ContainerProvider } from '../mcp/providers.ts';
import type { Admin, Operations } from '../operations/types.ts';
import { statePaths } from '../operator.ts';
import { mountApi } from '../api/routes.ts';
import { explainRoute } from '../mcp/explain.ts';
import type { CertsFacade } from './certs.ts';
import type { ResourceController } from '../resources/controller.ts';
import type { ExportSnapshot } from '../export/snapshot.ts';
import { join } from 'node:path';
import { mountStatusPage } from '../status-page/routes.ts';
import type { StatusSources } from '../status-page/snapshot.ts';
import { quicProbe } from '../status-page/sources.ts';
import { withChangeNotice } from '../status-page/change-notice.ts';

export interface HttpParts {
  listener: HttpListener;
  url: string;
  stop(): Promise<void>;
}

export interface HttpDeps {
  ops: Operations;
  admin: Admin;
  logger: Logger;
  certs: CertProvider;
  certManager?: CertsFacade;
  resources?: ResourceController;
  containers?: ContainerProvider;
  /** What GET /api/v1/export answers (wiring/export.ts). */
  exportSnapshot?: (opts: { workloads: boolean }) => Promise<ExportSnapshot>;
  /** true, false while starting, or the parts that are down. */
  ready: () => boolean | string;
  /** What only the caller knows for the status page: the container watcher, the last reconcile. */
  status?: Pick<StatusSources, 'containers' | 'lastReconcileAt'>;
}

export async function startHttp(settings: Settings, deps: HttpDeps, mountMore?: (listener: HttpListener) => void): Promise<HttpParts> {
  const listener = createHttpListener({
    logger: deps.logger,
    host: settings.listen.host,
    port: settings.listen.port,
    ...(settings.mcpHost ? { proxySocketPath: statePaths(settings).mcpSocket, allowedHosts: [settings.mcpHost] } : {}),
    ready: deps.ready,
  });
  // Changes made through MCP or the API reach the status page at once (others at its next tick).
  const ops = withChangeNotice(deps.ops, () => status.notify());
  const mcp = await mountMcp({
    listener,
    ops,
    admin: deps.admin,
    logger: deps.logger,
    stateDir: settings.stateDir,
    ...(settings.mcpTokenFile ? { mcpTokenFile: settings.mcpTokenFile } : {}),
    trustedNetworks: settings.trustedNetworks,
    ...(settings.mcpHost ? { mcpHost: settings.mcpHost } : {}),
    settings: { slots: settings.slots },
    certs: deps.certs,
    ...(deps.containers ? { containers: deps.containers } : {}),
  });
  const explain = (host: string) => explainRoute({ ops: deps.ops, certs: deps.certs }, host);
  // The CLI's API: same listener, same auth rule as /mcp, same audit log.
  mountApi(listener, {
    auth: mcp.auth,
    logger: deps.logger,
    audit: mcp.audit,
    ...(deps.resources ? { resources: deps.resources } : {}),
    ...(deps.certManager ? { certs: deps.certManager } : {}),
    ...(deps.exportSnapshot ? { exportSnapshot: deps.exportSnapshot } : {}),
    explain,
  });
  // The status page at /: same auth, built from the same read APIs.
  const status = mountStatusPage(listener, {
    auth: mcp.auth,
    logger: deps.logger,
    explain,
    sources: {
      ops: deps.ops,
      haproxy: deps.admin,
      quic: quicProbe(settings),
      pemCerts: () => deps.certs.list(),
      ...(deps.certManager ? { managedCerts: () => deps.certManager!.list() } : {}),
      auditFile: join(settings.stateDir, 'audit.log'),
      ...deps.status,
    },
  });
  mountMore?.(listener);
  const bound = await listener.start();
  deps.logger.info({ url: `${bound.url}/mcp` }, 'MCP listening');
  return {
    listener,
    url: bound.url,
    async stop() {
      status.stop();
      await mcp.close();
      await listener.stop();
    },
  };
}
