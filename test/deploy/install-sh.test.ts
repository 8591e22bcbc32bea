/**
 * @module deploy/install.sh into a temporary root: the layout and modes are
 * right, the second run changes nothing it must not (token, user's config),
 * a dry run creates nothing, and the shipped .service passes systemd's own
 * unit parser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, rm, stat, writeFile, readdir, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const SCRIPT = join(ROOT, 'deploy', 'install.sh');

async function install(args: string[]): Promise<string> {
  const { stdout } = await run('sh', [SCRIPT, ...args], { timeout: 20_000 });
  return stdout;
}

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

test('install.sh twice into a temp prefix: tree, modes, kept token and config, units installed', async (t) => {
  const prefix = await mkdtemp(join(tmpdir(), 'hop-install-'));
  t.after(() => rm(prefix, { recursive: true, force: true }));
  const first = await install(['--prefix', prefix]);
  const base = join(prefix, 'opt', 'haproxy');
  assert.equal(await mode(base), 0o755);
  assert.equal(await mode(join(base, 'conf')), 0o755);
  assert.equal(await mode(join(base, 'certs')), 0o700);
  assert.equal(await mode(join(base, 'run')), 0o755);
  assert.equal(await mode(join(base, 'state')), 0o700);
  assert.equal(await mode(join(base, 'conf', 'mcp-token.env')), 0o600);
  const token = await readFile(join(base, 'conf', 'mcp-token.env'), 'utf8');
  assert.match(token, /^MCP_TOKEN=[0-9a-f]{64}\n$/);
  // What HAProxy needs before its first start: empty maps and one PEM (0600) for the TLS bind.
  assert.equal(await readFile(join(base, 'conf', 'domains.map'), 'utf8'), '');
  assert.equal(await readFile(join(base, 'conf', 'checks.map'), 'utf8'), '');
  assert.equal(await readFile(join(base, 'conf', 'hold.map'), 'utf8'), '', 'install.sh creates the hold map HAProxy loads');
  assert.equal(await readFile(join(base, 'conf', 'rules.map'), 'utf8'), '', 'install.sh creates the rules map HAProxy loads');
  assert.equal(await readFile(join(base, 'conf', 'paths.map'), 'utf8'), '', 'install.sh creates the paths map HAProxy loads');
  const fallback = await readFile(join(base, 'certs', '00-fallback-selfsigned.pem'), 'utf8');
  assert.match(fallback, /BEGIN CERTIFICATE[\s\S]+BEGIN PRIVATE KEY/);
  assert.equal(await mode(join(base, 'certs', '00-fallback-selfsigned.pem')), 0o600);
  assert.ok(!first.includes(token.trim().slice('MCP_TOKEN='.length)), 'the token is never printed');
  assert.equal(
    await readFile(join(base, 'conf', 'operator.yaml'), 'utf8'),
    await readFile(join(ROOT, 'deploy', 'config.example.yaml'), 'utf8'),
  );
  for (const unit of ['haproxy.container', 'haproxy-operator.container']) {
    assert.equal(await readFile(join(prefix, 'etc/containers/systemd', unit), 'utf8'), await readFile(join(ROOT, 'quadlet', unit), 'utf8'));
  }
  assert.equal(await exists(join(prefix, 'etc/systemd/system/haproxy-operator.service')), false, 'quadlet mode installs no .service that would shadow the container');
  assert.match(first, /systemctl daemon-reload/);
  assert.match(first, /systemctl start haproxy\.service haproxy-operator\.service/);

  // The user edits the config and loosens the certs dir; a second run keeps the edit, fixes the mode.
  const edited = '# mine\nmode: external\nhttpPort: 8081\n';
  await writeFile(join(base, 'conf', 'domains.map'), 'kept.test pool_1\n');
  await writeFile(join(base, 'conf', 'operator.yaml'), edited);
  await run('chmod', ['0755', join(base, 'certs')]);
  const second = await install(['--prefix', prefix]);
  assert.equal(await readFile(join(base, 'conf', 'operator.yaml'), 'utf8'), edited, 'user config survives');
  assert.equal(await readFile(join(base, 'conf', 'mcp-token.env'), 'utf8'), token, 'token kept');
  assert.equal(await readFile(join(base, 'conf', 'domains.map'), 'utf8'), 'kept.test pool_1\n', 'routes kept');
  assert.equal(await readFile(join(base, 'certs', '00-fallback-selfsigned.pem'), 'utf8'), fallback, 'fallback PEM not regenerated');
  assert.equal(await mode(join(base, 'certs')), 0o700, 'certs mode enforced');
  assert.match(second, /kept .*operator\.yaml/);
  assert.match(second, /unchanged .*haproxy\.container/);
  const leftovers = (await readdir(join(prefix, 'etc/containers/systemd'))).filter((f) => !f.endsWith('.container'));
  assert.deepEqual(leftovers, [], 'no backups or temp files when nothing changed');
});

test('a changed unit is replaced and the previous copy kept; --operator service installs the .service', async (t) => {
  const prefix = await mkdtemp(join(tmpdir(), 'hop-install-'));
  t.after(() => rm(prefix, { recursive: true, force: true }));
  await install(['--prefix', prefix]);
  const unit = join(prefix, 'etc/containers/systemd/haproxy.container');
  await writeFile(unit, '[Container]\nImage=old\n');
  const out = await install(['--prefix', prefix, '--operator', 'service']);
  assert.match(out, /replaced .*haproxy\.container \(previous copy: .*\.bak-/);
  assert.equal(await readFile(unit, 'utf8'), await readFile(join(ROOT, 'quadlet', 'haproxy.container'), 'utf8'));
  const backups = (await readdir(join(prefix, 'etc/containers/systemd'))).filter((f) => f.startsWith('haproxy.container.bak-'));
  assert.equal(backups.length, 1);
  assert.equal(await readFile(join(prefix, 'etc/containers/systemd', backups[0]!), 'utf8'), '[Container]\nImage=old\n');
  assert.equal(
    await readFile(join(prefix, 'etc/systemd/system/haproxy-operator.service'), 'utf8'),
    await readFile(join(ROOT, 'deploy', 'haproxy-operator.service'), 'utf8'),
  );
  assert.match(out, /shadowed by the \.service/);
});

test('--dry-run creates nothing; --base rewrites the paths; bad arguments are refused by name', async (t) => {
  const prefix = await mkdtemp(join(tmpdir(), 'hop-install-'));
  t.after(() => rm(prefix, { recursive: true, force: true }));
  const dry = await install(['--prefix', prefix, '--dry-run']);
  assert.match(dry, /dry run/);
  assert.match(dry, /would: mkdir -p .*\/opt\/haproxy\/state/);
  assert.deepEqual(await readdir(prefix), [], 'dry run wrote nothing');

  await install(['--prefix', prefix, '--base', '/srv/lb']);
  const unit = await readFile(join(prefix, 'etc/containers/systemd/haproxy.container'), 'utf8');
  assert.match(unit, /^Volume=\/srv\/lb:\/srv\/lb:z$/m);
  assert.ok(!unit.includes('/opt/haproxy'));
  assert.match(await readFile(join(prefix, 'srv/lb/conf/operator.yaml'), 'utf8'), /^confDir: \/srv\/lb\/conf/m);
  assert.equal(await mode(join(prefix, 'srv/lb/state')), 0o700);

  await assert.rejects(install(['--prefix', prefix, '--operator', 'docker']), /--operator="docker": expected quadlet or service/);
  await assert.rejects(install(['--prefix', prefix, '--base', 'relative']), /--base="relative": must be an absolute path/);
  await assert.rejects(install(['--bogus']), /unknown argument "--bogus"/);
});

test('deploy/haproxy-operator.service passes systemd-analyze verify without unknown keys', { skip: !(await exists('/usr/bin/systemd-analyze')) && 'systemd-analyze not installed' }, async () => {
  const result = await run('systemd-analyze', ['verify', join(ROOT, 'deploy', 'haproxy-operator.service')]).catch((err: { stdout: string; stderr: string }) => err);
  const lines = `${result.stdout}\n${result.stderr}`.split('\n').filter((l) => l.trim() !== '');
  // haproxy.service exists only on a real host; every other complaint is a defect of the file.
  const defects = lines.filter((l) => !/Unit haproxy\.service not found|Unit podman\.socket not found/.test(l));
  assert.deepEqual(defects, []);
});
