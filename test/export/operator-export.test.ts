/**
 * @module `export kubernetes` against a real operator (runOperator: managed
 * HAProxy, real Podman watching labelled containers, Pebble + the fake
 * Cloudflare behind both the settings' issuer with EAB and an Issuer
 * resource): manual routes (by hand and by a Domain manifest), a drained
 * server, two labelled containers with a health-check path, a certificate
 * issued through `cert issue` and a Certificate resource. Every exported
 * object validates against the published schemas, every reference holds
 * (every routed host in an HTTPRoute, every backendRef's Service present,
 * every HTTPS listener's Secret made by a Certificate, Services select the
 * workloads), no secret value appears anywhere in the output, and the
 * export changes nothing. Skips without haproxy, Podman or Pebble.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { haproxyMissing } from '../helpers/haproxy.ts';
import { pebbleSkipReason } from '../helpers/pebble.ts';
import { podmanSkipReason, startPodmanHarness, TEST_LABEL, type TestContainer } from '../helpers/podman.ts';
import { freePort } from '../helpers/ports.ts';
import { startBackend } from '../helpers/http.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { waitFor } from '../helpers/wait.ts';
import { startAcmeEnv, TOKEN } from '../acme/setup.ts';
import { startRunningOperator } from '../mcp/running-operator.ts';
import { runCli } from '../../src/cli/run.ts';
import { referenceProblems, validateObject } from './validate.ts';

const skip = haproxyMissing() || pebbleSkipReason() || (await podmanSkipReason());

type Obj = any;

test('export kubernetes from a running operator with manual routes, containers and certificates', { skip, timeout: 240_000 }, async (t) => {
  const defer = deferCleanup(t);
  const acme = await startAcmeEnv(t, { eab: true });
  const [eabKeyId, eabHmac] = Object.entries(acme.pebble.eabKeys)[0]!;
  const work = await mkdtemp(join(tmpdir(), 'hop-export-'));
  defer(() => rm(work, { recursive: true, force: true }));
  const secretFile = async (name: string, value: string) => {
    const file = join(work, name);
    await writeFile(file, value, { mode: 0o600 });
    return file;
  };
  const tokenFile = await secretFile('cf-token', TOKEN);
  const hmacFile = await secretFile('eab-hmac', eabHmac);
  const caFile = join(work, 'pebble-ca.pem');
  await writeFile(caFile, acme.pebble.tlsCaPem);
  const podman = await startPodmanHarness();
  defer(() => podman.cleanup());
  const backend = await startBackend('manual-backend');
  defer(() => backend.close());

  const op = await startRunningOperator({
    flags: {
      containers: 'true',
      podmanSocket: podman.socketPath,
      containerSelector: `${TEST_LABEL}=${podman.runId}`,
      acmeEmail: 'ops@a.test',
      acmeDirectory: acme.pebble.directoryUrl,
      acmeCaFile: caFile,
      acmeEabKeyId: eabKeyId,
      acmeEabHmacFile: hmacFile,
      cloudflareTokenFile: tokenFile,
      cloudflareApiUrl: acme.cf.url,
      dnsResolvers: acme.pebble.dnsAddress,
      dnsPropagationTimeout: '10000',
    },
  });
  defer(() => op.stop());
  const ops = op.running.operator.ops;
  const cli = async (command: string, argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(command, [...argv, '--listen', op.listen], { out: (l) => out.push(l), err: (l) => err.push(l) }, {}, { cwd: work });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  // Manual routes: one by hand with a drained second server, one from a Domain manifest.
  await ops.addDomain({ domain: 'manual.a.test', ip: '127.0.0.1', port: backend.port });
  await ops.addServer({ domain: 'manual.a.test', slot: 2, ip: '127.0.0.2', port: backend.port });
  await ops.setServerState({ domain: 'manual.a.test', slot: 2, state: 'drain' });
  const manifests = [
    `apiVersion: haproxy-operator.io/v1alpha1
kind: Domain
metadata: {name: shop}
spec:
  hosts: [shop.d.test]
  servers: [{address: 192.0.2.10, port: 8081, weight: 5}]`,
    `apiVersion: haproxy-operator.io/v1alpha1
kind: Issuer
metadata: {name: pebble-res}
spec:
  acme:
    server: ${acme.pebble.directoryUrl}
    email: res@d.test
    externalAccountBinding: {keyID: ${eabKeyId}, hmacKeyRef: {file: ${hmacFile}}}
    solver: {dns01: {cloudflare: {apiTokenRef: {file: ${tokenFile}}}}}`,
    `apiVersion: haproxy-operator.io/v1alpha1
kind: Certificate
metadata: {name: shop-cert}
spec: {dnsNames: [d.test, '*.d.test'], issuerRef: {name: pebble-res}, renewBefore: 240h}`,
  ];
  await writeFile(join(work, 'resources.yaml'), manifests.join('\n---\n'));
  const applied = await cli('apply', ['-f', 'resources.yaml']);
  assert.equal(applied.code, 0, applied.err);

  // Two labelled containers on one host, with a health-check path.
  const apps: TestContainer[] = [];
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    apps.push(await podman.run({ port, labels: { 'haproxy.domain': 'web.b.test', 'haproxy.port': String(port), 'haproxy.check': '/' } }));
  }
  await waitFor(() => ops.getDomain('web.b.test')?.servers.filter((s) => s.effectiveState === 'ready').length === 2, { timeoutMs: 30_000, message: 'both containers routed' });
  await waitFor(() => ops.getDomain('shop.d.test')?.servers.length === 1, { timeoutMs: 10_000, message: 'Domain manifest routed' });

  const issued = await cli('cert', ['issue', 'c.test']);
  assert.equal(issued.code, 0, issued.err);

  const stateFile = join(op.stateDir, 'servers.json');
  const before = { state: await readFile(stateFile, 'utf8'), domains: JSON.stringify(ops.listDomains()) };
  const secrets = [TOKEN, eabHmac];
  const noSecret = (text: string, where: string) => {
    for (const s of secrets) assert.ok(!text.includes(s), `${where} holds a secret value`);
    assert.doesNotMatch(text, /PRIVATE KEY|BEGIN CERTIFICATE/, `${where} holds key or certificate material`);
  };

  let objects: Obj[] = [];
  let stderr = '';
  await t.test('one YAML stream: every object valid against the published schemas, every reference whole', async () => {
    const r = await cli('export', ['kubernetes', '--include-workloads', '--namespace', 'shop', '--gateway', 'edge', '--gateway-class', 'haproxy']);
    assert.equal(r.code, 0, r.err);
    noSecret(r.out, 'stdout');
    noSecret(r.err, 'stderr');
    stderr = r.err;
    if (process.env.EXPORT_DUMP) await writeFile(process.env.EXPORT_DUMP, `${r.out}\n#### stderr\n${r.err}\n`);
    objects = parseAllDocuments(r.out).map((d) => d.toJS() as Obj);
    for (const o of objects) validateObject(o);
    for (const o of objects) assert.equal(o.metadata.namespace, 'shop', `${o.kind}/${o.metadata.name} namespace`);
    const hosts = ops.listDomains().map((d) => d.domain);
    assert.deepEqual(hosts.sort(), ['manual.a.test', 'shop.d.test', 'web.b.test']);
    assert.deepEqual(referenceProblems(objects, hosts), []);
  });

  const one = (kind: string, pred: (o: Obj) => boolean = () => true): Obj => {
    const found = objects.filter((o) => o.kind === kind && pred(o));
    assert.equal(found.length, 1, `one ${kind}: ${found.map((o) => o.metadata.name).join(', ')}`);
    return found[0];
  };
  const route = (host: string) => one('HTTPRoute', (o) => o.spec.hostnames.includes(host));

  await t.test('containers: a Service each, their Pods from Podman labelled for it with the check path as readiness probe; both in the route', async () => {
    const refs = route('web.b.test').spec.rules[0].backendRefs;
    assert.equal(refs.length, 2);
    for (const c of apps) {
      const svc = one('Service', (o) => o.metadata.name === c.name.replace(/[^a-z0-9]+/g, '-'));
      assert.ok(refs.some((b: Obj) => b.name === svc.metadata.name && b.port === svc.spec.ports[0].port && b.weight === 1));
      const pod = one('Pod', (o) => o.metadata.name === svc.metadata.name);
      assert.equal(pod.metadata.labels['haproxy-operator.io/workload'], svc.metadata.name);
      assert.deepEqual(pod.spec.containers[0].readinessProbe, { httpGet: { path: '/', port: svc.spec.ports[0].port } });
      assert.equal(pod.spec.containers[0].image, 'localhost/bbtest:latest', "Podman's generator made it");
    }
  });

  await t.test('manual servers: Services without selector and EndpointSlices; the drained one left out with a note', async () => {
    const manual = route('manual.a.test').spec.rules[0].backendRefs;
    assert.equal(manual.length, 1);
    const slice = one('EndpointSlice', (o) => o.metadata.labels['kubernetes.io/service-name'] === manual[0].name);
    assert.deepEqual(slice.endpoints[0].addresses, ['127.0.0.1']);
    assert.equal(one('Service', (o) => o.metadata.name === manual[0].name).spec.selector, undefined);
    assert.match(stderr, /note: HTTPRoute\/manual-a-test: server pool_\d+_2 127\.0\.0\.2:\d+ left out: it is in drain/);
    const used = new Set(objects.filter((o) => o.kind === 'HTTPRoute').flatMap((o) => o.spec.rules[0].backendRefs.map((b: Obj) => b.name)));
    for (const s of objects.filter((o) => o.kind === 'Service' && !o.spec.selector)) assert.ok(used.has(s.metadata.name), `Service/${s.metadata.name} is used by a route`);
    assert.ok(!objects.some((o) => o.kind === 'EndpointSlice' && o.endpoints[0].addresses.includes('127.0.0.2')), 'no EndpointSlice for the drained server');
    assert.match(stderr, /note: Service\/manual-a-test-\d+: 127\.0\.0\.1 is this host's loopback/);
    assert.match(stderr, /note: HTTPRoute\/web-b-test: requests for web\.b\.test wait up to 5000 ms while no server is in service/, 'the hold time is reported');
    const shop = route('shop.d.test').spec.rules[0].backendRefs;
    assert.deepEqual(shop.map((b: Obj) => [b.port, b.weight]), [[8081, 5]], 'the manifest weight kept');
    assert.deepEqual(one('EndpointSlice', (o) => o.metadata.name === shop[0].name).endpoints[0].addresses, ['192.0.2.10']);
  });

  await t.test('certificates: the issued one and the Certificate resource, their Issuers with EAB and Cloudflare refs, stubs with no value', async () => {
    const issued = one('Certificate', (o) => o.spec.dnsNames.includes('c.test'));
    assert.equal(issued.spec.issuerRef.name, 'default');
    assert.match(issued.spec.renewBefore, /^\d+h$/);
    const res = one('Certificate', (o) => o.metadata.name === 'shop-cert');
    assert.deepEqual([res.spec.dnsNames, res.spec.issuerRef.name, res.spec.renewBefore], [['d.test', '*.d.test'], 'pebble-res', '240h']);
    for (const name of ['default', 'pebble-res']) {
      const issuer = one('Issuer', (o) => o.metadata.name === name);
      assert.equal(issuer.spec.acme.server, acme.pebble.directoryUrl);
      assert.equal(issuer.spec.acme.externalAccountBinding.keyID, eabKeyId);
      const stub = one('Secret', (o) => o.metadata.name === issuer.spec.acme.externalAccountBinding.keySecretRef.name);
      assert.deepEqual([stub.data, stub.stringData], [undefined, undefined]);
      assert.match(stub.metadata.annotations['haproxy-operator.io/fill-from'], new RegExp(hmacFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      one('Secret', (o) => o.metadata.name === issuer.spec.acme.solvers[0].dns01.cloudflare.apiTokenSecretRef.name);
    }
    const listeners = one('Gateway').spec.listeners.filter((l: Obj) => l.protocol === 'HTTPS').map((l: Obj) => l.hostname).sort();
    assert.deepEqual(listeners, ['*.d.test', 'c.test', 'd.test']);
    assert.match(stderr, /note: Gateway\/edge: manual\.a\.test has no certificate/);
  });

  await t.test('-o DIR: one file per object plus NOTES.txt, the same objects', async () => {
    const r = await cli('export', ['kubernetes', '--include-workloads', '--namespace', 'shop', '--gateway', 'edge', '-o', 'out']);
    assert.equal(r.code, 0, r.err);
    const files = (await readdir(join(work, 'out'))).sort();
    assert.equal(files.length, objects.length + 1);
    assert.ok(files.includes('NOTES.txt'));
    const fromFiles: Obj[] = [];
    for (const f of files.filter((x) => x.endsWith('.yaml'))) {
      const text = await readFile(join(work, 'out', f), 'utf8');
      noSecret(text, f);
      fromFiles.push(parseAllDocuments(text)[0]!.toJS());
    }
    const key = (o: Obj) => `${o.kind}/${o.metadata.name}`;
    assert.deepEqual(fromFiles.map(key).sort(), objects.map(key).sort());
  });

  await t.test('export changed nothing', async () => {
    assert.equal(await readFile(stateFile, 'utf8'), before.state);
    assert.equal(JSON.stringify(ops.listDomains()), before.domains);
  });

  await t.test('bad flags are usage errors naming the flag and the value; nothing is written', async () => {
    const r = await cli('export', ['kubernetes', '--namespace', 'Bad_NS']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--namespace "Bad_NS": not a namespace name/);
    const other = await cli('export', ['helm']);
    assert.equal(other.code, 2);
    assert.match(other.err, /export "helm": unknown target; expected kubernetes/);
  });
});
