/**
 * @module haproxy_explain_route: map entry, families, certificate choice (exact
 * before wildcard, expiry) and the reasons traffic would fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeAdmin, createFakeOps } from './fake-ops.ts';
import { captureLogger, connectInMemory, textOf } from './harness.ts';
import { pickCertificate } from '../../src/mcp/tools-explain.ts';
import type { CertSummary } from '../../src/mcp/providers.ts';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const CERTS: CertSummary[] = [
  { name: 'wild', dnsNames: ['example.com', '*.example.com'], notAfter: '2030-03-01T00:00:00Z', path: '/c/wild.pem' },
  { name: 'app', dnsNames: ['app.example.com'], notAfter: '2029-12-01T00:00:00Z', path: '/c/app.pem' },
];

test('pickCertificate: exact name beats wildcard even when expired; wildcard covers one label only', () => {
  assert.equal(pickCertificate('app.example.com', CERTS, NOW)?.name, 'app');
  assert.equal(pickCertificate('app.example.com', CERTS, NOW)?.expired, true);
  assert.deepEqual(pickCertificate('api.example.com', CERTS, NOW), { ...CERTS[0]!, match: 'wildcard', expired: false });
  assert.equal(pickCertificate('a.b.example.com', CERTS, NOW), undefined);
  assert.equal(pickCertificate('example.org', CERTS, NOW), undefined);
});

test('explain_route: routed host with an override, an expired cert and a drained only server', async (t) => {
  const ops = createFakeOps();
  const certs = { list: async () => CERTS };
  const { client, close } = await connectInMemory({ ops, admin: createFakeAdmin(), logger: captureLogger().logger, certs, now: () => NOW });
  t.after(close);
  await ops.addDomain({ domain: 'app.example.com', ip: '10.0.0.5', source: 'container:abc' });
  await ops.setServerState({ domain: 'app.example.com', slot: 1, state: 'maint', by: 'mcp:10.1.1.1' });
  const r = await client.callTool({ name: 'haproxy_explain_route', arguments: { host: 'app.example.com' } });
  assert.equal(r.isError, undefined, textOf(r));
  const out = r.structuredContent as { routed: boolean; mapEntry: string; wouldServe: boolean; families: Record<string, string>; certificate: { name: string }; problems: string[]; servers: Array<{ health?: string }> };
  assert.equal(out.routed, true);
  assert.equal(out.mapEntry, 'app.example.com pool_1');
  assert.deepEqual(out.families, { http: 'http', https: 'ssl', h3: 'h3' });
  assert.equal(out.certificate.name, 'app');
  assert.equal(out.wouldServe, false);
  assert.equal(out.servers[0]!.health, 'MAINT');
  assert.match(out.problems[0]!, /no http-family server is ready/);
  assert.ok(out.problems.some((p) => /expired/.test(p)), out.problems.join('\n'));
  assert.ok(out.problems.some((p) => /override state=maint by mcp:10\.1\.1\.1/.test(p)), out.problems.join('\n'));
  assert.match(textOf(r), /would FAIL/);
});

test('explain_route: unrouted host, and a healthy one', async (t) => {
  const ops = createFakeOps();
  const { client, close } = await connectInMemory({ ops, admin: createFakeAdmin(), logger: captureLogger().logger });
  t.after(close);
  const none = await client.callTool({ name: 'haproxy_explain_route', arguments: { host: 'nope.example.com' } });
  const n = none.structuredContent as { routed: boolean; problems: string[]; certificatesChecked: boolean };
  assert.equal(n.routed, false);
  assert.equal(n.certificatesChecked, false);
  assert.match(n.problems[0]!, /no domains\.map entry for nope\.example\.com/);
  await ops.addDomain({ domain: 'ok.example.com', ip: '10.0.0.1', port: 8080 });
  const ok = await client.callTool({ name: 'haproxy_explain_route', arguments: { host: 'ok.example.com' } });
  const o = ok.structuredContent as { wouldServe: boolean; problems: string[]; families: Record<string, string> };
  assert.equal(o.wouldServe, true);
  assert.deepEqual(o.problems, []);
  assert.deepEqual(o.families, { http: 'http', https: 'http', h3: 'http' });
  const bad = await client.callTool({ name: 'haproxy_explain_route', arguments: { host: 'a b' } });
  assert.match(textOf(bad), /host="a b"/);
});
