/**
 * @module The access rules through a running operator and a real HAProxy
 * 2.6 and 3.0, set by MCP (haproxy_set_rules) and by a Domain manifest:
 * the allowlist answers 403, basic auth 401 with its realm (right, wrong and
 * no password), the rate limit 429 with Retry-After; bad values are refused
 * naming the field and the value and change nothing; the worker PID stays
 * the same; the rules hold after kill -9 of the HAProxy worker and after an
 * operator restart (whose first resync keeps the stored hashes); and no
 * password or hash appears in an MCP answer, the log or the audit log.
 * One operator per HAProxy version, shared by the steps.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, after, test } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describeEachHaproxy, haproxyMissing, startTestOperator, type TestOperator } from '../helpers/haproxy.ts';
import { startBackend, type Backend } from '../helpers/http.ts';
import { accessGet, accessStatus } from '../helpers/access-client.ts';
import { domainManifest } from '../helpers/manifests.ts';
import { waitFor } from '../helpers/wait.ts';
import { captureRootLogger, type CapturedLog } from '../log/capture.ts';
import { connectInMemory, textOf } from './harness.ts';
import { createResourceController, type ResourceController } from '../../src/resources/controller.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { statePaths } from '../../src/operator.ts';

const HASH = /[0-9a-f]{32}:[0-9a-f]{64}/;
const MCP_PASSWORD = 'mcp-pw-9f3e1c';
const FILE_PASSWORD = 'file-pw-7a2b4d';

describeEachHaproxy('access rules through the operator', { skip: haproxyMissing() ?? false, timeout: 120_000 }, (haproxy) => {
  let dir: string;
  let stateDir: string;
  let op: TestOperator;
  let log: CapturedLog;
  let backend: Backend;
  let mcp: Awaited<ReturnType<typeof connectInMemory>>;
  let controller: ResourceController;
  let pid: number;
  const answers: string[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];

  async function startOperator(): Promise<void> {
    op = await startTestOperator({ pools: 5, slots: 4, stateDir, logger: log.logger, haproxy });
    const audit = createAuditLog({ file: join(stateDir, 'audit.log'), logger: log.logger });
    mcp = await connectInMemory({ ops: op.operator.ops, admin: op.operator.admin, logger: log.logger, audit, settings: { slots: 4 } });
    controller = createResourceController({ dir: join(dir, 'manifests'), stateDir, ops: op.operator.ops, logger: log.logger, debounceMs: 50, resyncMs: 0 });
    await controller.start();
  }
  async function stopOperator(): Promise<void> {
    await controller.stop();
    await mcp.close();
    await op.stop({ keepState: true });
  }
  /** Calls a tool; keeps every answer for the secret check at the end. */
  async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    const result = (await mcp.client.callTool({ name, arguments: args })) as CallToolResult;
    answers.push(JSON.stringify(result));
    return result;
  }
  const status = (host: string, from?: string, auth?: [string, string]) => accessStatus({ port: op.httpPort, host, ...(from ? { from } : {}), ...(auth ? { auth } : {}) });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hop-access-op-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    stateDir = join(dir, 'state');
    log = captureRootLogger('debug');
    backend = await startBackend('backend-ok');
    cleanups.push(() => backend.close());
    await mkdir(join(dir, 'manifests'));
    await mkdir(stateDir);
    await startOperator();
    cleanups.push(() => stopOperator());
    pid = await op.workerPid();
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  test('MCP: allowlist 403, basic auth 401 with realm, rate limit 429 with Retry-After; no reload', async () => {
    await op.operator.ops.addDomain({ domain: 'mcp.test', ip: '127.0.0.1', port: backend.port });
    assert.equal(await status('mcp.test'), 200);

    let r = await call('haproxy_set_rules', { domain: 'mcp.test', rules: { allow: ['127.0.0.2/32', '10.0.0.0/8'] } });
    assert.ok(!r.isError, textOf(r));
    assert.equal(await status('mcp.test', '127.0.0.1'), 403);
    assert.equal(await status('mcp.test', '127.0.0.2'), 200);

    r = await call('haproxy_set_rules', { domain: 'mcp.test', rules: { basicAuth: { realm: 'MCP staff', users: [{ user: 'bob', password: MCP_PASSWORD }] } } });
    assert.ok(!r.isError, textOf(r));
    const denied = await accessGet({ port: op.httpPort, host: 'mcp.test' });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers['www-authenticate'], 'Basic realm="MCP staff"');
    assert.equal(await status('mcp.test', undefined, ['bob', 'wrong']), 401);
    assert.equal(await status('mcp.test', undefined, ['eve', MCP_PASSWORD]), 401);
    assert.equal(await status('mcp.test', undefined, ['bob', MCP_PASSWORD]), 200);

    r = await call('haproxy_set_rules', { domain: 'mcp.test', rules: { rateLimit: { rate: 1, burst: 2 } } });
    assert.ok(!r.isError, textOf(r));
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await accessGet({ port: op.httpPort, host: 'mcp.test', from: '127.0.0.3' }));
    const limited = replies.find((x) => x.status === 429);
    assert.ok(limited, `a 429 among ${replies.map((x) => x.status).join(',')}`);
    assert.match(String(limited.headers['retry-after']), /^[1-9][0-9]*$/);
    assert.equal(await op.workerPid(), pid, 'no reload');
  });

  test('MCP: bad values are refused naming field and value and change nothing', async () => {
    await call('haproxy_set_rules', { domain: 'mcp.test', rules: { allow: ['127.0.0.2/32'], basicAuth: { users: [{ user: 'bob', password: MCP_PASSWORD }] } } });
    const before = JSON.stringify(op.operator.ops.getDomain('mcp.test'));
    for (const [rules, want] of [
      [{ allow: ['10.1.2.3/8'] }, /allow.*10\.1\.2\.3\/8.*host bits set/s],
      [{ rateLimit: { rate: 10, burst: 5 } }, /rateLimit.*burst is below the rate/s],
      [{ basicAuth: { credentialsRef: { env: 'HOME' } } }, /basicAuth.*credentialsRef/s],
      [{ basicAuth: { realm: 'a"b', users: [{ user: 'bob', password: MCP_PASSWORD }] } }, /basicAuth\.realm.*not a realm/s],
      [{ allow: ['::ffff:1.2.3.4/96'] }, /allow.*host bits set/s],
    ] as const) {
      const r = await call('haproxy_set_rules', { domain: 'mcp.test', rules });
      assert.ok(r.isError, `refused: ${JSON.stringify(rules)}`);
      assert.match(textOf(r), want);
    }
    assert.equal(JSON.stringify(op.operator.ops.getDomain('mcp.test')), before, 'nothing changed');
    assert.equal(await status('mcp.test', '127.0.0.2', ['bob', MCP_PASSWORD]), 200);
    assert.equal(await status('mcp.test', '127.0.0.1', ['bob', MCP_PASSWORD]), 403);
  });

  test('MCP answers show basic auth by user name only: list, explain, set', async () => {
    const list = await call('haproxy_list_domains', { domain: 'mcp.test' });
    const view = (list.structuredContent as { domains: Array<{ rules?: { basicAuth?: unknown } }> }).domains[0]!.rules!.basicAuth;
    assert.deepEqual(view, { users: ['bob'], from: 'mcp' });
    const explain = await call('haproxy_explain_route', { host: 'mcp.test' });
    assert.match(textOf(explain), /basic auth: users bob from mcp/);
    const dry = await call('haproxy_set_rules', { domain: 'mcp.test', rules: { basicAuth: { users: [{ user: 'carol', password: MCP_PASSWORD }] } }, dry_run: true });
    assert.match(JSON.stringify(dry.structuredContent), /\(hash redacted\)/, 'the plan shows the rule change, redacted');
  });

  test('Domain manifest: rules from spec.rules with credentials from a file; an inline password is refused', async () => {
    const users = join(dir, 'users');
    await writeFile(users, `alice:${FILE_PASSWORD}\n`, { mode: 0o600 });
    const rules = `  rules:\n    allow: [127.0.0.4/32]\n    rateLimit: {rate: 50}\n    basicAuth:\n      realm: Manifest staff\n      credentialsRef: {file: ${users}}\n`;
    const applied = await controller.applyDocuments(domainManifest({ name: 'man', host: 'man.test', port: backend.port, extra: rules }));
    assert.equal(applied.ok, true, JSON.stringify(applied.problems));
    await waitFor(async () => (await status('man.test', '127.0.0.4')) === 401, { timeoutMs: 5000, message: 'manifest rules in effect' });
    assert.equal(await status('man.test', '127.0.0.1', ['alice', FILE_PASSWORD]), 403);
    assert.equal(await status('man.test', '127.0.0.4', ['alice', FILE_PASSWORD]), 200);
    assert.equal(await status('man.test', '127.0.0.4', ['alice', 'nope']), 401);

    const inline = `  rules:\n    basicAuth:\n      users: [{user: alice, password: ${FILE_PASSWORD}}]\n`;
    const refused = await controller.applyDocuments(domainManifest({ name: 'man', host: 'man.test', port: backend.port, extra: inline }));
    assert.equal(refused.ok, false);
    const text = JSON.stringify(refused.problems);
    assert.match(text, /basicAuth/);
    assert.match(text, /users/);
    assert.ok(!text.includes(FILE_PASSWORD), 'the refusal does not echo the password');
    assert.equal(await status('man.test', '127.0.0.4', ['alice', FILE_PASSWORD]), 200, 'the good rules stay');
    assert.equal(await op.workerPid(), pid, 'no reload');
  });

  test('rules are restored after kill -9 of the HAProxy worker', async () => {
    const sup = op.operator.supervisor!;
    const worker = sup.workerPid();
    process.kill(worker, 'SIGKILL');
    await waitFor(() => sup.workerPid() !== worker && sup.workerPid() > 0, { timeoutMs: 20_000, message: 'a new worker' });
    await waitFor(async () => (await status('mcp.test', '127.0.0.2', ['bob', MCP_PASSWORD]).catch(() => 0)) === 200, { timeoutMs: 10_000, message: 'mcp.test served again' });
    assert.equal(await status('mcp.test', '127.0.0.1', ['bob', MCP_PASSWORD]), 403);
    assert.equal(await status('mcp.test', '127.0.0.2'), 401);
    assert.equal(await status('man.test', '127.0.0.4'), 401);
    assert.equal(await status('man.test', '127.0.0.4', ['alice', FILE_PASSWORD]), 200);
    pid = await op.workerPid();
  });

  test('an operator restart keeps the rules and the stored hashes (the fresh-process case: test/store/basic-auth-restart.test.ts)', async () => {
    const paths = statePaths(op.settings);
    const hashesBefore = (await readFile(paths.serversFile, 'utf8')).match(new RegExp(HASH.source, 'g'));
    assert.ok(hashesBefore && hashesBefore.length >= 2);
    await stopOperator();
    await startOperator();
    // The controller's start synced the manifest (its credentials file read and hashed again); one more pass for good measure.
    await controller.reconcile();
    const hashesAfter = (await readFile(paths.serversFile, 'utf8')).match(new RegExp(HASH.source, 'g'));
    assert.deepEqual(hashesAfter, hashesBefore, 'no hash re-salted');
    assert.equal(await status('man.test', '127.0.0.4', ['alice', FILE_PASSWORD]), 200);
    assert.equal(await status('mcp.test', '127.0.0.2', ['bob', MCP_PASSWORD]), 200);
  });

  test('no password or hash in MCP answers, the log or the audit log', async () => {
    const audit = await readFile(join(stateDir, 'audit.log'), 'utf8');
    for (const [where, text] of [
      ['MCP answers', answers.join('\n')],
      ['log', log.writes.join('')],
      ['audit log', audit],
    ] as const) {
      assert.match(text, /basic ?auth/i, `${where} speaks of the basic-auth changes`);
      assert.ok(!text.includes(MCP_PASSWORD) && !text.includes(FILE_PASSWORD), `${where} holds a password`);
      assert.doesNotMatch(text, HASH, `${where} holds a hash`);
    }
  });
});
