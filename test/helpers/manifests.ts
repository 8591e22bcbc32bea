/** @module A Domain manifest as YAML text, for resource and CLI tests. */

export interface DomainManifest {
  name: string;
  host?: string;
  address?: string;
  port?: number | string;
  check?: string;
  /** Raw YAML appended after the servers list (more spec keys, more servers). */
  extra?: string;
}

export function domainManifest(m: DomainManifest): string {
  return `apiVersion: haproxy-operator.io/v1alpha1
kind: Domain
metadata:
  name: ${m.name}
spec:
  hosts: [${m.host ?? `${m.name}.example.com`}]
  servers:
    - address: ${m.address ?? '127.0.0.1'}
      port: ${m.port ?? 80}
${m.check ? `      check: ${m.check}\n` : ''}${m.extra ?? ''}`;
}
