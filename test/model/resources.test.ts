/**
 * @module The resource schemas: what a manifest may say, and the field each
 * rejection names. Table-driven, one desc per case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CertificateResource,
  DomainResource,
  IssuerResource,
  acmeDirectoryUrl,
  parseDuration,
  resolveKind,
} from '../../src/model/resources.ts';

const meta = { name: 'web' };
const apiVersion = 'haproxy-operator.io/v1alpha1';
const domain = (spec: unknown, metadata: unknown = meta) => ({ apiVersion, kind: 'Domain', metadata, spec });
const okSpec = { hosts: ['web.example.com'], servers: [{ address: '10.0.0.1', port: 80 }] };
const issuer = (acme: Record<string, unknown>) => ({
  apiVersion,
  kind: 'Issuer',
  metadata: meta,
  spec: { acme: { server: 'letsencrypt', email: 'a@example.com', solver: { dns01: { cloudflare: { apiTokenRef: { env: 'CF' } } } }, ...acme } },
});

function firstPath(result: { success: boolean; error?: { issues: Array<{ path: PropertyKey[] }> } }): string {
  return result.error!.issues[0]!.path.map(String).join('.');
}

test('Domain: valid specs parse with their values', () => {
  const r = DomainResource.parse(
    domain({ hosts: ['a.example.com', 'b.example.com'], servers: [{ address: '::1', port: 8443, weight: 0, state: 'maint', family: 'h3', check: '/ok?x=1' }], tls: { certificateRef: { name: 'c' } } }),
  );
  assert.equal(r.spec.servers[0]!.family, 'h3');
  assert.equal(r.spec.tls?.certificateRef.name, 'c');
});

const badDomains: Array<{ desc: string; input: unknown; path: string }> = [
  { desc: 'host with a port', input: domain({ ...okSpec, hosts: ['web.example.com:80'] }), path: 'spec.hosts.0' },
  { desc: 'upper-case host (manifests are canonical)', input: domain({ ...okSpec, hosts: ['Web.example.com'] }), path: 'spec.hosts.0' },
  { desc: 'no hosts', input: domain({ ...okSpec, hosts: [] }), path: 'spec.hosts' },
  { desc: 'port 70000', input: domain({ ...okSpec, servers: [{ address: '10.0.0.1', port: 70000 }] }), path: 'spec.servers.0.port' },
  { desc: 'port 0', input: domain({ ...okSpec, servers: [{ address: '10.0.0.1', port: 0 }] }), path: 'spec.servers.0.port' },
  { desc: 'address is a name', input: domain({ ...okSpec, servers: [{ address: 'db.local', port: 80 }] }), path: 'spec.servers.0.address' },
  { desc: 'IPv6 with zone id', input: domain({ ...okSpec, servers: [{ address: 'fe80::1%eth0', port: 80 }] }), path: 'spec.servers.0.address' },
  { desc: 'state up', input: domain({ ...okSpec, servers: [{ address: '10.0.0.1', port: 80, state: 'up' }] }), path: 'spec.servers.0.state' },
  { desc: 'weight 300', input: domain({ ...okSpec, servers: [{ address: '10.0.0.1', port: 80, weight: 300 }] }), path: 'spec.servers.0.weight' },
  { desc: 'check with a space', input: domain({ ...okSpec, servers: [{ address: '10.0.0.1', port: 80, check: '/a b' }] }), path: 'spec.servers.0.check' },
  { desc: 'check with #', input: domain({ ...okSpec, servers: [{ address: '10.0.0.1', port: 80, check: '/a#b' }] }), path: 'spec.servers.0.check' },
  { desc: 'unknown server field', input: domain({ ...okSpec, servers: [{ address: '10.0.0.1', port: 80, prot: 1 }] }), path: 'spec.servers.0' },
  { desc: 'name with underscore', input: domain(okSpec, { name: 'web_1' }), path: 'metadata.name' },
  { desc: 'missing name', input: domain(okSpec, {}), path: 'metadata.name' },
  { desc: 'wrong apiVersion', input: { ...domain(okSpec), apiVersion: 'v1' }, path: 'apiVersion' },
];
for (const c of badDomains) {
  test(`Domain rejects ${c.desc} at ${c.path}`, () => {
    const r = DomainResource.safeParse(c.input);
    assert.equal(r.success, false);
    assert.equal(firstPath(r as never), c.path);
  });
}

test('Certificate: dnsNames may be wildcards; issuerRef is required; renewBefore is a duration', () => {
  const base = { apiVersion, kind: 'Certificate', metadata: meta };
  assert.ok(CertificateResource.safeParse({ ...base, spec: { dnsNames: ['a.test', '*.a.test'], issuerRef: { name: 'le' }, renewBefore: '1h30m' } }).success);
  assert.equal(firstPath(CertificateResource.safeParse({ ...base, spec: { dnsNames: ['a.test'] } }) as never), 'spec.issuerRef');
  assert.equal(firstPath(CertificateResource.safeParse({ ...base, spec: { dnsNames: ['*.*.a.test'], issuerRef: { name: 'le' } } }) as never), 'spec.dnsNames.0');
  assert.equal(firstPath(CertificateResource.safeParse({ ...base, spec: { dnsNames: ['a.test'], issuerRef: { name: 'le' }, renewBefore: '30d' } }) as never), 'spec.renewBefore');
});

test('Issuer: secrets only by reference, exactly one source', () => {
  assert.ok(IssuerResource.safeParse(issuer({})).success);
  assert.ok(IssuerResource.safeParse(issuer({ server: 'https://127.0.0.1:14000/dir', externalAccountBinding: { keyID: 'kid', hmacKeyRef: { file: '/run/hmac' } } })).success);
  const inline = IssuerResource.safeParse(issuer({ solver: { dns01: { cloudflare: { apiToken: 'x', apiTokenRef: { env: 'CF' } } } } }));
  assert.equal(inline.success, false);
  assert.equal(inline.error!.issues[0]!.code, 'unrecognized_keys');
  const both = IssuerResource.safeParse(issuer({ solver: { dns01: { cloudflare: { apiTokenRef: { env: 'CF', file: '/x' } } } } }));
  assert.equal(firstPath(both as never), 'spec.acme.solver.dns01.cloudflare.apiTokenRef');
  const none = IssuerResource.safeParse(issuer({ solver: { dns01: { cloudflare: { apiTokenRef: {} } } } }));
  assert.equal(none.success, false);
  const relative = IssuerResource.safeParse(issuer({ externalAccountBinding: { keyID: 'k', hmacKeyRef: { file: 'hmac.txt' } } }));
  assert.equal(firstPath(relative as never), 'spec.acme.externalAccountBinding.hmacKeyRef.file');
  assert.equal(IssuerResource.safeParse(issuer({ server: 'http://ca.test/dir' })).success, false);
  assert.equal(IssuerResource.safeParse(issuer({ email: 'nobody' })).success, false);
});

test('helpers: durations, kinds, ACME directories', () => {
  assert.equal(parseDuration('720h'), 720 * 3_600_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.throws(() => parseDuration('5 days'), /not a duration/);
  assert.equal(resolveKind('domains'), 'Domain');
  assert.equal(resolveKind('CERT'), 'Certificate');
  assert.equal(resolveKind('issuer'), 'Issuer');
  assert.equal(resolveKind('pods'), undefined);
  assert.equal(acmeDirectoryUrl('letsencrypt-staging'), 'https://acme-staging-v02.api.letsencrypt.org/directory');
  assert.equal(acmeDirectoryUrl('https://127.0.0.1:14000/dir'), 'https://127.0.0.1:14000/dir');
});
