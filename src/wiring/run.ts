/**
 * @module `haproxy-operator run`: the foundation plus every source and
 * interface around it, started in dependency order and stopped in reverse
 * (the HTTP listener first, HAProxy last).
 */
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.ts';
import { startOperator, type Operator } from '../operator.ts';
import { preflight } from '../preflight.ts';
import { OperatorError } from '../model/errors.ts';
import type { HttpListener } from '../http/listener.ts';
import { certProvider, certsFacade, prepareCertsFromSettings, type CertsFacade } from './certs.ts';
import { containerProvider, startContainers, type Containers } from './containers.ts';
import { startResources } from './resources.ts';
import { startHttp } from './http.ts';
import { tlsAutoNames } from './tls-auto.ts';
import type { CertManager } from '../acme/manager.ts';
import type { ResourceController } from '../resources/controller.ts';
import { createLifecycle, type Lifecycle } from '../lifecycle.ts';
import { createHealth, type Health } from '../health.ts';
import { commands } from '../haproxy/commands.ts';
import { formatRuntimeAddress } from '../model/runtime-address.ts';
import { createRuntimeClient } from '../haproxy/runtime-client.ts';
import { readdir } from 'node:fs/promises';
import { exportSource } from './export.ts';
import { lastReconcileFrom } from '../status-page/sources.ts';

export interface Running {
  operator: Operator;
  certs?: CertManager;
  /** Every certificate served or managed (settings, Issuers, the cert directory). */
  certInventory: CertsFacade;
  resources?: ResourceController;
  httpUrl: string;
  stop(): Promise<void>;
}

export interface RunHooks {
  /** Mounts extra routes (metrics, API) once every part exists. */
  mount?: (listener: HttpListener, running: Omit<Running, 'httpUrl' | 'stop'>) => void;
}

export interface RunOptions extends RunHooks {
  /** Start-up and shutdown of this run; main passes its own so a signal can stop a start in progress. */
  life?: Lifecycle;
}

/** Parts whose health makes /readyz 503: HAProxy's Runtime API, Podman discovery, the resources directory. */
function addHealthChecks(health: Health, settings: Settings, logger: Logger, life: Lifecycle, containers: Containers | undefined): void {
  // Its own client with a short timeout: a probe must not queue behind (or delay) reconciles.
  const probe = createRuntimeClient({ address: settings.runtimeApi, logger: logger.child({ module: 'health' }), timeoutMs: 2000 });
  life.onStop(() => probe.close());
  health.add({
    part: 'haproxy',
    check: () =>
      probe.oneShot(commands.showInfo()).then(
        () => undefined,
        (error: Error) => `Runtime API ${formatRuntimeAddress(settings.runtimeApi)} not answering (${error.message})`,
      ),
  });
  if (containers) health.add(containers.health);
  const dir = settings.resourcesDir;
  if (dir) health.add({ part: 'resources', check: () => readdir(dir).then(() => undefined, (e: NodeJS.ErrnoException) => `resources directory ${dir} unreadable (${e.code ?? e.message})`) });
}

/**
 * Validates every setting, then starts each part in dependency order. A
 * setting problem is found before a running HAProxy is touched; a start that
 * fails later leaves an HAProxy it took over serving (see startOperator).
 */
export async function runOperator(settings: Settings, logger: Logger, options: RunOptions = {}): Promise<Running> {
  const life = options.life ?? createLifecycle((error) => logger.error({ err: error }, 'shutdown step failed'));
  const problems = await preflight(settings);
  for (const p of problems) (p.fatal ? logger.error.bind(logger) : logger.warn.bind(logger))({ check: 'preflight' }, p.message);
  const fatal = problems.filter((p) => p.fatal);
  if (fatal.length > 0) throw new OperatorError(`cannot start: ${fatal.map((p) => p.message).join('; ')}`);
  const makeCerts = await prepareCertsFromSettings(settings, logger);
  life.check();
  const operator = await startOperator(settings, logger, life);
  let ready = false;
  try {
    const certs = makeCerts?.(operator.ops);
    if (certs) {
      life.onStop(() => certs.stop());
      certs.start();
      logger.info({ directory: settings.acme.directory }, 'certificate issuance enabled');
    }
    const tlsAuto = certs ? tlsAutoNames(certs, logger.child({ module: 'tls-auto' })) : undefined;
    // Declared first: the watcher may report its first sync before start() returns.
    let containers: Containers | undefined;
    containers = await startContainers(settings, operator.ops, logger, life, () => tlsAuto?.update(containers?.watcher.listContainers() ?? []));
    const watcher = containers;
    life.check();
    const resources = await startResources(settings, operator.ops, logger);
    if (resources) life.onStop(() => resources.stop());
    life.check();
    const certInventory = certsFacade({ certDir: settings.certDir, ...(certs ? { manager: certs } : {}), ...(resources ? { issuerManagers: resources.certManagers } : {}) });
    // Sources that start after the operator: their counters appear on /metrics from now on.
    operator.metrics.attach({ ...(watcher ? { containers: watcher.watcher } : {}), certs: certInventory });
    const health = createHealth({ logger: logger.child({ module: 'health' }), registry: operator.metrics.registry });
    addHealthChecks(health, settings, logger, life, watcher);
    life.onStop(() => health.stop());
    health.start();
    const parts = { operator, certInventory, ...(certs ? { certs } : {}), ...(resources ? { resources: resources.controller } : {}) };
    const http = await startHttp(
      settings,
      {
        ops: operator.ops,
        admin: operator.admin,
        logger,
        certs: certProvider(certInventory, { logger }),
        certManager: certInventory,
        ...(resources ? { resources: resources.controller } : {}),
        ...(watcher ? { containers: containerProvider(watcher.watcher, tlsAuto) } : {}),
        exportSnapshot: exportSource(settings, { ops: operator.ops, containers: watcher, certs: certInventory, resources: resources?.controller }),
        ready: () => ready && health.readiness(),
        status: {
          lastReconcileAt: lastReconcileFrom(operator.metrics.registry),
          ...(watcher ? { containers: { list: () => watcher.watcher.listContainers(), stats: () => watcher.watcher.stats(), socket: watcher.socketPath } } : {}),
        },
      },
      (listener) => {
        listener.addRoute('/metrics', operator.metrics.handler);
        options.mount?.(listener, parts);
      },
    );
    life.onStop(() => http.stop());
    life.check();
    await health.poll();
    ready = true;
    return { ...parts, httpUrl: http.url, stop: () => operator.stop() };
  } catch (error) {
    if (!life.signal.aborted) life.markStartFailed();
    await operator.stop();
    throw error;
  }
}
