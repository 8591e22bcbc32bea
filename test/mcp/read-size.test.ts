/**
 * Every MCP read tool answers within 32 KB by default on a 100-pool install
 * with a few hosts, through a real MCP client, the real operations layer and
 * a real HAProxy. Bug: haproxy_get_connections returned 1.24 MB (all 3000
 * slots, twice: text and structured) and haproxy_backends 171 KB; stats said
 * "1/3000 servers up" while every routed server without a health check was
 * serving.
 */
import assert from 'node:assert/strict';
import { startTestOperator, testEachHaproxy } from '../helpers/haproxy.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { startBackend } from '../helpers/http.ts';
import { waitFor } from '../helpers/wait.ts';
import { allPages, connectInMemory, captureLogger, textOf } from './harness.ts';

const LIMIT = 32 * 1024;

testEachHaproxy('read tools fit in 32 KB on 100 pools, unused slots are counted not listed, lists page with limit and cursor', { timeout: 90_000 }, async (t, haproxy) => {
  const defer = deferCleanup(t);
  const h = await startTestOperator({ haproxy, pools: 100, slots: 10 });
  defer(() => h.stop());
  const backend = await startBackend('b');
  defer(() => backend.close());
  const { ops, admin } = h.operator;
  const hosts = ['a.test', 'b.test', 'c.test', 'd.test', 'e.test'];
  for (const host of hosts) await ops.addDomain({ domain: host, ip: '127.0.0.1', port: backend.port });
  await ops.addServer({ domain: 'a.test', slot: 2, ip: '127.0.0.1', port: backend.port, check: '/healthz' });
  const { client, close } = await connectInMemory({ ops, admin, logger: captureLogger().logger, settings: { slots: 10 } });
  defer(close);

  // The checked server becomes UP after its first check; the other five have no check.
  const stats = await waitFor(async () => {
    const r = await client.callTool({ name: 'haproxy_stats', arguments: {} });
    const s = r.structuredContent as { serversUp: number };
    return s.serversUp === 6 ? r : undefined;
  }, { message: 'six servers up' });
  const s = stats.structuredContent as { servers: number; serversUp: number; serversUnchecked: number; unusedSlots: number };
  assert.deepEqual([s.servers, s.serversUp, s.serversUnchecked, s.unusedSlots], [6, 6, 5, 2994]);
  assert.match(textOf(stats), /6\/6 servers up \(5 without health check\)/);

  const { tools } = await client.listTools();
  const sizes: string[] = [];
  for (const tool of tools.filter((x) => x.annotations?.readOnlyHint)) {
    const required = tool.inputSchema.required ?? [];
    const args: Record<string, string> = {};
    if (required.includes('domain')) args.domain = 'a.test';
    if (required.includes('host')) args.host = 'a.test';
    const r = await client.callTool({ name: tool.name, arguments: args });
    assert.notEqual(r.isError, true, `${tool.name}: ${textOf(r)}`);
    const size = Buffer.byteLength(JSON.stringify(r));
    sizes.push(`${tool.name} ${size}`);
    assert.ok(size < LIMIT, `${tool.name} answered ${size} bytes`);
  }
  t.diagnostic(sizes.join(', '));

  const conns = await client.callTool({ name: 'haproxy_get_connections', arguments: {} });
  const c = conns.structuredContent as { servers: Array<{ server: string }>; unusedSlots: number; total: number };
  assert.equal(c.total, 6, 'only the servers in use');
  assert.equal(c.unusedSlots, 2994);
  assert.match(textOf(conns), /2994 unused slots not listed/);
  assert.doesNotMatch(textOf(conns), /"servers"/, 'the text is compact, not the JSON again');

  const backends = await client.callTool({ name: 'haproxy_backends', arguments: { domain: 'a.test' } });
  const b = backends.structuredContent as { backends: Array<{ proxy: string; hosts?: string[] }> };
  assert.ok(b.backends.length > 0 && b.backends.every((x) => x.hosts?.includes('a.test')), JSON.stringify(b.backends));
  const all = (await client.callTool({ name: 'haproxy_backends', arguments: {} })).structuredContent as { unusedBackends: number; total: number };
  assert.ok(all.unusedBackends >= 270, `unused pool backends summarised: ${all.unusedBackends}`);

  // Paging: three pages of two domains, in order, with no repeats.
  const pages = await allPages<{ domains: Array<{ domain: string }>; total: number; nextCursor?: string }>(client, 'haproxy_list_domains', { limit: 2 }, 5);
  for (const out of pages) assert.equal(out.total, 5);
  assert.deepEqual(pages.flatMap((out) => out.domains.map((d) => d.domain)), hosts);
  const one = await client.callTool({ name: 'haproxy_list_domains', arguments: { domain: 'c.test' } });
  assert.deepEqual((one.structuredContent as { domains: Array<{ domain: string }> }).domains.map((d) => d.domain), ['c.test']);
  const connPage = await client.callTool({ name: 'haproxy_get_connections', arguments: { limit: 4 } });
  const first = connPage.structuredContent as { servers: unknown[]; nextCursor?: string };
  assert.equal(first.servers.length, 4);
  const rest = await client.callTool({ name: 'haproxy_get_connections', arguments: { limit: 4, cursor: first.nextCursor } });
  assert.equal((rest.structuredContent as { servers: unknown[]; nextCursor?: string }).servers.length, 2);

  const badLimit = await client.callTool({ name: 'haproxy_get_connections', arguments: { limit: 0 } });
  assert.match(textOf(badLimit), /limit=0: not a limit/);
  const badCursor = await client.callTool({ name: 'haproxy_list_domains', arguments: { cursor: 'a b' } });
  assert.match(textOf(badCursor), /cursor="a b": not a cursor/);
});
