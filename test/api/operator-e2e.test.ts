/**
 * @module The CLI against a running operator, end to end: runCli talks over
 * a real HTTP listener to /api/v1, backed by a real operator (managed
 * HAProxy) and a real resources controller. apply routes a host to a local
 * HTTP server with no reload; get shows conditions that reflect HAProxy's
 * health; explain shows pool, servers and why; an invalid file changes
 * nothing; delete gives 503; a stopped operator is a clear error. Loopback
 * is not trusted here, so every call needs the token. Skips without haproxy.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parse } from 'yaml';
import { haproxyMissing, startTestOperator, testEachHaproxy } from '../helpers/haproxy.ts';
import { get, getText, startBackend } from '../helpers/http.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';
import { createHttpListener } from '../../src/http/listener.ts';
import { createMcpAuth } from '../../src/mcp/auth.ts';
import { explainRoute } from '../../src/mcp/explain.ts';
import { createResourceController } from '../../src/resources/controller.ts';
import { mountApi } from '../../src/api/routes.ts';
import { runCli } from '../../src/cli/run.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { domainManifest } from '../helpers/manifests.ts';

const skip = haproxyMissing();
const logger = pino({ level: 'silent' });
const TOKEN = 'e2e-token-abcdef0123456789';

const domainYaml = (name: string, host: string, port: number, check = '') => domainManifest({ name, host, port, check });


interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

testEachHaproxy('CLI -> HTTP API -> operator -> HAProxy, with no reload', { skip }, async (t, haproxy) => {
  const defer = deferCleanup(t);
  const backend = await startBackend('api-backend');
  defer(() => backend.close());
  const h = await startTestOperator({ pools: 5, haproxy });
  defer(() => h.stop());
  const work = await mkdtemp(join(tmpdir(), 'hop-cli-e2e-'));
  defer(() => rm(work, { recursive: true, force: true }));
  const resourcesDir = join(work, 'resources');
  const controller = createResourceController({ dir: resourcesDir, stateDir: h.stateDir, ops: h.operator.ops, logger, debounceMs: 50, resyncMs: 300 });
  await controller.start();
  defer(() => controller.stop());
  const listener = createHttpListener({ logger, port: 0 });
  mountApi(listener, {
    // Loopback is deliberately untrusted: the token must travel.
    auth: createMcpAuth({ token: TOKEN, trustedNetworks: ['100.64.0.0/10'] }),
    logger,
    resources: controller,
    explain: (host) => explainRoute({ ops: h.operator.ops }, host),
  });
  const bound = await listener.start();
  defer(() => listener.stop());
  const tokenFile = join(work, 'mcp-token.env');
  await writeFile(tokenFile, `MCP_TOKEN=${TOKEN}\n`, { mode: 0o600 });

  const cli = async (command: string, argv: string[], opts: { token?: boolean; listen?: string } = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const auth = opts.token === false ? [] : ['--mcp-token-file', tokenFile];
    const code = await runCli(command, [...argv, '--listen', opts.listen ?? `127.0.0.1:${bound.port}`, ...auth], { out: (l) => out.push(l), err: (l) => err.push(l) }, {}, { cwd: work });
    const res = { code, out: out.join('\n'), err: err.join('\n') };
    assert.doesNotMatch(res.out + res.err, new RegExp(TOKEN), 'the token is never printed');
    return res;
  };
  const file = async (name: string, text: string) => {
    await writeFile(join(work, name), text);
    return name;
  };
  const pid = await h.workerPid();

  await t.test('without the token the operator refuses, and nothing changes', async () => {
    const r = await cli('apply', ['-f', await file('web.yaml', domainYaml('web', 'web.test', backend.port))], { token: false });
    assert.equal(r.code, 1);
    assert.match(r.err, /refused the request \(bearer token required\)/);
    assert.equal((await get(h.httpPort, 'web.test')).status, 503);
  });

  await t.test('apply -f: the host reaches the local server through HAProxy', async () => {
    const r = await cli('apply', ['-f', 'web.yaml']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'domain/web created (domain-web.yaml)');
    const reply = await get(h.httpPort, 'web.test');
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'api-backend');
    const again = await cli('apply', ['-f', 'web.yaml']);
    assert.equal(again.out, 'domain/web unchanged (domain-web.yaml)');
  });

  await t.test('get domains -o yaml shows Ready=True once HAProxy sees the server', async () => {
    const ready = await waitFor(
      async () => {
        const r = await cli('get', ['domains', '-o', 'yaml']);
        assert.equal(r.code, 0, r.err);
        const doc = parse(r.out) as { kind: string; items: Array<{ metadata: { name: string }; status: { conditions: Condition[] } }> };
        assert.equal(doc.kind, 'List');
        const c = doc.items.find((i) => i.metadata.name === 'web')?.status.conditions.find((x) => x.type === 'Ready');
        return c?.status === 'True' ? c : undefined;
      },
      { timeoutMs: 8000, message: 'Domain web Ready=True in get -o yaml' },
    );
    assert.equal(ready.reason, 'ServersUp');
    const table = await cli('get', ['domains']);
    assert.match(table.out, /^NAME\s+READY\s+REASON\s+HOSTS\s+SERVERS\s+AGE\nweb\s+True\s+ServersUp\s+web\.test\s+1\s+\d+s$/);
  });

  const closed = await freePort();
  await t.test('a Domain whose server is down is not Ready, and says which server and why', async () => {
    const r = await cli('apply', ['-f', await file('down.yaml', domainYaml('down', 'down.test', closed, '/healthz'))]);
    assert.equal(r.code, 0, r.err);
    const cond = await waitFor(
      async () => {
        const g = await cli('get', ['domain', 'down', '-o', 'yaml']);
        const c = (parse(g.out) as { status: { conditions: Condition[] } }).status.conditions.find((x) => x.type === 'Ready');
        return c?.reason === 'ServersDown' ? c : undefined;
      },
      { timeoutMs: 8000, message: 'Domain down to report ServersDown' },
    );
    assert.equal(cond.status, 'False');
    assert.match(cond.message, new RegExp(`down\\.test 127\\.0\\.0\\.1:${closed} \\(pool_\\d+_1\\) DOWN`));
    const wide = await cli('get', ['domains', '-o', 'wide']);
    assert.match(wide.out, /\ndown\s+False\s+ServersDown\s.*no server up for down\.test/);
  });

  await t.test('explain prints the pool, the servers with health, and why traffic fails', async () => {
    const down = await cli('explain', ['down.test']);
    assert.equal(down.code, 0, down.err);
    const pool = /Route:\s+down\.test (pool_\d+) \(domains\.map\)/.exec(down.out)?.[1];
    assert.ok(pool, down.out);
    assert.match(down.out, new RegExp(`Pool:\\s+${pool} \\(source manifest:`));
    assert.match(down.out, new RegExp(`\\n  ${pool}_1\\s+http\\s+127\\.0\\.0\\.1:${closed}\\s+ready\\s+1\\s+DOWN`));
    assert.match(down.out, /Verdict:\s+plain HTTP for down\.test would FAIL/);
    assert.match(down.out, /Why:\n {2}- no http-family server is ready, weighted and up: plain HTTP requests get 503/);
    assert.match(down.out, new RegExp(`- ${pool}_1: health check failing`));
    const web = await cli('explain', ['web.test', '-o', 'json']);
    const o = JSON.parse(web.out) as { wouldServe: boolean; mapEntry: string; servers: Array<{ port: number; health: string }>; problems: string[] };
    assert.equal(o.wouldServe, true);
    assert.equal(o.servers[0]!.port, backend.port);
    assert.match(o.servers[0]!.health, /^(UP|no check)/);
    assert.deepEqual(o.problems, []);
  });

  await t.test('an invalid file: every problem printed, exit 1, nothing changed', async () => {
    const before = JSON.stringify(h.operator.ops.snapshot());
    const filesBefore = (await readdir(resourcesDir)).sort();
    const bad = await file(
      'bad.yaml',
      `${domainYaml('web', 'web.test', 70000)}---\n${domainYaml('other', 'other.test', backend.port).replace('127.0.0.1', '999.1.1.1')}---\nkind: Nope\n`,
    );
    const r = await cli('apply', ['-f', bad]);
    assert.equal(r.code, 1);
    const lines = r.err.split('\n');
    assert.equal(lines.length, 4, r.err);
    assert.equal(lines[0], 'bad.yaml#0 Domain/web: spec.servers.0.port=70000: not a port (1-65535)');
    assert.match(lines[1]!, /^bad\.yaml#1 Domain\/other: spec\.servers\.0\.address="999\.1\.1\.1": /);
    assert.match(lines[2]!, /^bad\.yaml#2: /);
    assert.equal(lines[3], 'error: 3 problem(s); nothing was changed');
    assert.equal(r.out, '');
    assert.equal(JSON.stringify(h.operator.ops.snapshot()), before);
    assert.deepEqual((await readdir(resourcesDir)).sort(), filesBefore);
    assert.equal((await get(h.httpPort, 'web.test')).body, 'api-backend');
  });

  await t.test('apply --dry-run shows the runtime steps and changes nothing', async () => {
    const before = JSON.stringify(h.operator.ops.snapshot());
    const r = await cli('apply', ['-f', await file('new.yaml', domainYaml('new', 'new.test', backend.port)), '--dry-run']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^domain\/new created \(dry run\) \(domain-new\.yaml\)\n {2}would: /);
    assert.equal(JSON.stringify(h.operator.ops.snapshot()), before);
    assert.equal((await get(h.httpPort, 'new.test')).status, 503);
    assert.ok(!(await readdir(resourcesDir)).includes('domain-new.yaml'));
  });

  await t.test('delete -f -> 503', async () => {
    const r = await cli('delete', ['-f', 'web.yaml']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'domain/web deleted (domain-web.yaml)');
    await waitFor(async () => (await getText(h.httpPort, 'web.test')).startsWith('503'), { timeoutMs: 3000, message: 'web.test to answer 503' });
    const gone = await cli('get', ['domain', 'web']);
    assert.equal(gone.code, 1);
    assert.equal(gone.err, 'error: Domain/web not found');
    const twice = await cli('delete', ['-f', 'web.yaml']);
    assert.equal(twice.code, 1);
    assert.match(twice.err, /^web\.yaml#0 Domain\/web: metadata\.name="web": Domain\/web not found\nerror: 1 problem\(s\); nothing was changed$/);
  });

  await t.test('no reload: the HAProxy worker PID is unchanged', async () => {
    assert.equal(await h.workerPid(), pid);
  });

  await t.test('operator down: a clear error naming the address', async () => {
    await listener.stop();
    const r = await cli('get', ['domains']);
    assert.equal(r.code, 1);
    assert.equal(r.err, `error: cannot reach the operator at http://127.0.0.1:${bound.port}: connection refused; is it running?`);
  });
});

