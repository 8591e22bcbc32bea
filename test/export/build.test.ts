/**
 * @module The export's pure builder, table-driven (one `desc` per case):
 * each case gives a snapshot and checks the objects it must yield and the
 * notes it must carry. Every case's output is validated against the
 * published schemas and its references are checked (validate.ts), and
 * building a shuffled snapshot must give the same text (stable names).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allNotes, buildExport, type ExportResult } from '../../src/export/build.ts';
import { renderStream } from '../../src/export/render.ts';
import type { ExportOptions } from '../../src/export/objects.ts';
import type { ExportSnapshot } from '../../src/export/snapshot.ts';
import { container, domain, issuerSpec, snapshot, srv } from './fixtures.ts';
import { referenceProblems, validateObject } from './validate.ts';

type Obj = any;
const find = (r: ExportResult, kind: string, name: string): Obj => {
  const o = r.objects.find((x) => x.object.kind === kind && x.object.metadata.name === name);
  assert.ok(o, `${kind}/${name} in ${r.objects.map((x) => `${x.object.kind}/${x.object.metadata.name}`).join(', ')}`);
  return o!.object;
};
const refs = (route: Obj) => route.spec.rules[0].backendRefs;

const ID_A = 'a'.repeat(64);
const ID_B = 'b'.repeat(64);
const ID_C = 'c'.repeat(64);

const POD_YAML = `# Created with podman-4.3.1
apiVersion: v1
kind: Pod
metadata:
  labels:
    app: web-1-pod
  name: web-1-pod
spec:
  containers:
  - name: web-1
    image: localhost/app:latest
    command: [httpd, -f]
    env:
    - name: DB_PASSWORD
      value: s3cr3t-value
    - name: MODE
      value: prod
  hostNetwork: true
`;

interface Case {
  desc: string;
  snap: ExportSnapshot;
  opts?: Partial<ExportOptions>;
  /** Listeners whose Secret is a stub, not a Certificate (expected reference problems). */
  stubListeners?: number;
  check(r: ExportResult, notes: string[]): void;
}

