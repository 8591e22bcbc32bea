/**
 * Issuer and Certificate resources against a real Pebble and the fake
 * Cloudflare: the CA known only through --acme-ca-file (not through
 * NODE_EXTRA_CA_CERTS) or the Issuer's caBundleRef; Ready only once Cloudflare accepted the
 * token and the CA registered the account; a wrong token then fixed; a
 * Domain its Certificate does not cover; and every source of certificates
 * in `cert list` and on /metrics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pebbleSkipReason } from '../helpers/pebble.ts';
import { waitFor } from '../helpers/wait.ts';
import { captureLogger } from '../dns/capture-logger.ts';
import { parseExposition } from '../metrics/exposition.ts';
import { startAcmeEnv, TOKEN } from './setup.ts';
import type { Settings } from '../../src/config/settings.ts';
import { createIssuerRegistry } from '../../src/wiring/issuers.ts';
import { certsFacade } from '../../src/wiring/certs.ts';
import { createAcmeCertificateBridge } from '../../src/resources/acme-bridge.ts';
import { createResourceController } from '../../src/resources/controller.ts';
import { IssuerResource } from '../../src/model/resources.ts';
import { getCondition } from '../../src/model/conditions.ts';
import type { ResourceReport } from '../../src/resources/status.ts';
import { certListCommand } from '../../src/acme/cli.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { ensureFallbackCert } from '../../src/haproxy/fallback-cert.ts';
import { FALLBACK_NAME } from '../../src/model/pem.ts';

const skip = pebbleSkipReason();

test('Issuer and Certificate resources through Pebble and the fake Cloudflare', { skip, concurrency: false }, async (t) => {
  const env = await startAcmeEnv(t);
  // This Pebble's CA is made for this run: the process cannot trust it by
  // NODE_EXTRA_CA_CERTS (which may name the system bundle); the no-ca Issuer below proves it.
  const extra = process.env.NODE_EXTRA_CA_CERTS ? await readFile(process.env.NODE_EXTRA_CA_CERTS, 'utf8').catch(() => '') : '';
  assert.ok(!extra.includes(env.pebble.tlsCaPem.trim().split('\n')[1]!), 'NODE_EXTRA_CA_CERTS does not hold the Pebble CA');
  const caFile = join(env.dir, 'pebble-ca.pem');
  await writeFile(caFile, env.pebble.tlsCaPem);
  const cap = captureLogger();
  const settings = (acmeCaFile?: string) =>
    ({
      stateDir: env.stateDir,
      certDir: env.certDir,
      dns: { cloudflareApiUrl: env.cf.url, resolvers: [env.pebble.dnsAddress], propagationTimeoutMs: 5000 },
      acme: { directory: 'letsencrypt', renewSchedule: '17 3 * * *', ...(acmeCaFile ? { caFile: acmeCaFile } : {}) },
    }) as unknown as Settings;
  const issuer = (name: string, tokenFile: string, caBundle?: string) =>
    IssuerResource.parse({
      apiVersion: 'haproxy-operator.io/v1alpha1',
      kind: 'Issuer',
      metadata: { name },
      spec: {
        acme: {
          server: env.pebble.directoryUrl,
          email: 'ops@a.test',
          ...(caBundle ? { caBundleRef: { file: caBundle } } : {}),
          solver: { dns01: { cloudflare: { apiTokenRef: { file: tokenFile } } } },
        },
      },
    });
  const goodToken = join(env.dir, 'good-token');
  await writeFile(goodToken, TOKEN, { mode: 0o600 });

  await t.test('the CA bundle: from --acme-ca-file or spec.acme.caBundleRef; without it the Issuer says why', async () => {
    const reports: ResourceReport[] = [];
    const withDefault = createIssuerRegistry({ settings: settings(caFile), logger: cap.logger });
    const without = createIssuerRegistry({ settings: settings(), logger: cap.logger });
    t.after(() => (withDefault.stop(), without.stop()));
    const first = await withDefault.sync([issuer('by-setting', goodToken)], (r) => reports.push(r));
    assert.deepEqual((first as ResourceReport[]).map((r) => r.reason), ['Registering'], 'not Ready before the CA was asked');
    await without.sync([issuer('no-ca', goodToken), issuer('by-spec', goodToken, caFile)], (r) => reports.push(r));
    await waitFor(() => reports.length === 3, { timeoutMs: 20_000, message: 'three issuer checks' });
    const by = (n: string) => reports.find((r) => r.name === n)!;
    assert.deepEqual([by('by-setting').status, by('by-setting').reason], ['True', 'Registered']);
    assert.match(by('by-setting').message, /ACME account https:\/\/127\.0\.0\.1:\d+\/.+; Cloudflare accepted the token/);
    assert.deepEqual([by('by-spec').status, by('by-spec').reason], ['True', 'Registered']);
    assert.deepEqual([by('no-ca').status, by('no-ca').reason], ['False', 'AccountNotRegistered']);
    assert.match(by('no-ca').message, /cannot reach the ACME server .*(self-signed|unable to verify|certificate)/i);
    assert.ok(withDefault.managerFor('by-setting') && !without.managerFor('no-ca'));
  });

  await t.test('a wrong token then fixed: Issuer and Certificate Ready=False with the answer, one API call, budget untouched; issued without a restart', async () => {
    const root = await mkdtemp(join(tmpdir(), 'hop-res-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    const tokenFile = join(root, 'token');
    await writeFile(tokenFile, 'wrong-token', { mode: 0o600 });
    await mkdir(join(root, 'resources'));
    await writeFile(
      join(root, 'resources', 'all.yaml'),
      [
        issuer('pebble', tokenFile),
        { apiVersion: 'haproxy-operator.io/v1alpha1', kind: 'Certificate', metadata: { name: 'f' }, spec: { dnsNames: ['f.test', '*.f.test'], issuerRef: { name: 'pebble' } } },
        {
          apiVersion: 'haproxy-operator.io/v1alpha1',
          kind: 'Domain',
          metadata: { name: 'web' },
          spec: { hosts: ['f.test', 'www.f.test', 'a.b.f.test'], servers: [{ address: '127.0.0.1', port: 8080 }], tls: { certificateRef: { name: 'f' } } },
        },
      ]
        .map((d) => JSON.stringify(d))
        .join('\n---\n'),
    );
    const registry = createIssuerRegistry({ settings: settings(caFile), logger: cap.logger, acmePollMinMs: 100 });
    const controller = createResourceController({
      dir: join(root, 'resources'),
      stateDir: join(root, 'state'),
      ops: { syncSource: async () => ({ changed: false, plan: [], rejected: [] }), health: async () => [] },
      logger: cap.logger,
      issuers: registry,
      certs: createAcmeCertificateBridge({ managerFor: (n) => registry.managerFor(n), problemFor: (n) => registry.problemFor(n), logger: cap.logger }),
    });
    t.after(async () => (await controller.stop(), registry.stop()));
    const before = env.cf.requests.length;
    await controller.start();
    const cond = (kind: 'Issuer' | 'Certificate' | 'Domain', name: string, type = 'Ready') => getCondition(controller.get(kind, name)!.status.conditions, type);
    await waitFor(() => cond('Issuer', 'pebble')?.reason === 'TokenRefused', { timeoutMs: 10_000, message: 'Issuer TokenRefused' });
    assert.equal(cond('Issuer', 'pebble')!.status, 'False');
    assert.match(cond('Issuer', 'pebble')!.message, /HTTP 403 \(10000 Authentication error\)/, "Cloudflare's answer");
    await waitFor(() => /Issuer pebble is not ready: .*Authentication error/.test(cond('Certificate', 'f')?.message ?? ''), { message: 'Certificate repeats the answer' });
    assert.deepEqual([cond('Certificate', 'f')!.status, cond('Certificate', 'f')!.reason], ['False', 'IssuerNotReady']);
    for (let i = 0; i < 10; i++) await controller.reconcile(); // ten resyncs
    assert.equal(env.cf.requests.length - before, 1, 'one token check, not one per resync');
    const web = cond('Domain', 'web')!;
    assert.deepEqual([web.status, web.reason], ['False', 'CertificateDoesNotCoverHost']);
    assert.match(web.message, /does not cover a\.b\.f\.test;/);

    await writeFile(tokenFile, TOKEN, { mode: 0o600 });
    await controller.reconcile();
    await waitFor(() => cond('Issuer', 'pebble')?.status === 'True', { timeoutMs: 20_000, message: 'Issuer Ready after the token was fixed' });
    await waitFor(() => cond('Certificate', 'f')?.reason === 'Issued', { timeoutMs: 60_000, message: 'Certificate issued' });
    assert.match(cond('Certificate', 'f')!.message, /^issued for f\.test, \*\.f\.test by .*Pebble.* \(acme:pebble \(Certificate\/f\)\); valid until \d{4}-/);
    const [row] = await registry.managerFor('pebble')!.list();
    assert.equal(row!.ordersInWindow, 1, 'one order, the budget untouched by the refused token');
    assert.equal(row!.source, 'acme:pebble (Certificate/f)');
  });

  await t.test('every source of certificates in cert list and on /metrics', async () => {
    const registry = createIssuerRegistry({ settings: settings(caFile), logger: cap.logger, acmePollMinMs: 100 });
    t.after(() => registry.stop());
    await registry.sync([issuer('pebble', goodToken)]);
    await waitFor(() => registry.managerFor('pebble'), { timeoutMs: 20_000, message: 'issuer ready' });
    const fromSettings = await env.makeManager();
    const t0 = Date.now();
    const [issued] = await fromSettings.ensure([{ domain: 'd.test', wildcard: true, origin: 'tls=auto' }]);
    assert.ok(!('error' in issued!), JSON.stringify(issued));
    const [covered] = await fromSettings.ensure([{ domain: 'x.d.test', origin: 'tls=auto' }]);
    assert.equal((covered as { requested?: string }).requested, 'x.d.test', 'covered by *.d.test, no order');
    t.diagnostic(`tls=auto order in ${Date.now() - t0} ms`);
    // certbot's PEM brought over by import, and the fallback.
    await copyFile(join(env.certDir, 'd.test.pem'), join(env.certDir, 'imported.example.pem'));
    const empty = await mkdtemp(join(tmpdir(), 'hop-fb-'));
    t.after(() => rm(empty, { recursive: true, force: true }));
    await ensureFallbackCert(empty);
    await copyFile(join(empty, FALLBACK_NAME), join(env.certDir, FALLBACK_NAME));
    await writeFile(join(env.certDir, 'broken.pem'), 'not a pem');

    const facade = certsFacade({ certDir: env.certDir, manager: fromSettings, issuerManagers: () => registry.all() });
    const rows = await facade.list();
    const src = (name: string) => rows.filter((r) => r.name === name).map((r) => r.source);
    assert.ok(src('f.test').includes('acme:pebble (Certificate/f)'), JSON.stringify(rows.map((r) => [r.name, r.source])));
    assert.deepEqual(src('d.test'), ['acme:pebble (tls=auto)']);
    assert.deepEqual(src('imported.example'), ['file']);
    assert.deepEqual(src('00-fallback-selfsigned'), ['fallback']);
    assert.match(rows.find((r) => r.name === 'broken')!.lastError!, /not a readable certificate/);

    const out: string[] = [];
    assert.equal(await certListCommand(facade, {}, { out: (l) => void out.push(l), err: () => undefined }), 0);
    for (const name of ['f.test', 'd.test', 'imported.example', '00-fallback-selfsigned', 'broken']) assert.match(out[0]!, new RegExp(`^${name.replace(/\./g, '\\.')}\\s`, 'm'));

    const metrics = createMetrics({ capacity: { pools: 1, slots: 1 }, processMetrics: false, certs: facade });
    const e = parseExposition(await metrics.render());
    const expiry = (name: string, source: string) => e.value('haproxy_operator_certificate_expiry_timestamp_seconds', { name, source });
    assert.ok(expiry('f.test', 'acme:pebble')! > Date.now() / 1000);
    assert.ok(expiry('d.test', 'acme:pebble')! > Date.now() / 1000);
    assert.ok(expiry('imported.example', 'file')! > Date.now() / 1000);
    assert.ok(expiry('00-fallback-selfsigned', 'fallback')! > Date.now() / 1000);
    assert.equal(e.value('haproxy_operator_certificate_renewal_failures_total', { name: 'd.test' }), 0, 'a failure counter for a managed one');
    assert.equal(e.value('haproxy_operator_certificate_renewal_failures_total', { name: 'imported.example' }), undefined, 'none for a file');
    assert.equal(e.value('haproxy_operator_certificate_failing', { name: 'broken' }), 1);
  });
});
