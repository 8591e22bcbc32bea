/**
 * @module Issue 16, point 4, as the attack itself: an alias bomb ("billion
 * laughs"), broken YAML and an oversized file in the resources directory.
 * Each is reported with its file and reason; every other manifest keeps
 * working (a new one is routed, a deleted one is unrouted); `apply` of the
 * bomb through the API is a 400 naming the problem, not a 500.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createResourceController } from '../../src/resources/controller.ts';
import { MAX_MANIFEST_BYTES } from '../../src/resources/load.ts';
import { createHttpListener } from '../../src/http/listener.ts';
import { createMcpAuth } from '../../src/mcp/auth.ts';
import { mountApi } from '../../src/api/routes.ts';
import { API_PATHS } from '../../src/api/protocol.ts';
import { explainRoute } from '../../src/mcp/explain.ts';
import { createFakeOps } from '../mcp/fake-ops.ts';
import { domainManifest } from '../helpers/manifests.ts';

const logger = pino({ level: 'silent' });

/** 9^7 = 4.8 million strings from a 400-byte file once the aliases are expanded. */
const BOMB = `apiVersion: haproxy-operator.io/v1alpha1
kind: Domain
metadata: {name: bomb}
spec:
  a: &a ["x","x","x","x","x","x","x","x","x"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
`;

function routedHosts(ops: ReturnType<typeof createFakeOps>): string[] {
  const syncs = ops.calls.filter((c) => c.method === 'syncSource');
  const last = syncs.at(-1)?.input as { servers: Array<{ domain: string }> } | undefined;
  return [...new Set((last?.servers ?? []).map((s) => s.domain))].sort();
}

test('a bomb, broken YAML and an oversized file are reported by file and block no other manifest', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'hop-bomb-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const dir = join(root, 'resources');
  await mkdir(dir);
  await writeFile(join(dir, 'a-good.yaml'), domainManifest({ name: 'good', host: 'good.example' }));
  await writeFile(join(dir, 'bomb.yaml'), BOMB);
  await writeFile(join(dir, 'broken.yaml'), 'apiVersion: [unclosed\nkind: Domain\n');
  await writeFile(join(dir, 'huge.yaml'), `# ${'x'.repeat(MAX_MANIFEST_BYTES)}\n`);
  const ops = createFakeOps();
  const controller = createResourceController({ dir, stateDir: root, ops, logger, resyncMs: 0 });
  const started = performance.now();
  await controller.start();
  t.after(() => controller.stop());
  assert.ok(performance.now() - started < 10_000, 'the bomb was not expanded');

  assert.deepEqual(controller.list('Domain').map((d) => d.metadata.name), ['good']);
  assert.deepEqual(routedHosts(ops), ['good.example']);
  const problems = controller.problems();
  const byFile = (name: string) => problems.find((p) => p.file === join(dir, name));
  assert.match(byFile('bomb.yaml')?.message ?? '', /alias/i);
  assert.match(byFile('broken.yaml')?.message ?? '', /./);
  assert.match(byFile('huge.yaml')?.message ?? '', /larger than 4194304/);

  // The directory still works: a new manifest is routed, a deleted one is unrouted.
  await writeFile(join(dir, 'b-new.yaml'), domainManifest({ name: 'new', host: 'new.example' }));
  await rm(join(dir, 'a-good.yaml'));
  await controller.reconcile('test');
  assert.deepEqual(controller.list('Domain').map((d) => d.metadata.name), ['new']);
  assert.deepEqual(routedHosts(ops), ['new.example']);

  // apply -f of the bomb: refused with the reason, nothing written.
  const applied = await controller.applyDocuments(BOMB);
  assert.equal(applied.ok, false);
  assert.match(applied.problems.map((p) => p.message).join(), /alias/i);
});

test('the API answers the bomb with 400 and the problem, not 500', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'hop-bomb-api-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const ops = createFakeOps();
  const controller = createResourceController({ dir: join(root, 'resources'), stateDir: root, ops, logger, resyncMs: 0 });
  await controller.start();
  t.after(() => controller.stop());
  const listener = createHttpListener({ logger, port: 0 });
  mountApi(listener, { auth: createMcpAuth({ trustedNetworks: ['127.0.0.0/8'] }), logger, resources: controller, explain: (h) => explainRoute({ ops }, h) });
  const bound = await listener.start();
  t.after(() => listener.stop());
  for (const path of [API_PATHS.apply, API_PATHS.delete]) {
    const res = await fetch(`${bound.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: BOMB });
    assert.equal(res.status, 400, path);
    const body = (await res.json()) as { error: string; problems: Array<{ file: string; message: string }> };
    assert.match(body.error, /problem\(s\) in the manifests; nothing was changed/);
    assert.match(body.problems[0]!.message, /alias/i);
  }
});
