/**
 * Per-host rules against a real HAProxy (2.6 and 3.0), through the operations
 * API as every source uses it: HTTPS redirect, host redirects both ways,
 * path routes (longest prefix whatever the order they were added in, whole
 * segments, strip-prefix), response headers and HSTS only for their host
 * (HSTS only over TLS). Every change is a map entry: the worker PID never
 * changes. After kill -9 of the worker the supervisor restarts HAProxy and
 * the rules and paths are back.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachHaproxy, haproxyMissing, startTestOperator, type TestOperator } from '../helpers/haproxy.ts';
import { get, startBackend, type Backend } from '../helpers/http.ts';
import { waitFor } from '../helpers/wait.ts';
import { explainRoute } from '../../src/mcp/explain.ts';

describeEachHaproxy('route rules', { skip: haproxyMissing() ?? false, timeout: 120_000 }, (haproxy) => {
  let op: TestOperator;
  const backends: Record<string, Backend> = {};
  let pid0 = 0;
  const ops = () => op.operator.ops;
  const http = (host: string, path = '/') => get(op.httpPort, host, path);
  const https = (host: string, path = '/') => get(op.httpsPort, host, path, { tls: true });

  before(async () => {
    op = await startTestOperator({ haproxy, pools: 8 });
    for (const name of ['root', 'api', 'v2', 'other']) backends[name] = await startBackend(name, 0, { echoUrl: true });
    await ops().addDomain({ domain: 'a.test', ip: '127.0.0.1', port: backends.root!.port });
    await ops().addDomain({ domain: 'other.test', ip: '127.0.0.1', port: backends.other!.port });
    pid0 = await op.workerPid();
  });
  after(async () => {
    await op?.stop();
    for (const b of Object.values(backends)) await b.close();
  });

  test('redirect-https: 308 (or 301) to https:// with the same path and query, for that host only; HTTPS itself is served', async () => {
    await ops().setRules({ domain: 'a.test', rules: { redirectHttps: true } });
    const r = await http('a.test', '/p/q?x=1&y=a%20b');
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, `https://a.test:${op.httpsPort}/p/q?x=1&y=a%20b`);
    assert.equal((await http('other.test', '/p')).body, 'other /p', 'another host is not redirected');
    assert.equal((await https('a.test', '/p?x=1')).body, 'root /p?x=1', 'HTTPS is served, no loop');
    await ops().setRules({ domain: 'a.test', rules: { redirectHttps: true, redirectCode: 301 } });
    assert.equal((await http('a.test', '/z')).status, 301);
    await ops().setRules({ domain: 'a.test', rules: null });
    assert.equal((await http('a.test', '/z')).body, 'root /z', 'cleared: served again over plain HTTP');
    assert.equal(await op.workerPid(), pid0, 'no reload');
  });

  test('redirect-to: apex to www and www to apex, keeping scheme, path and query', async () => {
    await ops().addDomain({ domain: 'b.test', ip: '127.0.0.1', port: backends.other!.port });
    await ops().addDomain({ domain: 'www.c.test', ip: '127.0.0.1', port: backends.other!.port });
    await ops().setRules({ domain: 'b.test', rules: { redirectTo: 'www.b.test', redirectCode: 301 } });
    await ops().setRules({ domain: 'www.c.test', rules: { redirectTo: 'c.test' } });
    const apex = await http('b.test', '/x/y?q=1');
    assert.equal(apex.status, 301);
    assert.equal(apex.headers.location, `http://www.b.test:${op.httpPort}/x/y?q=1`);
    const www = await https('www.c.test', '/x?q=2');
    assert.equal(www.status, 308);
    assert.equal(www.headers.location, `https://c.test:${op.httpsPort}/x?q=2`);
    assert.equal((await http('a.test', '/x')).body, 'root /x', 'a host without the rule is served');
    assert.equal(await op.workerPid(), pid0, 'no reload');
  });

  test('paths: longest prefix wins whatever the order added, whole segments only, strip-prefix; the host keeps its own servers', async () => {
    // The longer prefix first, the shorter after: HAProxy must still pick the longest.
    await ops().addDomain({ domain: 'a.test/api/v2', ip: '127.0.0.1', port: backends.v2!.port });
    await ops().addDomain({ domain: 'a.test/api', ip: '127.0.0.1', port: backends.api!.port });
    const body = async (path: string) => (await http('a.test', path)).body;
    assert.equal(await body('/api/v2/users?id=7'), 'v2 /api/v2/users?id=7');
    assert.equal(await body('/api/users'), 'api /api/users');
    assert.equal(await body('/api'), 'api /api');
    assert.equal(await body('/apix'), 'root /apix', '/api does not match /apix');
    assert.equal(await body('/'), 'root /');
    assert.equal((await https('a.test', '/api/v2/x')).body, 'v2 /api/v2/x', 'over HTTPS too');
    assert.equal((await http('other.test', '/api/v2')).body, 'other /api/v2', 'another host has no paths');

    await ops().setRules({ domain: 'a.test/api/v2', rules: { stripPrefix: true } });
    assert.equal(await body('/api/v2/users?id=7'), 'v2 /users?id=7');
    assert.equal(await body('/api/v2'), 'v2 /');
    assert.equal(await body('/api/users'), 'api /api/users', 'the other path keeps its prefix');

    const explained = await explainRoute({ ops: ops() }, 'a.test');
    assert.ok(explained.rules?.some((l) => /^path \/api\/v2 -> pool_\d+ \(prefix stripped\)/.test(l)), `explain lists the path routes: ${explained.rules?.join(' | ')}`);
    assert.ok(explained.rules?.some((l) => /^path \/api -> pool_\d+ \(longest/.test(l)), explained.rules?.join(' | '));

    await ops().removeDomain({ domain: 'a.test/api' });
    assert.equal(await body('/api/users'), 'root /api/users', 'a removed path falls back to the host');
    assert.equal(await body('/api/v2/a'), 'v2 /a');
    assert.equal(await op.workerPid(), pid0, 'no reload');
  });

  test('headers: HSTS over HTTPS only, custom headers on both, for that host only; values with quotes and ; intact', async () => {
    const csp = "default-src 'self'; img-src * data:";
    await ops().setRules({ domain: 'other.test', rules: { hsts: 'max-age=31536000; includeSubDomains', headers: { 'X-Frame-Options': 'DENY', 'Content-Security-Policy': csp } } });
    const tls = await https('other.test', '/');
    assert.equal(tls.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    assert.equal(tls.headers['x-frame-options'], 'DENY');
    assert.equal(tls.headers['content-security-policy'], csp);
    const plain = await http('other.test', '/');
    assert.equal(plain.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP (RFC 6797)');
    assert.equal(plain.headers['x-frame-options'], 'DENY');
    const a = await https('a.test', '/');
    assert.equal(a.headers['strict-transport-security'], undefined, 'another host gets none');
    assert.equal(a.headers['x-frame-options'], undefined);
    assert.equal(await op.workerPid(), pid0, 'no reload');
  });

  test('after kill -9 of the worker, HAProxy restarts with every rule and path in place', async () => {
    await ops().setRules({ domain: 'a.test', rules: { redirectHttps: true } });
    assert.deepEqual((await explainRoute({ ops: ops() }, 'other.test')).rules?.slice(0, 2), [
      'hsts: HTTPS answers carry Strict-Transport-Security: max-age=31536000; includeSubDomains',
      "headers: answers carry X-Frame-Options: DENY; Content-Security-Policy: default-src 'self'; img-src * data:",
    ], 'explain: a line per rule');
    const sup = op.operator.supervisor!;
    const before = sup.workerPid();
    process.kill(before, 'SIGKILL');
    await waitFor(async () => sup.workerPid() !== before && sup.workerPid() > 0 && (await http('a.test', '/q').catch(() => undefined))?.status === 308, {
      timeoutMs: 20_000,
      message: 'HAProxy restarted and redirects a.test again',
    });
    assert.equal((await https('a.test', '/api/v2/x')).body, 'v2 /x', 'path route and strip-prefix restored');
    assert.equal((await https('other.test', '/')).headers['x-frame-options'], 'DENY', 'headers restored');
    assert.equal((await http('b.test', '/r')).headers.location, `http://www.b.test:${op.httpPort}/r`, 'host redirect restored');
  });
});
