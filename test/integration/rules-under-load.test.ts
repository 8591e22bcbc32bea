/**
 * Rules change at runtime without disturbing other hosts: under a wrk load on
 * other.test (loopback, bounded to 60 s), a.test's rules (redirect, HSTS,
 * headers, a stripped path route) and b.test's access rules (allowlist, basic
 * auth, rate limit) are added and removed 200 times. wrk must
 * see no failed request, no socket error and no wrong body on other.test,
 * and HAProxy's worker PID must not change (no reload).
 */
import assert from 'node:assert/strict';
import { haproxyMissing, startTestOperator, testEachHaproxy } from '../helpers/haproxy.ts';
import { get, startBackend } from '../helpers/http.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { hasWrk, loadUntilStopped } from '../../bench/lib.ts';
import type { RouteRules } from '../../src/model/rules.ts';

const CYCLES = 200;

testEachHaproxy(
  `a rule added and removed ${CYCLES} times under wrk load: no failed request on another host, no reload`,
  { skip: haproxyMissing() ?? (hasWrk() ? false : 'wrk is not installed (sh scripts/ensure-deps.sh test)'), timeout: 120_000 },
  async (t, haproxy) => {
    const defer = deferCleanup(t);
    const op = await startTestOperator({ haproxy });
    defer(() => op.stop());
    const [a, other] = [await startBackend('a'), await startBackend('other')];
    defer(() => a.close());
    defer(() => other.close());
    const ops = op.operator.ops;
    await ops.addDomain({ domain: 'a.test', ip: '127.0.0.1', port: a.port });
    await ops.addDomain({ domain: 'other.test', ip: '127.0.0.1', port: other.port });
    await ops.addDomain({ domain: 'b.test', ip: '127.0.0.1', port: a.port });
    assert.equal((await get(op.httpPort, 'other.test')).body, 'other');
    const pid = await op.workerPid();

    const load = loadUntilStopped(`http://127.0.0.1:${op.httpPort}/`, 'other.test', 8, 60, { expectBody: 'other' });
    defer(() => load.stop().catch(() => undefined));
    await load.running;
    const rules = { redirectHttps: true, hsts: 'max-age=600', headers: { 'X-Frame-Options': 'DENY' } } as const;
    // As a caller gives it (a password, hashed by the operation's parse); the input type is the parsed shape.
    const access = { allow: ['127.0.0.2/32'], basicAuth: { users: [{ user: 'bob', password: 'load-pw' }] }, rateLimit: { rate: 1 } } as unknown as RouteRules;
    const started = performance.now();
    for (let i = 0; i < CYCLES; i++) {
      await ops.setRules({ domain: 'a.test', rules });
      await ops.addDomain({ domain: 'a.test/api', ip: '127.0.0.1', port: a.port });
      await ops.setRules({ domain: 'a.test/api', rules: { stripPrefix: true } });
      await ops.setRules({ domain: 'b.test', rules: access });
      if (i === 0) assert.equal((await get(op.httpPort, 'a.test', '/x')).status, 308, 'the rule is in effect while set');
      if (i === 0) assert.equal((await get(op.httpPort, 'b.test')).status, 403, 'the access rules are in effect while set');
      await ops.removeDomain({ domain: 'a.test/api' });
      await ops.setRules({ domain: 'a.test', rules: null });
      await ops.setRules({ domain: 'b.test', rules: null });
    }
    const changeMs = performance.now() - started;
    const result = await load.stop();
    t.diagnostic(`${CYCLES} add/remove cycles (7 changes each) in ${Math.round(changeMs)} ms; wrk: ${result.requests} requests on other.test, ${result.non2xx} non-2xx, ${result.socketErrors} socket errors, ${result.wrongBody} wrong bodies`);
    assert.ok(result.requests > 0, 'wrk sent requests');
    assert.equal(result.non2xx, 0, 'no failed request on other.test');
    assert.equal(result.socketErrors, 0, 'no socket error on other.test');
    assert.equal(result.wrongBody, 0, 'every answer came from other.test');
    assert.equal((await get(op.httpPort, 'a.test', '/x')).body, 'a', 'rules removed: a.test served plainly');
    assert.equal((await get(op.httpPort, 'b.test')).status, 200, 'access rules removed: b.test served plainly');
    assert.equal(await op.workerPid(), pid, 'no reload');
  },
);
