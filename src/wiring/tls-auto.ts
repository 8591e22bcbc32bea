/**
 * @module Containers labelled `haproxy.tls=auto` ask for a certificate for
 * their hosts. Orders run in the background, one pass at a time, and only
 * when the set of wanted names changes; the manager itself skips names a
 * valid certificate already covers.
 */
import type { Logger } from 'pino';
import type { CertManager } from '../acme/manager.ts';
import type { ContainerReport } from '../podman/report.ts';

export function tlsAutoNames(certs: Pick<CertManager, 'ensure'>, logger: Logger) {
  let last = '';
  let running: Promise<void> | undefined;
  let pending: string[] | undefined;

  function run(names: string[]): void {
    running = certs
      .ensure(names)
      .then((results) => {
        for (const r of results) if ('error' in r) logger.warn({ name: r.name, error: r.error }, 'certificate for a tls=auto container failed');
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'tls=auto certificate pass failed'))
      .finally(() => {
        running = undefined;
        if (pending) {
          const next = pending;
          pending = undefined;
          run(next);
        }
      });
  }

  return {
    update(containers: readonly ContainerReport[]): void {
      const names = [...new Set(containers.filter((c) => c.running && c.config?.tls === 'auto').flatMap((c) => c.config?.domains ?? []))].sort();
      const key = names.join(',');
      if (key === last || names.length === 0) return;
      last = key;
      if (running) pending = names;
      else run(names);
    },
  };
}
