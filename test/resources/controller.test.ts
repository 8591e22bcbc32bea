/**
 * @module The resources controller against a recording fake Operations (the
 * real one needs HAProxy; test/integration/resources.test.ts covers that):
 * what reaches syncSource, conditions that follow health and rejections,
 * apply/delete that validate first and change nothing on error, the
 * watched directory as the source of truth, persisted status.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createResourceController, type ResourceControllerDeps } from '../../src/resources/controller.ts';
import type { ServerHealth, SourceServer, SyncResult } from '../../src/operations/types.ts';
import { getCondition } from '../../src/model/conditions.ts';
import { waitFor } from '../helpers/wait.ts';
import { domainManifest } from '../helpers/manifests.ts';

const logger = pino({ level: 'silent' });

function fakeOps() {
  const calls: Array<{ servers: SourceServer[]; dryRun: boolean }> = [];
  const statuses = new Map<string, string>();
  let reject: ((s: SourceServer) => string | undefined) | undefined;
  const ops = {
    calls,
    statuses,
    setReject(fn: typeof reject) {
      reject = fn;
    },
    last: () => calls.filter((c) => !c.dryRun).at(-1)?.servers,
    async syncSource(kind: 'container' | 'manifest', servers: SourceServer[], opts?: { dryRun?: boolean }): Promise<SyncResult> {
      assert.equal(kind, 'manifest');
      calls.push({ servers, dryRun: opts?.dryRun ?? false });
      const rejected = servers.flatMap((s) => {
        const reason = reject?.(s);
        return reason ? [{ server: s, reason }] : [];
      });
      return { changed: true, plan: servers.map((s) => ({ description: `add ${s.domain} ${s.address}:${s.port}`, command: 'x' })), rejected };
    },
    async health(domain: string): Promise<ServerHealth[]> {
      const servers = (ops.last() ?? []).filter((s) => s.domain === domain);
      return servers.map((s, i) => ({
        name: `pool_1_${i + 1}`,
        backend: 'pool_1',
        family: s.family,
        slot: i + 1,
        address: s.address,
        port: s.port,
        status: statuses.get(`${s.address}:${s.port}`) ?? 'UP',
        checkStatus: statuses.get(`${s.address}:${s.port}`) === 'DOWN' ? 'L4CON' : 'L7OK',
        currentSessions: 0,
      }));
    },
  };
  return ops;
}

const domainYaml = (name: string, port = 8080, host = `${name}.example.com`, extra = '') => domainManifest({ name, port, host, extra });

async function setup(t: { after(fn: () => Promise<void>): void }, extra: Partial<ResourceControllerDeps> = {}) {
  const root = await mkdtemp(join(tmpdir(), 'hop-res-'));
  const dir = join(root, 'resources');
  const stateDir = join(root, 'state');
  await mkdir(dir);
  const ops = fakeOps();
  let now = new Date('2026-01-01T00:00:00Z');
  const clock = {
    now: () => now,
    advance(ms: number) {
      now = new Date(now.getTime() + ms);
    },
  };
  const make = () => createResourceController({ dir, stateDir, ops, logger, clock: clock.now, debounceMs: 20, resyncMs: 0, ...extra });
  const controller = make();
  t.after(async () => {
    await controller.stop();
    await rm(root, { recursive: true, force: true });
  });
  return { root, dir, stateDir, ops, clock, controller, make };
}

async function snapshotDir(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of (await readdir(dir)).sort()) out[f] = await readFile(join(dir, f), 'utf8');
  return out;
}

test('a Domain becomes one manifest server per host x server, with defaults, and Ready when up', async (t) => {
  const { dir, stateDir, ops, controller } = await setup(t);
  await controller.start();
  await writeFile(
    join(dir, 'web.yaml'),
    `apiVersion: haproxy-operator.io/v1alpha1
kind: Domain
metadata: {name: web}
spec:
  hosts: [a.example.com, b.example.com]
  servers:
    - {address: 10.0.0.1, port: 80}
    - {address: 10.0.0.2, port: 443, family: ssl, weight: 5, state: drain, check: /hz}
`,
  );
  await controller.reconcile();
  const servers = ops.last()!;
  assert.equal(servers.length, 4);
  assert.deepEqual(servers[0], { source: 'manifest:Domain/web', domain: 'a.example.com', family: 'http', address: '10.0.0.1', port: 80, state: 'ready' });
  assert.deepEqual(servers[3], { source: 'manifest:Domain/web', domain: 'b.example.com', family: 'ssl', address: '10.0.0.2', port: 443, state: 'drain', weight: 5, check: '/hz' });
  const web = controller.get('Domain', 'web')!;
  const ready = getCondition(web.status.conditions, 'Ready')!;
  assert.deepEqual([ready.status, ready.reason, ready.observedGeneration], ['True', 'ServersUp', 1]);
  assert.equal(web.metadata.annotations['haproxy-operator.io/source-file'], join(dir, 'web.yaml'));
  const persisted = JSON.parse(await readFile(join(stateDir, 'resources-status.json'), 'utf8'));
  assert.equal(persisted.resources['Domain/web'].conditions[0].reason, 'ServersUp');
});

test('all servers down -> Ready=False ServersDown naming them; lastTransitionTime moves only on a flip', async (t) => {
  const { dir, ops, clock, controller } = await setup(t);
  await writeFile(join(dir, 'web.yaml'), domainYaml('web', 9001));
  ops.statuses.set('127.0.0.1:9001', 'DOWN');
  await controller.start();
  let ready = getCondition(controller.get('Domain', 'web')!.status.conditions, 'Ready')!;
  assert.equal(ready.status, 'False');
  assert.equal(ready.reason, 'ServersDown');
  assert.match(ready.message, /no server up for web\.example\.com: web\.example\.com 127\.0\.0\.1:9001 \(pool_1_1\) DOWN L4CON/);
  const downSince = ready.lastTransitionTime;
  clock.advance(60_000);
  await controller.reconcile();
  assert.equal(getCondition(controller.get('Domain', 'web')!.status.conditions, 'Ready')!.lastTransitionTime, downSince);
  ops.statuses.set('127.0.0.1:9001', 'UP');
  clock.advance(60_000);
  await controller.reconcile();
  ready = getCondition(controller.get('Domain', 'web')!.status.conditions, 'Ready')!;
  assert.equal(ready.status, 'True');
  assert.equal(ready.lastTransitionTime, '2026-01-01T00:02:00.000Z');
});

test('rejected servers -> Ready=False NoFreePool / PoolFull with the operations message', async (t) => {
  const { dir, ops, controller } = await setup(t);
  await writeFile(join(dir, 'a.yaml'), `${domainYaml('a')}---\n${domainYaml('b')}`);
  ops.setReject((s) =>
    s.domain === 'a.example.com' ? 'no free pool for a.example.com: all 5 pools are used' : 'pool_2 is full: all 10 http slots of b.example.com are used',
  );
  await controller.start();
  const a = getCondition(controller.get('Domain', 'a')!.status.conditions, 'Ready')!;
  const b = getCondition(controller.get('Domain', 'b')!.status.conditions, 'Ready')!;
  assert.deepEqual([a.status, a.reason], ['False', 'NoFreePool']);
  assert.match(a.message, /all 5 pools are used/);
  assert.deepEqual([b.status, b.reason], ['False', 'PoolFull']);
});

test('applyDocuments: any invalid document -> every problem returned, no file written, nothing synced', async (t) => {
  const { dir, ops, controller } = await setup(t);
  await writeFile(join(dir, 'keep.yaml'), domainYaml('keep'));
  await controller.start();
  const before = await snapshotDir(dir);
  const callsBefore = ops.calls.length;
  const result = await controller.applyDocuments(`${domainYaml('new1')}---\n${domainYaml('new2', 70000)}---\n${domainYaml('Bad_Name')}`);
  assert.equal(result.ok, false);
  assert.deepEqual(result.problems.map((p) => [p.index, p.field]), [[1, 'spec.servers.0.port'], [2, 'metadata.name'], [2, 'spec.hosts.0']]);
  assert.equal(result.problems[0]!.value, 70000);
  assert.deepEqual(await snapshotDir(dir), before);
  assert.equal(ops.calls.length, callsBefore);
  assert.equal(controller.get('Domain', 'new1'), undefined);
});

test('applyDocuments writes <kind>-<name>.yaml, reconciles, reports created/unchanged/configured; dryRun writes nothing', async (t) => {
  const { dir, ops, controller } = await setup(t);
  await controller.start();
  const dry = await controller.applyDocuments(domainYaml('web'), { dryRun: true });
  assert.equal(dry.ok, true);
  assert.equal(dry.plan?.length, 1);
  assert.deepEqual(await readdir(dir), []);
  const first = await controller.applyDocuments(`# my web\n${domainYaml('web')}`);
  assert.deepEqual(first.items.map((i) => [i.kind, i.name, i.action]), [['Domain', 'web', 'created']]);
  assert.deepEqual(await readdir(dir), ['domain-web.yaml']);
  assert.match(await readFile(join(dir, 'domain-web.yaml'), 'utf8'), /^# my web\n/);
  assert.equal(ops.last()![0]!.port, 8080);
  assert.equal((await controller.applyDocuments(domainYaml('web'))).items[0]!.action, 'unchanged');
  const changed = await controller.applyDocuments(domainYaml('web', 9090));
  assert.equal(changed.items[0]!.action, 'configured');
  assert.equal(ops.last()![0]!.port, 9090);
  assert.equal(controller.get('Domain', 'web')!.metadata.generation, 2);
});

test('apply edits a resource in place inside a hand-written multi-document file; delete removes just that document', async (t) => {
  const { dir, ops, controller } = await setup(t);
  await writeFile(join(dir, 'site.yaml'), `# site\n${domainYaml('a')}---\n# b stays\n${domainYaml('b')}`);
  await controller.start();
  await controller.applyDocuments(domainYaml('a', 7000));
  assert.deepEqual(await readdir(dir), ['site.yaml']);
  const text = await readFile(join(dir, 'site.yaml'), 'utf8');
  assert.match(text, /port: 7000/);
  assert.match(text, /# b stays/);
  const del = await controller.deleteDocuments(domainYaml('a'));
  assert.deepEqual(del.items.map((i) => i.action), ['deleted']);
  assert.deepEqual(ops.last()!.map((s) => s.domain), ['b.example.com']);
  assert.equal(controller.get('Domain', 'a'), undefined);
  await controller.deleteDocuments(domainYaml('b'));
  assert.deepEqual(await readdir(dir), []);
  assert.deepEqual(ops.last(), []);
});

test('deleteDocuments: a missing resource is a problem and nothing is deleted', async (t) => {
  const { dir, controller } = await setup(t);
  await writeFile(join(dir, 'a.yaml'), domainYaml('a'));
  await controller.start();
  const before = await snapshotDir(dir);
  const r = await controller.deleteDocuments(`${domainYaml('a')}---\n${domainYaml('ghost')}`);
  assert.equal(r.ok, false);
  assert.deepEqual(r.problems.map((p) => p.message), ['Domain/ghost not found']);
  assert.deepEqual(await snapshotDir(dir), before);
  assert.ok(controller.get('Domain', 'a'));
});

test('the watched directory is the source of truth: add, edit, break, fix and remove a file', async (t) => {
  const { dir, ops, controller } = await setup(t);
  await controller.start();
  const file = join(dir, 'web.yaml');
  await writeFile(file, domainYaml('web', 8081));
  await waitFor(() => ops.last()?.[0]?.port === 8081, { message: 'the new file to be synced' });
  await writeFile(file, domainYaml('web', 8082));
  await waitFor(() => ops.last()?.[0]?.port === 8082, { message: 'the edit to be synced' });
  await writeFile(join(dir, 'other.yaml'), domainYaml('other', 9000));
  await waitFor(() => ops.last()?.length === 2, { message: 'the second file' });
  // An invalid edit: the last valid version stays applied and the status says why.
  await writeFile(file, domainYaml('web', 70000));
  await waitFor(() => controller.problems().length === 1, { message: 'the problem to be seen' });
  await controller.reconcile();
  assert.deepEqual(ops.last()!.map((s) => s.port).sort(), [8082, 9000]);
  const ready = getCondition(controller.get('Domain', 'web')!.status.conditions, 'Ready')!;
  assert.equal(ready.reason, 'InvalidManifest');
  assert.match(ready.message, /spec\.servers\.0\.port=70000: not a port/);
  assert.equal(getCondition(controller.get('Domain', 'other')!.status.conditions, 'Ready')!.status, 'True');
  await writeFile(file, domainYaml('web', 8083));
  await waitFor(() => ops.last()?.some((s) => s.port === 8083), { message: 'the fix' });
  await rm(file);
  await waitFor(() => ops.last()?.length === 1 && controller.get('Domain', 'web') === undefined, { message: 'the removal' });
});

test('Certificates and Issuers: missing issuer, ACME reports, pushed reports, CertificateReady on the Domain', async (t) => {
  const ensured: unknown[] = [];
  const { dir, controller } = await setup(t, {
    certs: {
      async ensure(reqs) {
        ensured.push(...reqs);
        return reqs.map((r) => ({ name: r.name, status: 'False' as const, reason: 'WaitingForDNSPropagation', message: 'TXT not visible yet' }));
      },
    },
    issuers: { async sync() {} },
  });
  await writeFile(
    join(dir, 'all.yaml'),
    `${domainYaml('web', 80, 'web.example.com', '  tls: {certificateRef: {name: web-cert}}\n')}---
apiVersion: haproxy-operator.io/v1alpha1
kind: Certificate
metadata: {name: web-cert}
spec: {dnsNames: [web.example.com, "*.web.example.com"], issuerRef: {name: le}}
---
apiVersion: haproxy-operator.io/v1alpha1
kind: Certificate
metadata: {name: orphan}
spec: {dnsNames: [o.example.com], issuerRef: {name: nope}, renewBefore: 24h}
---
apiVersion: haproxy-operator.io/v1alpha1
kind: Issuer
metadata: {name: le}
spec: {acme: {server: letsencrypt, email: a@example.com, solver: {dns01: {cloudflare: {apiTokenRef: {file: /run/cf}}}}}}
`,
  );
  await controller.start();
  assert.deepEqual(ensured, [{ name: 'web-cert', dnsNames: ['web.example.com', '*.web.example.com'], issuerName: 'le', renewBeforeMs: 720 * 3_600_000, generation: 1 }]);
  const orphan = getCondition(controller.get('Certificate', 'orphan')!.status.conditions, 'Ready')!;
  assert.deepEqual([orphan.status, orphan.reason], ['False', 'IssuerNotFound']);
  assert.equal(getCondition(controller.get('Certificate', 'web-cert')!.status.conditions, 'Ready')!.reason, 'WaitingForDNSPropagation');
  let certReady = getCondition(controller.get('Domain', 'web')!.status.conditions, 'CertificateReady')!;
  assert.deepEqual([certReady.status, certReady.reason], ['False', 'WaitingForDNSPropagation']);
  assert.equal(getCondition(controller.get('Issuer', 'le')!.status.conditions, 'Ready')!.reason, 'Registered');
  await controller.report('Certificate', 'web-cert', { status: 'True', reason: 'Issued', message: 'valid until 2026-04-01' });
  certReady = getCondition(controller.get('Domain', 'web')!.status.conditions, 'CertificateReady')!;
  assert.deepEqual([certReady.status, certReady.reason], ['True', 'Issued']);
  await assert.rejects(controller.report('Certificate', 'ghost', { status: 'True', reason: 'Issued', message: '' }), /Certificate\/ghost not found/);
});

test('without the ACME module Certificates and Issuers are Unknown, not Ready', async (t) => {
  const { dir, controller } = await setup(t);
  await writeFile(join(dir, 'c.yaml'), `apiVersion: haproxy-operator.io/v1alpha1
kind: Certificate
metadata: {name: c}
spec: {dnsNames: [c.example.com], issuerRef: {name: le}}
---
apiVersion: haproxy-operator.io/v1alpha1
kind: Issuer
metadata: {name: le}
spec: {acme: {server: letsencrypt, email: a@example.com, solver: {dns01: {cloudflare: {apiTokenRef: {env: CF}}}}}}
`);
  await controller.start();
  assert.equal(getCondition(controller.get('Certificate', 'c')!.status.conditions, 'Ready')!.reason, 'NoCertificateManager');
  assert.equal(getCondition(controller.get('Issuer', 'le')!.status.conditions, 'Ready')!.status, 'Unknown');
  assert.deepEqual(controller.list('Issuer').map((i) => i.metadata.name), ['le']);
});

test('status survives a restart: generation, creation time and lastTransitionTime are kept', async (t) => {
  const { dir, ops, clock, controller, make } = await setup(t);
  await writeFile(join(dir, 'web.yaml'), domainYaml('web'));
  ops.statuses.set('127.0.0.1:8080', 'DOWN');
  await controller.start();
  await writeFile(join(dir, 'web.yaml'), domainYaml('web', 8080, 'web.example.com', '      weight: 3\n'));
  await controller.reconcile();
  const before = controller.get('Domain', 'web')!;
  assert.equal(before.metadata.generation, 2);
  await controller.stop();
  clock.advance(3_600_000);
  const again = make();
  t.after(() => again.stop());
  await again.start();
  const after = again.get('Domain', 'web')!;
  assert.equal(after.metadata.generation, 2);
  assert.equal(after.metadata.creationTimestamp, before.metadata.creationTimestamp);
  assert.equal(getCondition(after.status.conditions, 'Ready')!.lastTransitionTime, getCondition(before.status.conditions, 'Ready')!.lastTransitionTime);
});
