/**
 * @module Issue 16, point 2, as the attack itself: a web page open on the
 * host POSTs to the loopback listener (trusted by address). A "simple"
 * text/plain or form POST, with or without a foreign Origin, must not route
 * or delete a host; /mcp refuses a foreign Origin too. The CLI's requests
 * (YAML or JSON, no Origin) still work.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createHttpListener } from '../../src/http/listener.ts';
import { createMcpAuth, DEFAULT_TRUSTED_NETWORKS } from '../../src/mcp/auth.ts';
import { explainRoute } from '../../src/mcp/explain.ts';
import { mountApi } from '../../src/api/routes.ts';
import { API_PATHS } from '../../src/api/protocol.ts';
import { createResourceController } from '../../src/resources/controller.ts';
import { createMcpHttpHandler } from '../../src/mcp/http-transport.ts';
import { createMcpServer } from '../../src/mcp/server.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { createFakeAdmin, createFakeOps } from '../mcp/fake-ops.ts';

const logger = pino({ level: 'silent' });
const MANIFEST = 'apiVersion: haproxy-operator.io/v1alpha1\nkind: Domain\nmetadata: {name: stolen}\nspec: {hosts: [bank.example], servers: [{address: 203.0.113.66, port: 80}]}\n';

async function setup(t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'hop-xsite-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const ops = createFakeOps();
  const resourcesDir = join(dir, 'resources');
  const controller = createResourceController({ dir: resourcesDir, stateDir: dir, ops, logger, resyncMs: 0 });
  await controller.start();
  t.after(() => controller.stop());
  // As deployed: loopback is trusted, no token needed from this host.
  const auth = createMcpAuth({ trustedNetworks: DEFAULT_TRUSTED_NETWORKS });
  const listener = createHttpListener({ logger, port: 0 });
  const issued: unknown[] = [];
  mountApi(listener, {
    auth,
    logger,
    resources: controller,
    certs: { list: async () => [], issue: async (r) => { issued.push(r); throw new Error('not reached'); }, renew: async () => { throw new Error('not reached'); } },
    explain: (host) => explainRoute({ ops }, host),
  });
  const audit = createAuditLog({ file: join(dir, 'audit.log'), logger });
  const mcp = createMcpHttpHandler({ logger, factory: createMcpServer({ ops, admin: createFakeAdmin(), logger, audit }), auth });
  listener.addRoute('/mcp', mcp.handle);
  const bound = await listener.start();
  t.after(async () => {
    await mcp.close();
    await listener.stop();
  });
  const files = async () => (await readdir(resourcesDir).catch(() => [])).filter((f) => f.endsWith('.yaml'));
  return { bound, ops, files, issued };
}

test('a text/plain or form POST from a page (foreign Origin or none) routes nothing and deletes nothing', async (t) => {
  const { bound, files, issued } = await setup(t);
  const attacks: Array<[string, Record<string, string>, number]> = [
    ['text/plain;charset=UTF-8', { origin: 'http://evil.example' }, 403],
    ['text/plain', {}, 415],
    ['application/x-www-form-urlencoded', {}, 415],
    ['multipart/form-data; boundary=x', {}, 415],
    ['application/yaml', { origin: 'http://evil.example' }, 403],
    ['application/json', { origin: 'null' }, 403],
    ['application/yaml', { 'sec-fetch-site': 'cross-site' }, 403],
  ];
  for (const path of [API_PATHS.apply, API_PATHS.delete]) {
    for (const [type, extra, status] of attacks) {
      const res = await fetch(`${bound.url}${path}`, { method: 'POST', headers: { 'content-type': type, ...extra }, body: MANIFEST });
      assert.equal(res.status, status, `${path} ${type} ${JSON.stringify(extra)}`);
      assert.match(((await res.json()) as { error: string }).error, status === 403 ? /requests from web pages are refused/ : /Content-Type .* is not accepted here; send application\/json or application\/yaml/);
    }
  }
  const cert = await fetch(`${bound.url}${API_PATHS.certsIssue}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ domain: 'bank.example' }) });
  assert.equal(cert.status, 415);
  assert.deepEqual(issued, []);
  assert.deepEqual(await files(), [], 'no manifest was written');

  // The CLI's own request (YAML, no Origin) and a same-origin one still work.
  const cli = await fetch(`${bound.url}${API_PATHS.apply}`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: MANIFEST });
  assert.equal(cli.status, 200, await cli.text());
  assert.deepEqual(await files(), ['domain-stolen.yaml']);
  const sameOrigin = await fetch(`${bound.url}${API_PATHS.delete}?dryRun=true`, { method: 'POST', headers: { 'content-type': 'application/yaml', origin: bound.url }, body: MANIFEST });
  assert.equal(sameOrigin.status, 200);
  const evilDelete = await fetch(`${bound.url}${API_PATHS.delete}`, { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'http://evil.example' }, body: MANIFEST });
  assert.equal(evilDelete.status, 403);
  assert.deepEqual(await files(), ['domain-stolen.yaml'], 'the foreign delete removed nothing');
});

test('/mcp refuses a foreign Origin before any tool runs', async (t) => {
  const { bound, ops } = await setup(t);
  const call = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'haproxy_add_domain', arguments: { domain: 'bank.example', ip: '203.0.113.66' } } });
  for (const type of ['text/plain', 'application/json']) {
    const res = await fetch(`${bound.url}/mcp`, { method: 'POST', headers: { 'content-type': type, accept: 'application/json, text/event-stream', origin: 'http://evil.example' }, body: call });
    assert.equal(res.status, 403, type);
  }
  assert.deepEqual(ops.calls.filter((c) => c.method === 'addDomain'), []);
  const local = await fetch(`${bound.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: call });
  assert.equal(local.status, 200);
});
