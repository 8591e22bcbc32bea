/**
 * @module Starts the Podman container watcher when Podman is reachable (or
 * can be started), and adapts it to the MCP container provider. Without
 * Podman the operator runs on, after saying so once.
 */
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.ts';
import { resolvePodmanSocket } from '../podman/socket.ts';
import { createContainerWatcher, type ContainerWatcher } from '../podman/watcher.ts';
import type { ContainerProvider } from '../mcp/providers.ts';
import type { Operations, SourceServer } from '../operations/types.ts';

export interface Containers {
  watcher: ContainerWatcher;
  stop(): Promise<void>;
}

export async function startContainers(
  settings: Settings,
  ops: Operations,
  logger: Logger,
  onSynced?: (servers: SourceServer[]) => void,
): Promise<Containers | undefined> {
  if (!settings.containers.enabled) {
    logger.info('container discovery disabled (--containers false)');
    return undefined;
  }
  const log = logger.child({ module: 'podman' });
  const socket = await resolvePodmanSocket({ logger: log, ...(settings.podmanSocket ? { flag: settings.podmanSocket } : {}), env: process.env, stateDir: settings.stateDir });
  if (!socket.enabled) {
    log.warn({ reason: socket.reason }, 'running without the container watcher');
    return undefined;
  }
  if (socket.service) await socket.service.start();
  const watcher = createContainerWatcher({
    logger: log,
    ops,
    socketPath: socket.socketPath,
    resyncIntervalMs: settings.resyncInterval,
    drainTimeoutMs: settings.containers.drainTimeoutMs,
    ...(onSynced ? { onSynced: (info) => onSynced(info.servers) } : {}),
  });
  await watcher.start();
  log.info({ socket: socket.socketPath, from: socket.from }, 'watching Podman containers');
  return {
    watcher,
    async stop() {
      await watcher.stop();
      await socket.service?.stop();
    },
  };
}

/** MCP view of the watcher: every container with why it is or is not routed. */
export function containerProvider(watcher: ContainerWatcher): ContainerProvider {
  return {
    listContainers: async () =>
      watcher.listContainers().map((c) => ({
        id: c.id,
        name: c.name,
        state: c.state,
        domains: c.config?.domains ?? [],
        problems: [...c.errors, ...(c.rejected ?? []).map((r) => (typeof r === 'string' ? r : JSON.stringify(r)))],
      })),
    async explainContainer(id) {
      const report = await watcher.explainContainer(id);
      if (!report) throw new Error(`container=${JSON.stringify(id)}: no such container (give a full id, a prefix of 3+ characters or a name)`);
      return report as unknown as Record<string, unknown>;
    },
  };
}
