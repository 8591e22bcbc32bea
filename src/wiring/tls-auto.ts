/**
 * @module Containers labelled `haproxy.tls=auto` ask for a certificate for
 * their hosts. Orders run in the background, one pass at a time, and only
 * when the set of wanted names changes; the manager itself skips names a
 * valid certificate already covers. What happened to each name (issued,
 * covered by a wildcard, failed) is kept as a note for the container's status.
 */
import type { Logger } from 'pino';
import type { CertManager } from '../acme/manager.ts';
import type { ContainerReport } from '../podman/report.ts';

export interface TlsAuto {
  update(containers: readonly ContainerReport[]): void;
  /** One line per host of `domains` that has news: covered by a wildcard, issued, or the last error. */
  notesFor(domains: readonly string[]): string[];
}

export function tlsAutoNames(certs: Pick<CertManager, 'ensure'>, logger: Logger): TlsAuto {
  let last = '';
  let running: Promise<void> | undefined;
  let pending: string[] | undefined;
  const notes = new Map<string, string>();

  function run(names: string[]): void {
    running = certs
      .ensure(names.map((domain) => ({ domain, origin: 'tls=auto' })))
      .then((results) => {
        for (const r of results) {
          if ('error' in r) {
            notes.set(r.name, `tls=auto: no certificate for ${r.name}: ${r.error}`);
            logger.warn({ name: r.name, error: r.error }, 'certificate for a tls=auto container failed');
          } else if (r.requested && r.requested !== r.name) {
            notes.set(r.requested, `tls=auto: ${r.requested} is covered by *.${r.name} (certificate ${r.name}, valid until ${r.status.notAfter ?? '?'}); no separate order`);
            logger.info({ name: r.requested, coveredBy: `*.${r.name}` }, 'tls=auto name covered by a wildcard certificate');
          } else notes.set(r.name, `tls=auto: certificate ${r.name} ${r.action}, valid until ${r.status.notAfter ?? '?'}`);
        }
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
    update(containers) {
      const names = [...new Set(containers.filter((c) => c.running && c.config?.tls === 'auto').flatMap((c) => c.config?.domains ?? []))].sort();
      const key = names.join(',');
      if (key === last || names.length === 0) return;
      last = key;
      if (running) pending = names;
      else run(names);
    },
    notesFor: (domains) => domains.flatMap((d) => (notes.has(d.toLowerCase()) ? [notes.get(d.toLowerCase())!] : [])),
  };
}
