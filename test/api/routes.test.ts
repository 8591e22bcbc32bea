/**
 * @module The /api/v1 routes on a real HTTP listener, with in-memory
 * operations and a fake certificate manager (the real ACME path is covered
 * by test/acme; here only what the API adds matters): the /mcp auth rule,
 * 400s naming field and value, 404/405/413/501, the audit trail, and the
 * `cert` CLI commands over HTTP with the acme module's output and exit codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createHttpListener } from '../../src/http/listener.ts';
import { createMcpAuth } from '../../src/mcp/auth.ts';
import { explainRoute } from '../../src/mcp/explain.ts';
import { mountApi } from '../../src/api/routes.ts';
import { API_PATHS } from '../../src/api/protocol.ts';
import { createResourceController } from '../../src/resources/controller.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { normalizeRequest, type CertManager, type CertStatus, type IssueResult } from '../../src/acme/manager.ts';
import { NotFoundError } from '../../src/model/errors.ts';
import { runCli } from '../../src/cli/run.ts';
import { createFakeOps } from '../mcp/fake-ops.ts';

const logger = pino({ level: 'silent' });
const TOKEN = 'api-test-token-0123456789';

function status(name: string, domains: string[]): CertStatus {
  return { name, domains, wildcard: domains.length > 1, path: `/certs/${name}.pem`, ready: true, notAfter: '2030-01-01T00:00:00.000Z', failures: 0, hotloadPending: false, ordersInWindow: 1 };
}

function fakeCerts() {
  const calls: Array<[string, unknown]> = [];
  const certs: Pick<CertManager, 'list' | 'issue' | 'renew'> = {
    async list() {
      return [status('a.test', ['a.test', '*.a.test'])];
    },
    async issue(req): Promise<IssueResult> {
      calls.push(['issue', req]);
      const n = normalizeRequest(req);
      return { name: n.domain, action: 'issued', hotloaded: true, status: status(n.domain, n.wildcard ? [n.domain, `*.${n.domain}`] : [n.domain]) };
    },
    async renew(req): Promise<IssueResult> {
      calls.push(['renew', req]);
      if (req.domain !== 'a.test') throw new NotFoundError(`certificate ${req.domain}: not managed here; issue it first (cert issue ${req.domain})`);
      return { name: 'a.test', action: 'renewed', hotloaded: true, status: status('a.test', ['a.test']) };
    },
  };
  return { certs, calls };
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out: () => out.join('\n'), err: () => err.join('\n') };
}

/** A listener with the API mounted; loopback is NOT trusted, so the token is needed. */
async function setup(t: import('node:test').TestContext, opts: { resources?: boolean; certs?: boolean; maxBodyBytes?: number } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'hop-api-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const ops = createFakeOps();
  const controller = opts.resources === false ? undefined : createResourceController({ dir: join(dir, 'resources'), stateDir: dir, ops, logger, resyncMs: 0 });
  if (controller) {
    await controller.start();
    t.after(() => controller.stop());
  }
  const fc = fakeCerts();
  const listener = createHttpListener({ logger, port: 0 });
  const audit = createAuditLog({ file: join(dir, 'audit.log'), logger });
  mountApi(listener, {
    auth: createMcpAuth({ token: TOKEN, trustedNetworks: ['100.64.0.0/10'] }),
    logger,
    ...(controller ? { resources: controller } : {}),
    ...(opts.certs === false ? {} : { certs: fc.certs }),
    explain: (host) => explainRoute({ ops }, host),
    audit,
    ...(opts.maxBodyBytes ? { maxBodyBytes: opts.maxBodyBytes } : {}),
  });
  const bound = await listener.start();
  t.after(() => listener.stop());
  const auth = { authorization: `Bearer ${TOKEN}` };
  const call = (path: string, init: RequestInit & { token?: boolean } = {}) =>
    fetch(`${bound.url}${path}`, {
      ...init,
      headers: { ...(init.token === false ? {} : auth), ...(init.method === 'POST' ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) },
    });
  const cli = async (command: string, argv: string[], env: NodeJS.ProcessEnv = { HAPROXY_OPERATOR_MCP_TOKEN: TOKEN }) => {
    const c = capture();
    const code = await runCli(command, [...argv, '--listen', `127.0.0.1:${bound.port}`], c.io, env);
    return { code, out: c.out(), err: c.err() };
  };
  return { bound, call, cli, ops, certCalls: fc.calls, dir };
}

