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
import { certProvider, createCertsFromSettings } from './certs.ts';
import { containerProvider, startContainers } from './containers.ts';
import { startResources } from './resources.ts';
import { startHttp } from './http.ts';
import { tlsAutoNames } from './tls-auto.ts';
import type { CertManager } from '../acme/manager.ts';
import type { ResourceController } from '../resources/controller.ts';

export interface Running {
  operator: Operator;
  certs?: CertManager;
  resources?: ResourceController;
  httpUrl: string;
  stop(): Promise<void>;
}

export interface RunHooks {
  /** Mounts extra routes (metrics, API) once every part exists. */
  mount?: (listener: HttpListener, running: Omit<Running, 'httpUrl' | 'stop'>) => void;
}

export async function runOperator(settings: Settings, logger: Logger, hooks: RunHooks = {}): Promise<Running> {
  const problems = await preflight(settings);
  for (const p of problems) (p.fatal ? logger.error.bind(logger) : logger.warn.bind(logger))({ check: 'preflight' }, p.message);
  const fatal = problems.filter((p) => p.fatal);
  if (fatal.length > 0) throw new OperatorError(`cannot start: ${fatal.map((p) => p.message).join('; ')}`);
  const operator = await startOperator(settings, logger);
  let ready = false;
  try {
    const certs = await createCertsFromSettings(settings, operator.ops, logger);
    if (certs) {
      certs.start();
      operator.onStop(() => certs.stop());
      logger.info({ directory: settings.acme.directory }, 'certificate issuance enabled');
    }
    const tlsAuto = certs ? tlsAutoNames(certs, logger.child({ module: 'tls-auto' })) : undefined;
    // Declared first: the watcher may report its first sync before start() returns.
    let containers: Awaited<ReturnType<typeof startContainers>>;
    containers = await startContainers(settings, operator.ops, logger, () => tlsAuto?.update(containers?.watcher.listContainers() ?? []));
    const watcher = containers;
    if (watcher) operator.onStop(() => watcher.stop());
    const resources = await startResources(settings, operator.ops, logger);
    if (resources) operator.onStop(() => resources.stop());
    // Sources that start after the operator: their counters appear on /metrics from now on.
    operator.metrics.attach({ ...(watcher ? { containers: watcher.watcher } : {}), ...(certs ? { certs } : {}) });
    const parts = { operator, ...(certs ? { certs } : {}), ...(resources ? { resources: resources.controller } : {}) };
    const http = await startHttp(
      settings,
      {
        ops: operator.ops,
        admin: operator.admin,
        logger,
        certs: certProvider(settings.certDir, certs),
        ...(certs ? { certManager: certs } : {}),
        ...(resources ? { resources: resources.controller } : {}),
        ...(watcher ? { containers: containerProvider(watcher.watcher) } : {}),
        ready: () => ready,
      },
      (listener) => {
        listener.addRoute('/metrics', operator.metrics.handler);
        hooks.mount?.(listener, parts);
      },
    );
    operator.onStop(() => http.stop());
    ready = true;
    return { ...parts, httpUrl: http.url, stop: () => operator.stop() };
  } catch (error) {
    await operator.stop();
    throw error;
  }
}
