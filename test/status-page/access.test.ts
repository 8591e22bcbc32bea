/**
 * @module Who may open the status page and its data, on a real HTTP listener
 * with the real auth judge (operations and HAProxy are the in-memory fakes of
 * the MCP tests: the rule is what is tested here, the browser test runs the
 * whole operator): without the token from an untrusted address every data
 * route is 401 and the page is a 401 that holds no data; a wrong token is
 * 401; a foreign Origin or Host is 403 even from a trusted address; a
 * trusted address needs no token.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createHttpListener } from '../../src/http/listener.ts';
import { createMcpAuth } from '../../src/mcp/auth.ts';
import { explainRoute } from '../../src/mcp/explain.ts';
import { mountStatusPage } from '../../src/status-page/routes.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { createFakeAdmin, createFakeOps } from '../mcp/fake-ops.ts';

const logger = pino({ level: 'silent' });
const TOKEN = 'status-access-token-0123456789';

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One request; for an event stream, reads until the first snapshot event and closes. */
function call(port: number, path: string, opts: { method?: string; headers?: Record<string, string>; untilEvent?: boolean } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: { connection: 'close', ...opts.headers }, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      const done = () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
        if (opts.untilEvent && /event: snapshot\ndata: .*\n\n/.test(body)) {
          done();
          req.destroy();
        }
      });
      res.on('end', done);
    });
    req.on('timeout', () => req.destroy(new Error(`${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

async function setup(t: TestContext, trustedNetworks: string[]) {
  const defer = deferCleanup(t);
  const dir = await mkdtemp(join(tmpdir(), 'hop-status-access-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  const ops = createFakeOps();
  await ops.addDomain({ domain: 'app.test', ip: '10.0.0.1', port: 8080 });
  const listener = createHttpListener({ logger, port: 0 });
  const hub = mountStatusPage(listener, {
    auth: createMcpAuth({ token: TOKEN, trustedNetworks }),
    logger,
    explain: (host) => explainRoute({ ops }, host),
    sources: { ops, haproxy: createFakeAdmin(), pemCerts: async () => [], auditFile: join(dir, 'audit.log') },
  });
  const bound = await listener.start();
  defer(() => listener.stop());
  defer(() => hub.stop());
  return { port: bound.port, origin: `http://127.0.0.1:${bound.port}` };
}

const bearer = (token = TOKEN) => ({ authorization: `Bearer ${token}` });

test('untrusted address: the page is a 401 without data, every data route needs the token', async (t) => {
  const { port } = await setup(t, ['100.64.0.0/10']);
  const page = await call(port, '/');
  assert.equal(page.status, 401);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(page.body, /Token required/);
  assert.doesNotMatch(page.body, /app\.test/, 'the page itself carries no data');
  assert.equal(page.headers['x-frame-options'], 'DENY');
  const nonce = /script-src 'nonce-([^']+)'/.exec(String(page.headers['content-security-policy']))?.[1];
  assert.ok(nonce && page.body.includes(`<script nonce="${nonce}">`), 'inline script allowed by a per-response nonce, nothing else');
  assert.doesNotMatch(page.body, /<(script|link|img)[^>]+(src|href)=/, 'no external asset');

  for (const path of ['/status/snapshot', '/status/events', '/status/explain?host=app.test']) {
    const none = await call(port, path);
    assert.equal(none.status, 401, `${path} without a token`);
    assert.deepEqual(JSON.parse(none.body), { error: 'bearer token required' });
    assert.match(String(none.headers['www-authenticate']), /^Bearer/);
    const wrong = await call(port, path, { headers: bearer('not-the-token') });
    assert.equal(wrong.status, 401, `${path} with a wrong token`);
    assert.deepEqual(JSON.parse(wrong.body), { error: 'invalid bearer token' });
  }

  assert.equal((await call(port, '/', { headers: bearer() })).status, 200, 'with the token the page is a 200');
  const snapshot = await call(port, '/status/snapshot', { headers: bearer() });
  assert.equal(snapshot.status, 200);
  assert.deepEqual(
    (JSON.parse(snapshot.body) as { hosts: Array<{ host: string }> }).hosts.map((h) => h.host),
    ['app.test'],
  );
  const events = await call(port, '/status/events', { headers: bearer(), untilEvent: true });
  assert.equal(events.status, 200);
  assert.match(String(events.headers['content-type']), /^text\/event-stream/);
  assert.match(events.body, /event: snapshot\ndata: \{.*"host":"app\.test"/);
  const explain = await call(port, '/status/explain?host=app.test', { headers: bearer() });
  assert.equal(explain.status, 200);
  assert.match((JSON.parse(explain.body) as { text: string }).text, /Route:\s+app\.test pool_1/);
});

test('a foreign Origin or Host is refused even with the token or from a trusted address; bad input names the field', async (t) => {
  for (const trusted of [['100.64.0.0/10'], ['127.0.0.0/8']]) {
    const { port, origin } = await setup(t, trusted);
    for (const path of ['/', '/status/snapshot', '/status/events']) {
      const foreign = await call(port, path, { headers: { ...bearer(), origin: 'http://evil.example' } });
      assert.equal(foreign.status, 403, `${path} from http://evil.example (trusted ${trusted})`);
      assert.match((JSON.parse(foreign.body) as { error: string }).error, /^Origin "http:\/\/evil\.example" is not this/);
      const otherPort = await call(port, path, { headers: { ...bearer(), origin: 'http://127.0.0.1:1' } });
      assert.equal(otherPort.status, 403, `${path} from another port of the same host`);
      const crossSite = await call(port, path, { headers: { ...bearer(), 'sec-fetch-site': 'cross-site' } });
      assert.equal(crossSite.status, 403, `${path} fetched cross-site (no Origin)`);
      const rebound = await call(port, path, { headers: { ...bearer(), host: 'evil.example' } });
      assert.equal(rebound.status, 403, `${path} with Host evil.example (DNS rebinding)`);
    }
    assert.equal((await call(port, '/status/snapshot', { headers: { ...bearer(), origin } })).status, 200, 'own origin accepted');
    const post = await call(port, '/', { method: 'POST', headers: bearer() });
    assert.equal(post.status, 405);
    const bad = await call(port, '/status/explain?host=not_a_host!', { headers: bearer() });
    assert.equal(bad.status, 400);
    assert.equal((JSON.parse(bad.body) as { field: string }).field, 'host');
  }
});

test('a trusted address needs no token', async (t) => {
  const { port } = await setup(t, ['127.0.0.0/8']);
  assert.equal((await call(port, '/')).status, 200);
  assert.equal((await call(port, '/status/snapshot')).status, 200);
  assert.equal((await call(port, '/status/events', { untilEvent: true })).status, 200);
});
