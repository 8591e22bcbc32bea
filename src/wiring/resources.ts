/**
 * @module Starts the resource controller on the resources directory, with
 * the ACME managers of the Issuer resources (src/wiring/issuers.ts) bridged
 * to Certificate resources.
 */
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.ts';
import type { CertManager } from '../acme/manager.ts';
import { createAcmeCertificateBridge } from '../resources/acme-bridge.ts';
import { createResourceController, type ResourceController } from '../resources/controller.ts';
import { createIssuerRegistry } from './issuers.ts';
import type { Operations } from '../operations/types.ts';

/** Starts the controller on settings.resourcesDir (default <state dir>/resources, created here), so apply/get/delete work on a default start. */
export async function startResources(
  settings: Settings,
  ops: Operations,
  logger: Logger,
): Promise<{ controller: ResourceController; certManagers(): CertManager[]; stop(): Promise<void> }> {
  const log = logger.child({ module: 'resources' });
  const issuers = createIssuerRegistry({ settings, hotload: ops, logger: log });
  const controller = createResourceController({
    dir: settings.resourcesDir,
    stateDir: settings.stateDir,
    ops,
    logger: log,
    issuers,
    certs: createAcmeCertificateBridge({ managerFor: (name) => issuers.managerFor(name), problemFor: (name) => issuers.problemFor(name), logger: log }),
    resyncMs: settings.resyncInterval,
  });
  await controller.start();
  log.info({ dir: settings.resourcesDir }, 'watching resources');
  return {
    controller,
    certManagers: () => issuers.all(),
    async stop() {
      await controller.stop();
      issuers.stop();
    },
  };
}