const cases: Case[] = [
  {
    desc: 'a manual domain: Service without selector + EndpointSlice; ssl and h3 servers left out with a note',
    snap: snapshot({ domains: [domain('shop.example.com', 1, [srv('http', 1, '10.0.0.5', 80), srv('ssl', 1, '10.0.0.5', 443), srv('h3', 1, '10.0.0.5', 443)])] }),
    check(r, notes) {
      const route = find(r, 'HTTPRoute', 'shop-example-com');
      assert.deepEqual(route.spec.hostnames, ['shop.example.com']);
      assert.deepEqual(refs(route), [{ name: 'shop-example-com-80', port: 80, weight: 1 }]);
      const svc = find(r, 'Service', 'shop-example-com-80');
      assert.equal(svc.spec.selector, undefined);
      const slice = find(r, 'EndpointSlice', 'shop-example-com-80');
      assert.deepEqual(slice.endpoints[0].addresses, ['10.0.0.5']);
      assert.equal(slice.addressType, 'IPv4');
      assert.ok(notes.some((n) => /HTTPRoute\/shop-example-com: server pool_1_ssl_1 10\.0\.0\.5:443 \(TLS to the server\) left out/.test(n)));
      assert.ok(notes.some((n) => /pool_1_h3_1 .* left out/.test(n)));
      assert.ok(notes.some((n) => /Gateway\/haproxy: shop\.example\.com has no certificate/.test(n)));
    },
  },
  {
    desc: 'containers: weights kept, drained (override) and maint servers left out with a comment, override and published port noted',
    snap: snapshot({
      domains: [
        domain('app.example.com', 2, [
          srv('http', 1, '10.88.0.2', 8080, { source: `container:${ID_A}`, weight: 3 }),
          srv('http', 2, '127.0.0.1', 40001, { source: `container:${ID_B}`, override: { state: 'drain', by: 'agent' } }),
          srv('http', 3, '10.88.0.4', 8080, { source: `container:${ID_C}`, state: 'maint' }),
        ]),
      ],
      containers: [
        container(ID_A, 'web-1', { domains: ['app.example.com'], weight: 3 }),
        container(ID_B, 'web-2', { domains: ['app.example.com'], addressMode: 'published', address: { address: '127.0.0.1', port: 40001 } }),
        container(ID_C, 'web-3', { domains: ['app.example.com'], check: '/healthz' }),
      ],
    }),
    check(r, notes) {
      const route = find(r, 'HTTPRoute', 'app-example-com');
      assert.deepEqual(refs(route), [{ name: 'web-1', port: 8080, weight: 3 }]);
      for (const n of ['web-1', 'web-2', 'web-3']) assert.deepEqual(find(r, 'Service', n).spec.selector, { 'haproxy-operator.io/workload': n });
      assert.ok(notes.some((n) => /pool_2_2 127\.0\.0\.1:40001 left out: it is in drain/.test(n)));
      assert.ok(notes.some((n) => /pool_2_2 has a manual override \(state drain by agent\)/.test(n)));
      assert.ok(notes.some((n) => /pool_2_3 10\.88\.0\.4:8080 left out: it is in maint/.test(n)));
      assert.ok(notes.some((n) => /Service\/web-2: .*published host port \(127\.0\.0\.1:40001\)/.test(n)));
      assert.ok(notes.some((n) => /Service\/web-3: health-check path \/healthz becomes the workload's readiness probe with --include-workloads/.test(n)));
      assert.equal(r.objects.filter((o) => o.object.kind === 'EndpointSlice').length, 0, 'container servers need no EndpointSlice');
    },
  },
  {
    desc: 'an override weight is exported as the effective weight, with a note',
    snap: snapshot({
      domains: [domain('w.example.com', 1, [srv('http', 1, '10.88.0.2', 80, { source: `container:${ID_A}`, weight: 2, override: { weight: 7 } })])],
      containers: [container(ID_A, 'w', { port: 80 })],
    }),
    check(r, notes) {
      assert.deepEqual(refs(find(r, 'HTTPRoute', 'w-example-com')), [{ name: 'w', port: 80, weight: 7 }]);
      assert.ok(notes.some((n) => /override \(weight 7\).*exported as state ready, weight 7/.test(n)));
    },
  },
  {
    desc: 'names: a 70-character host is cut with a hash; a.b and a-b collide and stay distinct; a leading digit gets a prefix',
    snap: snapshot({
      domains: [
        domain(`${'x'.repeat(60)}.example.com`, 1, [srv('http', 1, '10.0.0.1', 80)]),
        domain('a.b', 2, [srv('http', 1, '10.0.0.2', 80)]),
        domain('a-b', 3, [srv('http', 1, '10.0.0.3', 80)]),
        domain('1.example.com', 4, [srv('http', 1, '10.0.0.4', 80)]),
      ],
    }),
    check(r) {
      const routes = r.objects.filter((o) => o.object.kind === 'HTTPRoute').map((o) => o.object.metadata.name);
      assert.equal(new Set(routes).size, 4);
      assert.ok(routes.includes('a-b'), 'the first claimant (a-b sorts before a.b) keeps the plain name');
      assert.ok(routes.some((n) => /^a-b-[0-9a-f]{8}$/.test(n)), routes.join(','));
      assert.ok(routes.includes('x-1-example-com'));
      const long = routes.find((n) => n.startsWith('xxxx'))!;
      assert.equal(long.length, 63);
      assert.match(long, /-[0-9a-f]{8}$/);
    },
  },
  {
    desc: 'Issuer and Certificate resources: ACME server URL, EAB with keySecretRef, Cloudflare apiTokenSecretRef, Secret stubs, renewBefore, wildcard listener',
    snap: snapshot({
      domains: [domain('www.example.com', 1, [srv('http', 1, '10.0.0.5', 80)])],
      issuers: [{ name: 'le', spec: { acme: { ...issuerSpec({ eab: true }).acme, caBundleRef: { file: '/etc/hop/ca.pem' } } } }],
      certificates: [{ name: 'site', spec: { dnsNames: ['example.com', '*.example.com'], issuerRef: { name: 'le' }, renewBefore: '360h' } }],
    }),
    check(r, notes) {
      const issuer = find(r, 'Issuer', 'le');
      assert.equal(issuer.spec.acme.server, 'https://acme-staging-v02.api.letsencrypt.org/directory');
      assert.equal(issuer.spec.acme.email, 'ops@example.com');
      assert.deepEqual(issuer.spec.acme.externalAccountBinding, { keyID: 'kid-1', keySecretRef: { name: 'le-eab', key: 'secret' } });
      assert.deepEqual(issuer.spec.acme.solvers[0].dns01.cloudflare.apiTokenSecretRef, { name: 'le-cloudflare-api-token', key: 'api-token' });
      const stub = find(r, 'Secret', 'le-cloudflare-api-token');
      assert.equal(stub.data, undefined);
      assert.equal(stub.stringData, undefined);
      assert.equal(stub.metadata.annotations['haproxy-operator.io/fill-key'], 'api-token');
      assert.match(stub.metadata.annotations['haproxy-operator.io/fill-from'], /\/etc\/hop\/cf\.token/);
      assert.match(find(r, 'Secret', 'le-eab').metadata.annotations['haproxy-operator.io/fill-from'], /\/etc\/hop\/eab\.key/);
      const cert = find(r, 'Certificate', 'site');
      assert.deepEqual(cert.spec, { secretName: 'site-tls', dnsNames: ['example.com', '*.example.com'], issuerRef: { name: 'le', kind: 'Issuer', group: 'cert-manager.io' }, renewBefore: '360h' });
      const listeners = find(r, 'Gateway', 'haproxy').spec.listeners;
      assert.deepEqual(
        listeners.map((l: Obj) => [l.name, l.protocol, l.port, l.hostname, l.tls?.certificateRefs[0].name]),
        [
          ['http', 'HTTP', 80, undefined, undefined],
          ['https-example-com', 'HTTPS', 443, 'example.com', 'site-tls'],
          ['https-wildcard-example-com', 'HTTPS', 443, '*.example.com', 'site-tls'],
        ],
      );
      assert.ok(!notes.some((n) => /www\.example\.com has no certificate/.test(n)), 'the wildcard covers www');
      assert.ok(notes.some((n) => /^Secret\/le-eab: a stub with no value: fill key secret from the file \/etc\/hop\/eab\.key$/.test(n)), notes.join('\n'));
      assert.ok(notes.some((n) => /^Issuer\/le: the ACME server's CA bundle is in \/etc\/hop\/ca\.pem/.test(n)));
    },
  },
  {
    desc: 'settings issuer: managed certificate with renewBefore from its renewal time; a PEM with the same names is not doubled; another PEM is ordered anew, noted',
    snap: snapshot({
      settingsIssuer: { server: 'https://pebble.test/dir', email: 'a@b.test', cloudflareTokenFrom: '--cloudflare-token-file: /root/cf' },
      managedCerts: [{ name: 'a.test', dnsNames: ['a.test'], notAfter: '2027-03-01T00:00:00.000Z', renewAt: '2027-01-30T00:00:00.000Z' }],
      certFiles: [
        { name: 'a.test', dnsNames: ['a.test'], notAfter: '2027-03-01T00:00:00.000Z' },
        { name: 'legacy', dnsNames: ['old.test'], notAfter: '2027-03-01T00:00:00.000Z' },
      ],
    }),
    check(r, notes) {
      const cert = find(r, 'Certificate', 'a-test');
      assert.equal(cert.spec.renewBefore, '720h');
      assert.equal(cert.spec.issuerRef.name, 'default');
      assert.equal(find(r, 'Issuer', 'default').spec.acme.server, 'https://pebble.test/dir');
      assert.equal(r.objects.filter((o) => o.object.kind === 'Certificate').length, 2);
      assert.equal(find(r, 'Certificate', 'legacy').spec.issuerRef.name, 'default');
      assert.ok(notes.some((n) => /PEM legacy\.pem was not ordered by this operator's issuers/.test(n)));
    },
  },
  {
    desc: 'a PEM and no issuer: a TLS Secret stub the listener refers to, with a note that nothing renews it',
    snap: snapshot({ certFiles: [{ name: 'imported', dnsNames: ['imp.test'], notAfter: '2027-01-01T00:00:00.000Z' }] }),
    stubListeners: 1,
    check(r, notes) {
      const stub = find(r, 'Secret', 'imported-tls');
      assert.equal(stub.type, 'kubernetes.io/tls');
      assert.equal(stub.data, undefined);
      assert.ok(notes.some((n) => /nothing will renew imported-tls/.test(n)));
    },
  },
  {
    desc: '--include-workloads: the Pod from Podman is renamed and labelled for its Service, the check path is its readiness probe, env values go to a Secret stub',
    snap: snapshot({
      domains: [domain('app.example.com', 1, [srv('http', 1, '127.0.0.1', 8080, { source: `container:${ID_A}` })])],
      containers: [container(ID_A, 'web-1', { check: '/healthz' }), container(ID_B, 'gone', {})],
      workloads: [{ containerId: ID_A, yaml: POD_YAML }, { containerId: ID_B, error: 'Podman answered 404: no such container' }],
    }),
    opts: { includeWorkloads: true, namespace: 'shop' },
    check(r, notes) {
      const pod = find(r, 'Pod', 'web-1');
      assert.equal(pod.metadata.namespace, 'shop');
      assert.equal(pod.metadata.labels['haproxy-operator.io/workload'], 'web-1');
      assert.deepEqual(pod.spec.containers[0].readinessProbe, { httpGet: { path: '/healthz', port: 8080 } });
      assert.deepEqual(pod.spec.containers[0].env[0], { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'web-1-env', key: 'DB_PASSWORD' } } });
      assert.equal(find(r, 'Secret', 'web-1-env').metadata.annotations['haproxy-operator.io/fill-key'], 'DB_PASSWORD,MODE');
      assert.doesNotMatch(renderStream(r), /s3cr3t-value/);
      assert.ok(notes.some((n) => /container gone: no workload \(Podman answered 404/.test(n)));
      assert.ok(notes.includes('Pod/web-1: command and args are as Podman generated them from container web-1: check them for secrets before committing this file'));
      for (const o of r.objects) assert.equal(o.object.metadata.namespace, 'shop');
    },
  },
  {
    desc: 'the hold time (and a hold set through MCP) is a note on the route; a field this builder does not know is a note, not dropped',
    snap: snapshot({
      domains: [
        { ...domain('hold.test', 1, [srv('http', 1, '10.0.0.1', 80)]), holdMs: 30000, holdOverride: 30000, laterField: 'x' } as never,
        { ...domain('nohold.test', 2, [srv('http', 1, '10.0.0.2', 80)]), holdMs: 0 },
      ],
    }),
    check(_r, notes) {
      assert.ok(notes.includes('HTTPRoute/hold-test: requests for hold.test wait up to 30000 ms while no server is in service (set by hand through MCP); the Gateway API has no hold: use readiness probes and rolling updates with maxUnavailable 0'), notes.join('\n'));
      assert.ok(notes.includes('HTTPRoute/hold-test: host hold.test: laterField = "x" has no equivalent in the exported objects'));
      assert.ok(!notes.some((n) => /nohold\.test wait/.test(n)), 'hold 0 (off) needs no note');
    },
  },
  {
    desc: 'access rules (allowlist, basic auth, rate limit) are each listed as not exported with host and rule, basic auth by user, never a hash',
    snap: snapshot({
      domains: [
        {
          ...domain('admin.test', 1, [srv('http', 1, '10.0.0.1', 80)]),
          rules: { allow: ['10.0.0.0/8', '2001:db8::/32'], basicAuth: { realm: 'Staff', users: ['alice', 'bob'], from: 'file /etc/hop/users' }, rateLimit: { rate: 10, burst: 30 } },
        },
      ],
    }),
    check(r, notes) {
      for (const line of [
        'rule allow of admin.test has no Gateway API filter: not exported (allow: only 10.0.0.0/8, 2001:db8::/32 (others get 403))',
        'rule basic auth of admin.test has no Gateway API filter: not exported (basic auth: users alice, bob from file /etc/hop/users, realm "Staff" (others get 401))',
        'rule rate limit of admin.test has no Gateway API filter: not exported (rate limit: 10/s burst=30 per client address (over it: 429))',
      ]) {
        assert.ok(notes.includes(`HTTPRoute/admin-test: ${line}`), `${line}\n${notes.join('\n')}`);
      }
      assert.ok(!notes.some((n) => /has no equivalent/.test(n)), 'access rules are not also reported as unknown fields');
      assert.doesNotMatch(JSON.stringify(r.objects.map((o) => o.object)), /alice|10\.0\.0\.0\/8/, 'nothing of the rules in the exported objects');
    },
  },
  {
    desc: 'a host whose every server is drained: an HTTPRoute with no backend and a note saying so',
    snap: snapshot({ domains: [domain('down.test', 1, [srv('http', 1, '10.0.0.9', 80, { state: 'drain' })])] }),
    check(r, notes) {
      assert.deepEqual(refs(find(r, 'HTTPRoute', 'down-test')), []);
      assert.equal(r.objects.filter((o) => o.object.kind === 'Service' || o.object.kind === 'EndpointSlice').length, 0, 'no Service for a server left out');
      assert.ok(notes.some((n) => /no server of down\.test takes traffic/.test(n)));
    },
  },
];

function shuffled<T>(items: T[]): T[] {
  return [...items].reverse();
}

for (const c of cases) {
  test(c.desc, () => {
    const r = buildExport(c.snap, c.opts);
    for (const o of r.objects) validateObject(o.object as Obj);
    const hosts = c.snap.domains.map((d) => d.domain);
    const problems = referenceProblems(r.objects.map((o) => o.object as Obj), hosts);
    assert.equal(problems.filter((p) => /made by no Certificate/.test(p)).length, c.stubListeners ?? 0, problems.join('\n'));
    assert.deepEqual(problems.filter((p) => !/made by no Certificate/.test(p)), []);
    c.check(r, allNotes(r));
    const again = buildExport({ ...c.snap, domains: shuffled(c.snap.domains), ...(c.snap.containers ? { containers: shuffled(c.snap.containers) } : {}), certFiles: shuffled(c.snap.certFiles) }, c.opts);
    assert.equal(renderStream(again), renderStream(r), 'the same snapshot in another order gives the same output');
  });
}

test('every note is in the YAML stream as a comment, and the stream parses back to the objects', async () => {
  const { parseAllDocuments } = await import('yaml');
  const r = buildExport(cases[1]!.snap);
  const text = renderStream(r);
  for (const n of allNotes(r)) assert.ok(text.includes(n.replace(/^[A-Za-z]+\/[a-z0-9-]+: /, '')), `note in output: ${n}`);
  const docs = parseAllDocuments(text).map((d) => d.toJS());
  assert.deepEqual(docs, r.objects.map((o) => o.object));
});