test('auth: same rule as /mcp: loopback untrusted here -> 401 with WWW-Authenticate; the token works', async (t) => {
  const { call, cli } = await setup(t);
  const none = await call(`${API_PATHS.resources}?kind=domains`, { token: false });
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer /);
  assert.deepEqual(await none.json(), { error: 'bearer token required' });
  const wrong = await call(`${API_PATHS.resources}?kind=domains`, { token: false, headers: { authorization: 'Bearer nope' } });
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers.get('www-authenticate') ?? '', /invalid_token/);
  // A refused POST is refused before its body is read.
  const post = await call(API_PATHS.apply, { method: 'POST', token: false, body: 'kind: Domain\n' });
  assert.equal(post.status, 401);
  assert.equal((await call(`${API_PATHS.resources}?kind=domains`)).status, 200);

  const noToken = await cli('get', ['domains'], {});
  assert.equal(noToken.code, 1);
  assert.match(noToken.err, /the operator refused the request \(bearer token required\): give a token with --mcp-token-file or HAPROXY_OPERATOR_MCP_TOKEN/);
  const badToken = await cli('get', ['domains'], { HAPROXY_OPERATOR_MCP_TOKEN: 'wrong-token-value' });
  assert.equal(badToken.code, 1);
  assert.match(badToken.err, /invalid bearer token\): the token given was refused/);
  assert.doesNotMatch(badToken.err, /wrong-token-value/);
  const ok = await cli('get', ['domains']);
  assert.equal(ok.code, 0, ok.err);
  assert.equal(ok.out, 'No Domain resources found.');
});

test('a trusted source range needs no token', async (t) => {
  const listener = createHttpListener({ logger, port: 0 });
  mountApi(listener, { auth: createMcpAuth({}), logger, explain: async () => assert.fail('not called') });
  const bound = await listener.start();
  t.after(() => listener.stop());
  const res = await fetch(`${bound.url}${API_PATHS.certs}`);
  assert.equal(res.status, 501, 'past auth: certs are simply not configured here');
  assert.match(((await res.json()) as { error: string }).error, /certificate issuance is not configured: set --acme-email/);
});

test('bad input: 400 with {error} naming the field and the value; 404, 405, 413, 501', async (t) => {
  const { call } = await setup(t, { maxBodyBytes: 2000 });
  const expect400 = async (res: Response, field: string, re: RegExp) => {
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: string; field?: string };
    assert.match(body.error, re);
    if (field) assert.equal(body.field, field);
  };
  await expect400(await call(`${API_PATHS.resources}?kind=pods`), 'kind', /^kind="pods": expected one of domains, certificates, issuers$/);
  await expect400(await call(API_PATHS.resources), 'kind', /^kind=undefined: expected one of/);
  await expect400(await call(`${API_PATHS.explain}?host=a%20b`), 'host', /^host="a b": not a valid host name/);
  await expect400(await call(API_PATHS.explain), 'host', /^host=undefined: required/);
  await expect400(await call(`${API_PATHS.apply}?dryRun=maybe`, { method: 'POST', body: '' }), 'dryRun', /^dryRun="maybe": expected true or false$/);
  await expect400(await call(API_PATHS.certsIssue, { method: 'POST', body: '{nope' }), 'body', /^body="\{nope": not JSON$/);
  await expect400(await call(API_PATHS.certsIssue, { method: 'POST', body: '[]' }), 'body', /expected a JSON object/);
  await expect400(await call(API_PATHS.certsIssue, { method: 'POST', body: JSON.stringify({ domain: 'a.test', wildcards: true }) }), '', /wildcards/);
  await expect400(await call(API_PATHS.certsIssue, { method: 'POST', body: JSON.stringify({ domain: 'not a host' }) }), 'domain', /^domain="not a host": not a host name/);
  await expect400(await call(API_PATHS.certsRenew, { method: 'POST', body: JSON.stringify({ domain: 'a.test', force: 'yes' }) }), 'force', /^force="yes": /);

  const apply = await call(API_PATHS.apply, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: 'apiVersion: haproxy-operator.io/v1alpha1\nkind: Domain\nmetadata: {name: w}\nspec: {hosts: [w.test], servers: [{address: 1.2.3, port: 80}]}\n' });
  assert.equal(apply.status, 400);
  const applied = (await apply.json()) as { ok: boolean; error: string; problems: Array<{ field: string; value: unknown }> };
  assert.equal(applied.ok, false);
  assert.match(applied.error, /1 problem\(s\) in the manifests; nothing was changed/);
  assert.deepEqual(applied.problems.map((p) => [p.field, p.value]), [['spec.servers.0.address', '1.2.3']]);

  const missing = await call(`${API_PATHS.resources}?kind=domain&name=nope`);
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { error: 'Domain/nope not found' });
  assert.equal((await call('/api/v1/nothing-here')).status, 404);
  const method = await call(API_PATHS.apply);
  assert.equal(method.status, 405);
  assert.equal(method.headers.get('allow'), 'POST');
  const big = await call(API_PATHS.apply, { method: 'POST', body: `# ${'x'.repeat(3000)}\n` });
  assert.equal(big.status, 413);
  assert.match(((await big.json()) as { error: string }).error, /larger than the limit of 2000 bytes/);
});

