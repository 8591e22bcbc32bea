/**
 * @module Every MCP tool called through a real MCP client (in-process) against
 * fake operations: valid input reaches operations with the right arguments and
 * returns structured output; invalid input names field and value and reaches
 * nothing; dry runs change nothing; annotations tell the truth.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeAdmin, createFakeOps } from './fake-ops.ts';
import { allPages, captureLogger, connectInMemory, textOf } from './harness.ts';
import type { CertProvider, ContainerProvider } from '../../src/mcp/providers.ts';

const ORIGINAL = [
  'haproxy_list_domains', 'haproxy_add_domain', 'haproxy_remove_domain',
  'haproxy_list_servers', 'haproxy_add_server', 'haproxy_remove_server', 'haproxy_set_server_state', 'haproxy_set_server_weight', 'haproxy_get_server_health',
  'haproxy_stats', 'haproxy_backends', 'haproxy_list_frontends', 'haproxy_get_connections',
  'haproxy_reload', 'haproxy_check_config', 'haproxy_save_state', 'haproxy_restore_state',
];
const READ_ONLY = new Set([
  'haproxy_list_domains', 'haproxy_list_servers', 'haproxy_get_server_health', 'haproxy_stats', 'haproxy_backends',
  'haproxy_list_frontends', 'haproxy_get_connections', 'haproxy_check_config', 'haproxy_explain_route', 'haproxy_list_certs',
  'haproxy_list_containers', 'haproxy_explain_container',
]);

async function setup(extra: { certs?: CertProvider; containers?: ContainerProvider; slots?: number } = {}) {
  const ops = createFakeOps();
  const admin = createFakeAdmin();
  const { logger } = captureLogger();
  const conn = await connectInMemory({ ops, admin, logger, settings: { slots: extra.slots ?? 10 }, ...(extra.certs ? { certs: extra.certs } : {}), ...(extra.containers ? { containers: extra.containers } : {}) });
  return { ops, admin, ...conn };
}

test('tools/list: the 17 original tools plus the extras, each described, with output schemas and truthful annotations', async (t) => {
  const { client, close } = await setup();
  t.after(close);
  const { tools } = await client.listTools();
  const names = tools.map((x) => x.name);
  for (const n of [...ORIGINAL, 'haproxy_explain_route', 'haproxy_clear_override', 'haproxy_set_hold', 'haproxy_set_rules']) assert.ok(names.includes(n), `missing ${n}`);
  assert.equal(names.length, 21, `unexpected tools: ${names.join(', ')}`);
  for (const tool of tools) {
    assert.ok(tool.description && tool.description.length > 20, `${tool.name} has no real description`);
    assert.ok(tool.outputSchema, `${tool.name} has no outputSchema`);
    assert.equal(tool.annotations?.readOnlyHint, READ_ONLY.has(tool.name), `${tool.name} readOnlyHint`);
    const props = (tool.inputSchema.properties ?? {}) as Record<string, { description?: string }>;
    for (const [key, schema] of Object.entries(props)) assert.ok(schema.description, `${tool.name}.${key} has no description`);
    if (!READ_ONLY.has(tool.name)) assert.ok('dry_run' in props, `${tool.name} lacks dry_run`);
  }
  const remove = tools.find((x) => x.name === 'haproxy_remove_domain')!;
  assert.equal(remove.annotations?.destructiveHint, true);
  assert.equal(tools.find((x) => x.name === 'haproxy_add_domain')!.annotations?.destructiveHint, false);
});

test('provider tools are listed only when their provider is given', async (t) => {
  const certs: CertProvider = {
    list: async () => [{ name: 'example.com', dnsNames: ['example.com', '*.example.com'], notAfter: '2099-01-01T00:00:00Z', path: '/certs/example.com.pem' }],
    issue: async (i) => ({ summary: `issued ${i.domains.join(',')}` }),
    renew: async (i) => ({ summary: `renewed ${i.name}` }),
  };
  const containers: ContainerProvider = {
    listContainers: async () => [{ id: 'abc123', name: 'web-1', state: 'running', domains: ['app.example.com'], problems: [] }],
    explainContainer: async (id) => ({ id, labels: { 'haproxy.domain': 'app.example.com' } }),
  };
  const { client, close } = await setup({ certs, containers });
  t.after(close);
  const names = (await client.listTools()).tools.map((x) => x.name);
  for (const n of ['haproxy_list_certs', 'haproxy_issue_cert', 'haproxy_renew_cert', 'haproxy_list_containers', 'haproxy_explain_container']) assert.ok(names.includes(n), n);
  const listed = await client.callTool({ name: 'haproxy_list_certs', arguments: {} });
  assert.equal((listed.structuredContent as { certs: unknown[] }).certs.length, 1);
  const issued = await client.callTool({ name: 'haproxy_issue_cert', arguments: { domains: ['example.com', '*.example.com'] } });
  assert.equal((issued.structuredContent as { summary: string }).summary, 'issued example.com,*.example.com');
  const bad = await client.callTool({ name: 'haproxy_issue_cert', arguments: { domains: ['exa mple.com'] } });
  assert.equal(bad.isError, true);
  assert.match(textOf(bad), /domains\.0="exa mple\.com"/);
  // A name beside the subject and its wildcard was silently left out of the order: refused, naming it.
  const extra = await client.callTool({ name: 'haproxy_issue_cert', arguments: { domains: ['example.com', '*.example.com', 'www.other.com'] } });
  assert.equal(extra.isError, true);
  assert.match(textOf(extra), /domains\.2="www\.other\.com".*example\.com, \*\.example\.com.*own certificate/);
  const wildOnly = await client.callTool({ name: 'haproxy_issue_cert', arguments: { domains: ['*.example.com'] } });
  assert.equal((wildOnly.structuredContent as { summary: string }).summary, 'issued *.example.com');
  const renewed = await client.callTool({ name: 'haproxy_renew_cert', arguments: { name: 'example.com', force: true } });
  assert.equal((renewed.structuredContent as { summary: string }).summary, 'renewed example.com');
  const cs = await client.callTool({ name: 'haproxy_list_containers', arguments: {} });
  assert.equal((cs.structuredContent as { containers: Array<{ name: string }> }).containers[0]!.name, 'web-1');
  const ex = await client.callTool({ name: 'haproxy_explain_container', arguments: { id: 'abc123' } });
  assert.equal((ex.structuredContent as { container: { id: string } }).container.id, 'abc123');
  const exBad = await client.callTool({ name: 'haproxy_explain_container', arguments: { id: 'abc;rm' } });
  assert.match(textOf(exBad), /id="abc;rm"/);
});

test('domain tools: add (default ports and custom port), list, remove, with dry runs that change nothing', async (t) => {
  const { client, ops, close } = await setup();
  t.after(close);
  const dry = await client.callTool({ name: 'haproxy_add_domain', arguments: { domain: 'Example.COM', ip: '10.0.0.1', dry_run: true } });
  assert.equal(dry.isError, undefined);
  assert.equal((dry.structuredContent as { dryRun: boolean }).dryRun, true);
  assert.ok((dry.structuredContent as { plan: unknown[] }).plan.length >= 4);
  assert.equal(ops.listDomains().length, 0, 'dry run changed state');
  assert.deepEqual(ops.calls.find((c) => c.method === 'addDomain')!.input, { domain: 'example.com', ip: '10.0.0.1', source: 'manual', dryRun: true });

  const added = await client.callTool({ name: 'haproxy_add_domain', arguments: { domain: 'example.com', ip: '10.0.0.1' } });
  assert.equal((added.structuredContent as { domain: { servers: unknown[] } }).domain.servers.length, 3);
  assert.match(textOf(added), /^added example\.com -> pool_1/);
  const custom = await client.callTool({ name: 'haproxy_add_domain', arguments: { domain: 'api.example.com', ip: '10.0.0.2', port: 8080 } });
  assert.equal((custom.structuredContent as { domain: { servers: unknown[] } }).domain.servers.length, 1);

  const list = await client.callTool({ name: 'haproxy_list_domains', arguments: {} });
  assert.deepEqual((list.structuredContent as { domains: Array<{ domain: string }> }).domains.map((d) => d.domain), ['api.example.com', 'example.com']);

  const again = await client.callTool({ name: 'haproxy_add_domain', arguments: { domain: 'example.com', ip: '10.0.0.1' } });
  assert.equal(again.isError, true);
  assert.match(textOf(again), /already routed/);

  const removed = await client.callTool({ name: 'haproxy_remove_domain', arguments: { domain: 'api.example.com' } });
  assert.equal(removed.isError, undefined);
  assert.equal(ops.getDomain('api.example.com'), undefined);
});

test('server tools: add, state, weight, clear override, health, remove', async (t) => {
  const { client, ops, close } = await setup();
  t.after(close);
  await ops.addDomain({ domain: 'app.example.com', ip: '10.0.0.5', port: 8080, source: 'container:abc' });
  ops.calls.length = 0;
  const add = await client.callTool({ name: 'haproxy_add_server', arguments: { domain: 'app.example.com', slot: 2, ip: '10.0.0.6', port: 8080, weight: 5, check: '/healthz' } });
  assert.equal(add.isError, undefined, textOf(add));
  // The operation gets the tool's parsed arguments, defaults filled in (family, state), not a second parse.
  assert.deepEqual(ops.calls.at(-1), {
    method: 'addServer',
    input: { domain: 'app.example.com', slot: 2, family: 'http', ip: '10.0.0.6', port: 8080, state: 'ready', source: 'manual', dryRun: false, weight: 5, check: '/healthz' },
  });
  const servers = await client.callTool({ name: 'haproxy_list_servers', arguments: { domain: 'app.example.com' } });
  assert.equal((servers.structuredContent as { servers: unknown[] }).servers.length, 2);

  const drain = await client.callTool({ name: 'haproxy_set_server_state', arguments: { domain: 'app.example.com', slot: 1, state: 'drain' } });
  assert.equal(drain.isError, undefined, textOf(drain));
  assert.equal((ops.calls.at(-1)!.input as { by: string }).by, 'mcp:in-memory');
  const s1 = ops.getDomain('app.example.com')!.servers.find((s) => s.slot === 1)!;
  assert.equal(s1.override?.state, 'drain', 'override recorded on a container-owned server');
  assert.equal(s1.effectiveState, 'drain');

  const weight = await client.callTool({ name: 'haproxy_set_server_weight', arguments: { domain: 'app.example.com', slot: 2, weight: 0 } });
  assert.equal(weight.isError, undefined);
  assert.equal(ops.getDomain('app.example.com')!.servers.find((s) => s.slot === 2)!.weight, 0);

  const clearDry = await client.callTool({ name: 'haproxy_clear_override', arguments: { domain: 'app.example.com', slot: 1, dry_run: true } });
  assert.equal((clearDry.structuredContent as { dryRun: boolean }).dryRun, true);
  assert.equal(ops.getDomain('app.example.com')!.servers.find((s) => s.slot === 1)!.override?.state, 'drain');
  await client.callTool({ name: 'haproxy_clear_override', arguments: { domain: 'app.example.com', slot: 1 } });
  assert.equal(ops.getDomain('app.example.com')!.servers.find((s) => s.slot === 1)!.override, undefined);

  const health = await client.callTool({ name: 'haproxy_get_server_health', arguments: { domain: 'app.example.com' } });
  assert.deepEqual((health.structuredContent as { servers: Array<{ status: string }> }).servers.map((s) => s.status), ['UP', 'UP']);

  const missing = await client.callTool({ name: 'haproxy_remove_server', arguments: { domain: 'app.example.com', slot: 9 } });
  assert.equal(missing.isError, true);
  assert.match(textOf(missing), /slot=9/);
  const rm = await client.callTool({ name: 'haproxy_remove_server', arguments: { domain: 'app.example.com', slot: 2 } });
  assert.equal(rm.isError, undefined);
  assert.equal(ops.getDomain('app.example.com')!.servers.length, 1);
  const unknown = await client.callTool({ name: 'haproxy_list_servers', arguments: { domain: 'nope.example.com' } });
  assert.match(textOf(unknown), /domain="nope\.example\.com": not routed/);
});

test('monitoring and config tools go through Admin', async (t) => {
  const { client, admin, ops, close } = await setup();
  t.after(close);
  const stats = await client.callTool({ name: 'haproxy_stats', arguments: {} });
  assert.equal((stats.structuredContent as { pid: number; serversUp: number }).serversUp, 1);
  const backends = await client.callTool({ name: 'haproxy_backends', arguments: {} });
  assert.equal((backends.structuredContent as { backends: unknown[] }).backends.length, 1);
  const fronts = await client.callTool({ name: 'haproxy_list_frontends', arguments: {} });
  assert.match(textOf(fronts), /^http_in OPEN 2 sessions/);
  const conns = await client.callTool({ name: 'haproxy_get_connections', arguments: {} });
  assert.deepEqual(conns.structuredContent, { totalCurrent: 1, servers: [{ backend: 'pool_1', server: 'pool_1_1', address: '10.0.0.1:80', status: 'UP', currentSessions: 1, totalSessions: 20 }], unusedSlots: 1, total: 1 });
  await ops.addDomain({ domain: 'other.example.com', ip: '10.0.0.9', port: 81 });
  await ops.addDomain({ domain: 'x.example.com', ip: '10.0.0.8', port: 81 });
  const filtered = await client.callTool({ name: 'haproxy_get_connections', arguments: { domain: 'x.example.com' } });
  const xBackend = ops.getDomain('x.example.com')!.backend;
  const listed = (filtered.structuredContent as { servers: Array<{ backend: string }> }).servers;
  assert.ok(listed.every((s) => s.backend === xBackend), 'only the domain\'s backends');

  const check = await client.callTool({ name: 'haproxy_check_config', arguments: {} });
  assert.equal((check.structuredContent as { valid: boolean }).valid, true);
  const dry = await client.callTool({ name: 'haproxy_reload', arguments: { dry_run: true } });
  assert.equal((dry.structuredContent as { dryRun: boolean }).dryRun, true);
  assert.equal(admin.calls.some((c) => c.method === 'reload'), false, 'dry run reloaded');
  const reload = await client.callTool({ name: 'haproxy_reload', arguments: { reason: 'new frontend' } });
  assert.deepEqual(admin.calls.find((c) => c.method === 'reload'), { method: 'reload', input: 'new frontend' });
  assert.equal((reload.structuredContent as { newPid: number }).newPid, 1001);
  const save = await client.callTool({ name: 'haproxy_save_state', arguments: { file: 'backup.state' } });
  assert.equal((save.structuredContent as { file: string }).file, '/state/backup.state');
  const restoreDry = await client.callTool({ name: 'haproxy_restore_state', arguments: { dry_run: true } });
  assert.equal((restoreDry.structuredContent as { dryRun: boolean }).dryRun, true, 'the dry run is passed on: the plan comes from the real layer');
  const restored = await client.callTool({ name: 'haproxy_restore_state', arguments: {} });
  assert.equal((restored.structuredContent as { servers: number }).servers, 1);
  assert.equal(admin.calls.filter((c) => c.method === 'restoreState').length, 2);
  const traversal = await client.callTool({ name: 'haproxy_save_state', arguments: { file: '../../etc/passwd' } });
  assert.match(textOf(traversal), /file="\.\.\/\.\.\/etc\/passwd"/);
  assert.equal(admin.calls.filter((c) => c.method === 'saveState').length, 1);
});

test('bad arguments name the field and the value and reach nothing', async (t) => {
  const { client, ops, admin, close } = await setup();
  t.after(close);
  await ops.addDomain({ domain: 'ok.example.com', ip: '10.0.0.1' });
  ops.calls.length = 0;
  const cases: Array<{ name: string; arguments: Record<string, unknown>; field: RegExp }> = [
    { name: 'haproxy_add_domain', arguments: { domain: 'bad domain.com', ip: '10.0.0.1' }, field: /domain="bad domain\.com"/ },
    { name: 'haproxy_add_domain', arguments: { domain: 'x.com;shutdown', ip: '10.0.0.1' }, field: /domain="x\.com;shutdown"/ },
    { name: 'haproxy_add_domain', arguments: { domain: 'x.com', ip: '1.2.3.4;shutdown' }, field: /ip="1\.2\.3\.4;shutdown"/ },
    { name: 'haproxy_add_domain', arguments: { domain: 'x.com', ip: '10.0.0.1', port: 70000 }, field: /port=70000/ },
    { name: 'haproxy_add_server', arguments: { domain: 'ok.example.com', slot: 11, ip: '10.0.0.1', port: 80 }, field: /slot=11: not a slot \(1-10\)/ },
    { name: 'haproxy_add_server', arguments: { domain: 'ok.example.com', slot: 1, ip: '10.0.0.1', port: 80, check: 'healthz' }, field: /check="healthz"/ },
    { name: 'haproxy_set_server_weight', arguments: { domain: 'ok.example.com', slot: 1, weight: 300 }, field: /weight=300/ },
    { name: 'haproxy_set_server_state', arguments: { domain: 'ok.example.com', slot: 1, state: 'up' }, field: /state="up"/ },
    { name: 'haproxy_remove_server', arguments: { domain: 'ok.example.com', slot: 0 }, field: /slot=0/ },
    { name: 'haproxy_remove_domain', arguments: { domain: 'a\nb' }, field: /domain="a\\nb"/ },
    { name: 'haproxy_add_domain', arguments: { domain: 'x.com', ip: '10.0.0.1', prot: 80 }, field: /unknown argument\(s\) "prot"/ },
    { name: 'haproxy_add_domain', arguments: { ip: '10.0.0.1' }, field: /domain=undefined/ },
    { name: 'haproxy_reload', arguments: { reason: 'x\ny' }, field: /reason="x\\ny"/ },
  ];
  for (const c of cases) {
    const r = await client.callTool({ name: c.name, arguments: c.arguments });
    assert.equal(r.isError, true, `${c.name} ${JSON.stringify(c.arguments)} was accepted`);
    assert.match(textOf(r), c.field, `${c.name}: ${textOf(r)}`);
  }
  assert.deepEqual(ops.mutations(), [], 'a rejected call reached operations');
  assert.deepEqual(admin.calls, []);
});

test('slot limit follows settings.slots', async (t) => {
  const { client, ops, close } = await setup({ slots: 30 });
  t.after(close);
  await ops.addDomain({ domain: 'ok.example.com', ip: '10.0.0.1' });
  const ok = await client.callTool({ name: 'haproxy_add_server', arguments: { domain: 'ok.example.com', slot: 25, ip: '10.0.0.1', port: 80 } });
  assert.equal(ok.isError, undefined, textOf(ok));
  const bad = await client.callTool({ name: 'haproxy_add_server', arguments: { domain: 'ok.example.com', slot: 31, ip: '10.0.0.1', port: 80 } });
  assert.match(textOf(bad), /slot=31: not a slot \(1-30\)/);
});

test('haproxy_list_certs and haproxy_list_containers page with limit and cursor and filter by domain', async (t) => {
  const certList = Array.from({ length: 7 }, (_, i) => ({ name: `c${i}.test`, dnsNames: [`c${i}.test`, `*.c${i}.test`], notAfter: '2099-01-01T00:00:00Z', path: `/certs/c${i}.test.pem` }));
  const containerList = Array.from({ length: 5 }, (_, i) => ({ id: `id${i}`, name: `web-${i}`, state: 'running', domains: [i % 2 ? 'odd.test' : 'even.test'], problems: [] }));
  const { client, close } = await setup({
    certs: { list: async () => certList },
    containers: { listContainers: async () => containerList, explainContainer: async (id) => ({ id }) },
  });
  t.after(close);
  const pages = await allPages<{ certs: Array<{ name: string }>; total: number; nextCursor?: string }>(client, 'haproxy_list_certs', { limit: 3 }, 10);
  for (const out of pages) {
    assert.equal(out.total, 7);
    assert.ok(out.certs.length <= 3);
  }
  assert.deepEqual(pages.flatMap((out) => out.certs.map((c) => c.name)), certList.map((c) => c.name), 'every certificate once, in order, over the pages');
  const covered = await client.callTool({ name: 'haproxy_list_certs', arguments: { domain: 'www.c3.test' } });
  assert.deepEqual((covered.structuredContent as { certs: Array<{ name: string }> }).certs.map((c) => c.name), ['c3.test'], 'the wildcard covers one label');
  const deeper = await client.callTool({ name: 'haproxy_list_certs', arguments: { domain: 'a.b.c3.test' } });
  assert.equal((deeper.structuredContent as { total: number }).total, 0);
  const odd = await client.callTool({ name: 'haproxy_list_containers', arguments: { domain: 'odd.test', limit: 1 } });
  const oddOut = odd.structuredContent as { containers: Array<{ name: string }>; total: number; nextCursor?: string };
  assert.deepEqual([oddOut.containers.map((c) => c.name), oddOut.total, typeof oddOut.nextCursor], [['web-1'], 2, 'string']);
  const bad = await client.callTool({ name: 'haproxy_list_containers', arguments: { limit: 0 } });
  assert.equal(bad.isError, true);
  assert.match(textOf(bad), /limit=0/);
});
