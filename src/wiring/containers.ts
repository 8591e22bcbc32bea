/**
 * @module Starts the Podman container watcher when Podman is reachable (or
 * can be started), and adapts it to the MCP container provider. Without
 * Podman the operator runs on, after saying so once.
 */
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { settingNames } from '../config/options.ts';
import type { Settings } from '../config/settings.ts';
import { resolvePodmanSocket } from '../podman/socket.ts';
import { createContainerWatcher, type ContainerWatcher } from '../podman/watcher.ts';
import { defaultEventsLogPath } from '../podman/events-log.ts';
import type { ContainerProvider } from '../mcp/providers.ts';
import type { Operations, SourceServer } from '../operations/types.ts';
import type { Lifecycle } from '../lifecycle.ts';
import type { PartCheck } from '../health.ts';

export interface Containers {
  watcher: ContainerWatcher;
  /** The Podman API socket watched (for the status page, and export reads Podman's generator there). */
  socketPath: string;
  /** Health of discovery: the API service we run answers, the watcher is not disconnected longer than one resync period. */
  health: PartCheck;
  stop(): Promise<void>;
}

/**
 * The events log to follow: the one named (a missing one is warned about:
 * likely a typo), or Podman's default place, followed once Podman creates it.
 */
function eventsLogOption(setting: string, log: Logger): { eventsLog?: string } {
  if (setting === 'off') return {};
  if (setting === 'auto') {
    const path = defaultEventsLogPath();
    return path ? { eventsLog: path } : {};
  }
  if (!existsSync(setting)) {
    log.warn(`${settingNames('podmanEventsLog')}=${JSON.stringify(setting)}: no such file (yet); container events arrive through Podman's API stream alone (1 to 250 ms later) until it appears`);
  }
  return { eventsLog: setting };
}

export async function startContainers(
  settings: Settings,
  ops: Operations,
  logger: Logger,
  life: Lifecycle,
  onSynced?: (servers: SourceServer[]) => void,
): Promise<Containers | undefined> {
  if (!settings.containers.enabled) {
    logger.info('container discovery disabled (--containers false)');
    return undefined;
  }
  const log = logger.child({ module: 'podman' });
  let watcher: ContainerWatcher | undefined;
  const socket = await resolvePodmanSocket({
    logger: log,
    ...(settings.podmanSocket ? { flag: settings.podmanSocket } : {}),
    env: process.env,
    stateDir: settings.stateDir,
    // Registered before it is spawned: a stop requested during start-up reaches it.
    onService: (service) => {
      life.onStop(() => service.stop());
      life.onForce(() => service.kill());
    },
    onServiceReady: () => watcher?.reconnect(),
  });
  life.check();
  if (!socket.enabled) {
    log.warn({ reason: socket.reason }, 'running without the container watcher');
    return undefined;
  }
  const w = createContainerWatcher({
    logger: log,
    ops,
    socketPath: socket.socketPath,
    ...(settings.containers.selector ? { labelSelector: settings.containers.selector } : {}),
    resyncIntervalMs: settings.resyncInterval,
    drainTimeoutMs: settings.containers.drainTimeoutMs,
    ...eventsLogOption(settings.containers.eventsLog, log),
    ...(onSynced ? { onSynced: (info) => onSynced(info.servers) } : {}),
  });
  watcher = w;
  life.onStop(() => w.stop());
  await w.start();
  log.info({ socket: socket.socketPath, from: socket.from }, 'watching Podman containers');
  let disconnectedSince: number | undefined;
  const health: PartCheck = {
    part: 'podman',
    live: true,
    check() {
      if (socket.service && !socket.service.healthy()) return `the Podman API service the operator runs is not answering on ${socket.socketPath} (being replaced)`;
      if (w.stats().connected) {
        disconnectedSince = undefined;
        return undefined;
      }
      disconnectedSince ??= Date.now();
      const downMs = Date.now() - disconnectedSince;
      return downMs > settings.resyncInterval ? `watcher disconnected from ${socket.socketPath} for ${Math.round(downMs / 1000)} s` : undefined;
    },
  };
  return {
    watcher: w,
    socketPath: socket.socketPath,
    health,
    async stop() {
      await w.stop();
      await socket.service?.stop();
    },
  };
}

/** MCP view of the watcher: every container with why it is or is not routed. */
export function containerProvider(watcher: ContainerWatcher, tls?: { notesFor(domains: readonly string[]): string[] }): ContainerProvider {
  const notes = (domains: readonly string[] | undefined) => {
    const list = tls?.notesFor(domains ?? []) ?? [];
    return list.length ? { notes: list } : {};
  };
  return {
    listContainers: async () =>
      watcher.listContainers().map((c) => ({
        id: c.id,
        name: c.name,
        state: c.state,
        domains: c.config?.domains ?? [],
        problems: [...c.errors, ...(c.rejected ?? []).map((r) => (typeof r === 'string' ? r : JSON.stringify(r)))],
        ...(c.config?.tls === 'auto' ? notes(c.config.domains) : {}),
      })),
    async explainContainer(id) {
      const report = await watcher.explainContainer(id);
      if (!report) throw new Error(`container=${JSON.stringify(id)}: no such container (give a full id, a prefix of 3+ characters or a name)`);
      return { ...(report as unknown as Record<string, unknown>), ...(report.config?.tls === 'auto' ? notes(report.config.domains) : {}) };
    },
  };
}