test('without a resources controller: apply/get answer 501 and the CLI says how to enable it', async (t) => {
  const { call, cli } = await setup(t, { resources: false });
  assert.equal((await call(`${API_PATHS.resources}?kind=domains`)).status, 501);
  const r = await cli('get', ['domains']);
  assert.equal(r.code, 1);
  assert.match(r.err, /^error: resources are not enabled in this operator: start it with --resources-dir$/);
});

test('cert list|issue|renew over the API: the acme module output, arguments passed through, audit recorded', async (t) => {
  const { cli, certCalls, dir } = await setup(t);
  const list = await cli('cert', ['list']);
  assert.equal(list.code, 0, list.err);
  assert.match(list.out, /^NAME\s+DOMAINS\s+SOURCE\s+ISSUER\s+READY\s+EXPIRES/);
  assert.match(list.out, /\na\.test\s+a\.test,\*\.a\.test\s+-\s+-\s+yes/);
  const json = await cli('cert', ['list', '--json']);
  assert.deepEqual(JSON.parse(json.out).map((s: CertStatus) => s.name), ['a.test']);

  const issue = await cli('cert', ['issue', 'b.test', '--wildcard']);
  assert.equal(issue.code, 0, issue.err);
  assert.match(issue.out, /^b\.test: issued \(b\.test, \*\.b\.test\), expires 2030-01-01T00:00:00\.000Z: served by HAProxy now$/);
  const renew = await cli('cert', ['renew', 'a.test', '--force']);
  assert.equal(renew.code, 0, renew.err);
  assert.match(renew.out, /^a\.test: renewed/);
  assert.deepEqual(certCalls, [
    ['issue', { domain: 'b.test', wildcard: true }],
    ['renew', { domain: 'a.test', wildcard: false, force: true }],
  ]);

  const bad = await cli('cert', ['issue', 'not_a_host']);
  assert.equal(bad.code, 2, 'a ValidationError from the operator is bad input (exit 2)');
  assert.match(bad.err, /^error: domain="not_a_host": not a host name/);
  const unknown = await cli('cert', ['renew', 'zzz.test']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /certificate zzz\.test: not managed here/);

  const audit = (await readFile(join(dir, 'audit.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { tool: string; args: unknown; outcome: string; caller: string });
  assert.deepEqual(
    audit.map((a) => [a.tool, a.outcome]),
    [
      ['api:cert_issue', 'ok'],
      ['api:cert_renew', 'ok'],
      // The bad name is refused by the body's parse, before anything runs (as every route's bad input); the unknown name ran and failed.
      ['api:cert_renew', 'error'],
    ],
  );
  assert.equal(audit[0]!.caller, '127.0.0.1');
});

test('explain over the API: unrouted and routed hosts, text and JSON', async (t) => {
  const { cli, ops } = await setup(t);
  const none = await cli('explain', ['nope.test']);
  assert.equal(none.code, 0, none.err);
  assert.match(none.out, /Route:\s+none \(no domains\.map entry\)/);
  assert.match(none.out, /Why:\n {2}- no domains\.map entry for nope\.test/);
  await ops.addDomain({ domain: 'ok.test', ip: '10.0.0.1', port: 8080 });
  const ok = await cli('explain', ['OK.test', '-o', 'json']);
  const out = JSON.parse(ok.out) as { host: string; routed: boolean; pool: number; wouldServe: boolean; servers: Array<{ name: string }> };
  assert.equal(out.host, 'ok.test', 'the host is normalised like the MCP tool does');
  assert.equal(out.routed, true);
  assert.equal(out.wouldServe, true);
  assert.deepEqual(out.servers.map((s) => s.name), ['pool_1_1']);
  const bad = await cli('explain', ['a..b']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^error: host="a\.\.b": not a valid host name/);
});
