/**
 * @module The resources <-> ACME adapters: issuer mapping, dnsNames mapping,
 * and a non-blocking ensure whose outcome reaches the Certificate's status.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createAcmeCertificateBridge, issuerToAcme, toAcmeRequest, type AcmeCertManagerLike, type AcmeCertRequest } from '../../src/resources/acme-bridge.ts';
import { createResourceController } from '../../src/resources/controller.ts';
import { IssuerResource } from '../../src/model/resources.ts';
import { getCondition } from '../../src/model/conditions.ts';
import { waitFor } from '../helpers/wait.ts';

const logger = pino({ level: 'silent' });

test('issuerToAcme maps server, email, EAB and the token reference', () => {
  const issuer = IssuerResource.parse({
    apiVersion: 'haproxy-operator.io/v1alpha1',
    kind: 'Issuer',
    metadata: { name: 'zerossl' },
    spec: { acme: { server: 'letsencrypt', email: 'a@example.com', externalAccountBinding: { keyID: 'kid', hmacKeyRef: { file: '/run/hmac' } }, solver: { dns01: { cloudflare: { apiTokenRef: { env: 'CF' } } } } } },
  });
  assert.deepEqual(issuerToAcme(issuer), {
    spec: { name: 'zerossl', directory: 'letsencrypt', email: 'a@example.com', eab: { keyId: 'kid', hmacKeyFile: '/run/hmac' } },
    apiTokenRef: { env: 'CF' },
  });
});

test('toAcmeRequest: a name plus optionally its wildcard; anything else is an error', () => {
  assert.deepEqual(toAcmeRequest(['a.test', '*.a.test'], 1000), { domain: 'a.test', wildcard: true, renewBeforeMs: 1000 });
  assert.deepEqual(toAcmeRequest(['a.test']), { domain: 'a.test', wildcard: false });
  assert.match((toAcmeRequest(['a.test', 'b.test']) as { error: string }).error, /one name and optionally its wildcard/);
});

test('the bridge returns at once, runs one ensure per certificate, and the outcome reaches the status', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'hop-bridge-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const dir = join(root, 'res');
  await mkdir(dir);
  const calls: AcmeCertRequest[][] = [];
  let release: (() => void) | undefined;
  const manager: AcmeCertManagerLike = {
    async ensure(names) {
      calls.push(names);
      await new Promise<void>((resolve) => (release = resolve));
      return [{ name: names[0]!.domain, status: { ready: true, notAfter: '2026-04-01T00:00:00Z' } }];
    },
  };
  const certs = createAcmeCertificateBridge({ managerFor: (issuer) => (issuer === 'le' ? manager : undefined), logger });
  const controller = createResourceController({
    dir,
    stateDir: join(root, 'state'),
    ops: { syncSource: async () => ({ changed: false, plan: [], rejected: [] }), health: async () => [] },
    logger,
    certs,
    issuers: { async sync() {} },
    resyncMs: 0,
  });
  t.after(() => controller.stop());
  await writeFile(
    join(dir, 'c.yaml'),
    `apiVersion: haproxy-operator.io/v1alpha1
kind: Certificate
metadata: {name: a}
spec: {dnsNames: [a.test, "*.a.test"], issuerRef: {name: le}}
---
apiVersion: haproxy-operator.io/v1alpha1
kind: Certificate
metadata: {name: two}
spec: {dnsNames: [a.test, b.test], issuerRef: {name: le}}
---
apiVersion: haproxy-operator.io/v1alpha1
kind: Issuer
metadata: {name: le}
spec: {acme: {server: letsencrypt, email: a@example.com, solver: {dns01: {cloudflare: {apiTokenRef: {env: CF}}}}}}
`,
  );
  await controller.start();
  const ready = () => getCondition(controller.get('Certificate', 'a')!.status.conditions, 'Ready')!;
  assert.deepEqual([ready().status, ready().reason], ['Unknown', 'Issuing']);
  assert.equal(getCondition(controller.get('Certificate', 'two')!.status.conditions, 'Ready')!.reason, 'UnsupportedDnsNames');
  await controller.reconcile();
  assert.equal(calls.length, 1, 'no second ensure while one is in flight');
  assert.deepEqual(calls[0], [{ domain: 'a.test', wildcard: true, renewBeforeMs: 720 * 3_600_000, origin: 'Certificate/a' }]);
  release!();
  await waitFor(() => ready().reason === 'Issued', { message: 'the Issued report' });
  assert.match(ready().message, /valid until 2026-04-01/);
  const since = ready().lastTransitionTime;
  const next = controller.reconcile();
  await waitFor(() => calls.length === 2, { message: 'the next ensure' });
  await next;
  assert.equal(ready().status, 'True', 'a re-check does not flip the status back to Issuing');
  assert.equal(ready().lastTransitionTime, since);
  release!();
});
