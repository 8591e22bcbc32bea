/**
 * `haproxy-operator import` as a new user runs it, through the real CLI
 * (src/main.ts in a child process). Bugs: on a fresh host (no state
 * directory) it crashed with an ENOENT stack trace on operator.lock; the
 * imported mcp-token.env was not used unless --mcp-token-file was passed;
 * cloudflare.ini was looked for only in ~/.secrets; `import --help` printed
 * the global help; the import was not audited. Then the imported operator
 * (real HAProxy, real MCP listener) is started with no token option and
 * refuses /mcp without the imported token and accepts it with it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ALL_OPTIONS } from '../../src/config/options.ts';
import { resolveSettings } from '../../src/config/settings.ts';
import { startRunningOperator } from '../mcp/running-operator.ts';
import { haproxyMissing } from '../helpers/haproxy.ts';
import { deferCleanup } from '../helpers/cleanup.ts';
import { SECRET_CF, SECRET_TOKEN, writeOriginalInstall } from './original-install.ts';

const run = promisify(execFile);
const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;
const skip = haproxyMissing();

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', MAIN, ...args], { env: { ...process.env, ...env }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('import --help is the import command\'s own help', async () => {
  const r = await cli(['import', '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^haproxy-operator import: import an install of the original suite/);
  assert.match(r.stdout, /--from <value>/);
  assert.match(r.stdout, /--cloudflare-ini <value>/);
  assert.doesNotMatch(r.stdout, /mcp --stdio|--acme-email|render-config/, 'not the global help');
});

test('import on a fresh host creates the state dir 0700, finds cloudflare.ini in the install, is audited, and the operator then uses the imported token', { skip, timeout: 90_000 }, async (t) => {
  const defer = deferCleanup(t);
  const inst = await writeOriginalInstall({ map: 'a.test pool_1\n', servers: { 'a.test': { '1': { ip: '10.0.0.1', port: 8080 } } }, cloudflare: null });
  defer(() => rm(inst.root, { recursive: true, force: true }));
  await writeFile(join(inst.from, 'conf', 'cloudflare.ini'), `dns_cloudflare_api_token = ${SECRET_CF}\n`, { mode: 0o600 });
  const home = join(inst.root, 'home');
  await mkdir(home);
  const stateDir = join(inst.root, 'fresh', 'state');

  const r = await cli(['import', '--from', inst.from, '--state-dir', stateDir], { HOME: home });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal((await stat(stateDir)).mode & 0o777, 0o700);
  assert.match(r.stdout, new RegExp(`Cloudflare API token \\(${join(inst.from, 'conf', 'cloudflare.ini').replace(/[.]/g, '\\.')}\\): found`));
  assert.match(r.stdout, /the imported token \(.*mcp-token\.env\) is used by default/);
  assert.match(r.stdout, /--cloudflare-credentials .*cloudflare\.ini/);
  assert.ok(!r.stdout.includes(SECRET_TOKEN) && !r.stdout.includes(SECRET_CF), 'no secret printed');

  const audit = (await readFile(join(stateDir, 'audit.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(audit.length, 1);
  assert.equal(audit[0]!.tool, 'cli:import');
  assert.equal(audit[0]!.outcome, 'ok');
  assert.deepEqual((audit[0]!.result as { domains: string[] }).domains, ['a.test pool_1']);
  assert.match(String(audit[0]!.caller), /^cli:/);

  // The operator started on that state directory with no token option: the imported token is required off the trusted ranges.
  const op = await startRunningOperator({ stateDir, flags: { trustedNetworks: '192.0.2.0/24' }, cwd: inst.root });
  defer(() => op.stop());
  assert.equal(op.settings.mcpTokenFile, join(stateDir, 'mcp-token.env'));
  const running = op.running;
  const initialize = (token?: string) =>
    fetch(`${running.httpUrl}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: '{"jsonrpc":"2.0","method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"t","version":"1"}},"id":0}',
    });
  assert.equal((await initialize()).status, 401, 'no token: refused');
  assert.equal((await initialize('wrong-token-0123456789')).status, 401);
  assert.equal((await initialize(SECRET_TOKEN)).status, 200, 'the imported token works');
  // An explicit token in the environment still wins over the imported file.
  assert.equal(resolveSettings({ stateDir }, { HAPROXY_OPERATOR_MCP_TOKEN: 'x'.repeat(24) }, inst.root, ALL_OPTIONS).mcpTokenFile, undefined);
});

test('cloudflare.ini is looked for in ~/.secrets and at a given path, and the report names every place searched when absent', async (t) => {
  const defer = deferCleanup(t);
  const inst = await writeOriginalInstall({ map: 'a.test pool_1\n', servers: {}, cloudflare: null });
  defer(() => rm(inst.root, { recursive: true, force: true }));
  const home = join(inst.root, 'home');
  await mkdir(join(home, '.secrets'), { recursive: true });
  const stateDir = join(inst.root, 'state');

  const none = await cli(['import', '--from', inst.from, '--state-dir', stateDir, '--dry-run'], { HOME: home });
  assert.match(none.stdout, /Cloudflare API token: not found \(looked in .*opt\/cloudflare\.ini, .*opt\/conf\/cloudflare\.ini, .*home\/\.secrets\/cloudflare\.ini/);

  await writeFile(join(home, '.secrets', 'cloudflare.ini'), `dns_cloudflare_api_token = ${SECRET_CF}\n`, { mode: 0o600 });
  const inHome = await cli(['import', '--from', inst.from, '--state-dir', stateDir, '--dry-run'], { HOME: home });
  assert.match(inHome.stdout, /Cloudflare API token \(.*home\/\.secrets\/cloudflare\.ini\): found/);

  const elsewhere = join(inst.root, 'elsewhere.ini');
  await writeFile(elsewhere, `dns_cloudflare_api_token = ${SECRET_CF}\n`, { mode: 0o600 });
  const given = await cli(['import', '--from', inst.from, '--state-dir', stateDir, '--dry-run', '--cloudflare-ini', elsewhere], { HOME: home });
  assert.match(given.stdout, /Cloudflare API token \(.*elsewhere\.ini\): found/);
  await assert.rejects(stat(stateDir), 'a dry run creates nothing');
});
