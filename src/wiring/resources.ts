/**
 * @module Starts the resource controller on the resources directory, with
 * one ACME manager per Issuer resource (each in its own state directory,
 * since a manager owns its state file) bridged to Certificate resources.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.ts';
import { resolveIssuer } from '../acme/issuers.ts';
import { createCertManager, type CertManager } from '../acme/manager.ts';
import { cloudflareSolver } from './certs.ts';
import { createAcmeCertificateBridge, issuerToAcme } from '../resources/acme-bridge.ts';
import { createResourceController, type IssuerRegistry, type ResourceController } from '../resources/controller.ts';
import type { ResourceReport } from '../resources/status.ts';
import type { IssuerResource } from '../model/resources.ts';
import type { Operations } from '../operations/types.ts';

function createIssuerRegistry(settings: Settings, ops: Operations, logger: Logger): IssuerRegistry & { managerFor(name: string): CertManager | undefined; stop(): void } {
  const managers = new Map<string, { manager: CertManager; fingerprint: string }>();
  return {
    managerFor: (name) => managers.get(name)?.manager,
    stop() {
      for (const m of managers.values()) m.manager.stop();
      managers.clear();
    },
    async sync(issuers: IssuerResource[]): Promise<ResourceReport[]> {
      const reports: ResourceReport[] = [];
      const seen = new Set<string>();
      for (const issuer of issuers) {
        const name = issuer.metadata.name;
        seen.add(name);
        const fingerprint = JSON.stringify(issuer.spec);
        if (managers.get(name)?.fingerprint === fingerprint) {
          reports.push({ name, status: 'True', reason: 'Ready', message: 'ACME account configured' });
          continue;
        }
        managers.get(name)?.manager.stop();
        managers.delete(name);
        try {
          const { spec, apiTokenRef } = issuerToAcme(issuer);
          const log = logger.child({ module: 'acme', issuer: name });
          const dns = await cloudflareSolver(settings.dns, log, { ...(apiTokenRef.file ? { tokenFile: apiTokenRef.file } : {}), ...(apiTokenRef.env ? { envVar: apiTokenRef.env } : {}) });
          const manager = createCertManager({
            logger: log,
            stateDir: join(settings.stateDir, 'issuers', name),
            certDir: settings.certDir,
            issuer: await resolveIssuer(spec),
            dns,
            hotload: ops,
            schedule: settings.acme.renewSchedule,
          });
          manager.start();
          managers.set(name, { manager, fingerprint });
          reports.push({ name, status: 'True', reason: 'Ready', message: 'ACME account configured' });
        } catch (error) {
          reports.push({ name, status: 'False', reason: 'InvalidIssuer', message: (error as Error).message });
        }
      }
      for (const [name, m] of managers) {
        if (!seen.has(name)) {
          m.manager.stop();
          managers.delete(name);
        }
      }
      return reports;
    },
  };
}

/** Starts the controller on settings.resourcesDir (default <state dir>/resources, created here), so apply/get/delete work on a default start. */
export async function startResources(settings: Settings, ops: Operations, logger: Logger): Promise<{ controller: ResourceController; stop(): Promise<void> }> {
  const log = logger.child({ module: 'resources' });
  const issuers = createIssuerRegistry(settings, ops, log);
  const controller = createResourceController({
    dir: settings.resourcesDir,
    stateDir: settings.stateDir,
    ops,
    logger: log,
    issuers,
    certs: createAcmeCertificateBridge({ managerFor: (name) => issuers.managerFor(name), logger: log }),
    resyncMs: settings.resyncInterval,
  });
  await controller.start();
  log.info({ dir: settings.resourcesDir }, 'watching resources');
  return {
    controller,
    async stop() {
      await controller.stop();
      issuers.stop();
    },
  };
}
