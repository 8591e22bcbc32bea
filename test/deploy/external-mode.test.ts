/**
 * @module External mode end to end, as the Quadlet units run it: the config
 * is rendered by `haproxy-operator render-config` from the production example
 * (paths moved to a temp /opt/haproxy, ports to free ones), HAProxy is started
 * by the test with the exact Exec line of quadlet/haproxy.container, the
 * operator runs in external mode and routes a domain; then that HAProxy is
 * restarted (as systemd's Restart=always would) and the route comes back
 * without anyone touching the operator.
 */
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createConnection } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haproxyMissing, testEachHaproxy } from '../helpers/haproxy.ts';
import { freePort } from '../helpers/ports.ts';
import { get, startBackend } from '../helpers/http.ts';
import { waitFor } from '../helpers/wait.ts';
import { parseUnit, values } from './unit-file.ts';
import { resolveSettings } from '../../src/config/settings.ts';
import { ALL_OPTIONS } from '../../src/config/options.ts';
import { startOperator } from '../../src/operator.ts';
import { createLogger } from '../../src/log.ts';
import { ensureFallbackCert } from '../../src/haproxy/fallback-cert.ts';
import { deferCleanup } from '../helpers/cleanup.ts';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const skip = haproxyMissing();

/** `show info` over the TCP Runtime API; resolves with the worker PID, rejects when nobody answers. */
function workerPid(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let out = '';
    sock.setTimeout(2000, () => sock.destroy(new Error('runtime API timeout')));
    sock.on('connect', () => sock.write('show info\n'));
    sock.on('data', (d) => (out += d.toString()));
    sock.on('error', reject);
    sock.on('close', () => {
      const pid = /^Pid: (\d+)$/m.exec(out);
      if (pid) resolve(Number(pid[1]));
      else reject(new Error(`no Pid in show info reply: ${out.slice(0, 200)}`));
    });
  });
}

/** Starts HAProxy with the unit's Exec line; the returned child is the master. */
function startHaproxy(argv: string[], log: string[]): ChildProcess {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  return child;
}

async function stopHaproxy(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

testEachHaproxy('external mode: HAProxy from the rendered config as the unit runs it; a restart of that HAProxy gets the route restored', { skip, timeout: 60_000 }, async (t, version) => {
  const defer = deferCleanup(t);
  const base = await mkdtemp(join(tmpdir(), 'hop-ext-'));
  defer(() => rm(base, { recursive: true, force: true }));
  for (const [dir, mode] of [['conf', 0o755], ['certs', 0o700], ['run', 0o755], ['state', 0o700], ['resources', 0o755]] as const) {
    await mkdir(join(base, dir), { mode });
  }
  const [httpPort, httpsPort, runtimePort, listenPort] = [await freePort(), await freePort(), await freePort(), await freePort()];

  // The production example, moved to the temp layout and free loopback ports.
  const example = await readFile(join(ROOT, 'deploy', 'config.example.yaml'), 'utf8');
  const cfgFile = join(base, 'conf', 'operator.yaml');
  const yaml = example
    .replaceAll('/opt/haproxy', base)
    .replace(/^httpPort:.*$/m, `httpPort: ${httpPort}`)
    .replace(/^httpsPort:.*$/m, `httpsPort: ${httpsPort}`)
    .replace(/^runtimeApi:.*$/m, `runtimeApi: 127.0.0.1:${runtimePort}`)
    .replace(/^listen:.*$/m, `listen: 127.0.0.1:${listenPort}`)
    .replace(/^pools:.*$/m, 'pools: 5')
    // No Podman socket in this test: the test runs the foundation only.
    .replace(/^podmanSocket:.*$/gm, '');
  await writeFile(cfgFile, `${yaml}\nbindAddress: 127.0.0.1\ncheckInterval: 500\n`);

  // `haproxy-operator render-config --config FILE`, the command the install notes give.
  // Rendered for this HAProxy build (`--haproxy-bin`; the unit's image is named by flags or --from-runtime, below).
  const renderConfig = (...extra: string[]) => run(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts'), 'render-config', '--config', cfgFile, ...extra], { cwd: ROOT });
  const rendered = await renderConfig('--haproxy-bin', version.bin);
  await writeFile(join(base, 'conf', 'haproxy.cfg'), rendered.stdout);
  // What install.sh prepares before HAProxy's first start.
  await writeFile(join(base, 'conf', 'domains.map'), '');
  await writeFile(join(base, 'conf', 'checks.map'), '');
  await writeFile(join(base, 'conf', 'hold.map'), '');
  await writeFile(join(base, 'conf', 'rules.map'), '');
  await writeFile(join(base, 'conf', 'allow-nets.map'), '');
  await writeFile(join(base, 'conf', 'paths.map'), '');
  // render-config wrote hold.lua, which the config loads.
  assert.match(await readFile(join(base, 'conf', 'hold.lua'), 'utf8'), /core\.register_action\("hold"/);
  await ensureFallbackCert(join(base, 'certs'));

  const unit = parseUnit(await readFile(join(ROOT, 'quadlet', 'haproxy.container'), 'utf8'), 'haproxy.container');
  const argv = values(unit, 'Container', 'Exec')[0]!.replaceAll('/opt/haproxy', base).split(/\s+/);
  argv[0] = version.bin;
  const log: string[] = [];
  let haproxy = startHaproxy(argv, log);
  defer(() => stopHaproxy(haproxy));
  const firstPid = await waitFor(() => workerPid(runtimePort), { timeoutMs: 10_000, message: `HAProxy Runtime API on ${runtimePort} (stderr: ${log.join('')})` });

  // Learned from the running HAProxy through its Runtime API: the same config as for its `haproxy -vv`.
  const learned = await renderConfig('--from-runtime');
  assert.equal(learned.stdout, rendered.stdout, 'render-config --from-runtime renders the config this HAProxy was started with');
  assert.match(learned.stderr, new RegExp(`for HAProxy ${version.caps.version.replace(/[.+]/g, '\\$&')}, .*learned from the Runtime API`));

  const settings = resolveSettings({ config: cfgFile, mode: 'external' }, {}, base, ALL_OPTIONS);
  assert.equal(settings.mode, 'external');
  const operator = await startOperator(settings, createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false }));
  defer(() => operator.stop());
  assert.equal(operator.supervisor, undefined, 'external mode supervises no HAProxy');

  const backend = await startBackend('ext-app');
  defer(() => backend.close());
  await operator.ops.addDomain({ domain: 'ext.test', ip: '127.0.0.1', port: backend.port });
  const before = await get(httpPort, 'ext.test');
  assert.equal(before.status, 200);
  assert.equal(before.body, 'ext-app');
  assert.match(await readFile(join(base, 'conf', 'domains.map'), 'utf8'), /^ext\.test pool_1$/m, 'the map on disk has the route for the next start');

  // systemd restarts the container: a new master and worker, runtime state gone.
  await stopHaproxy(haproxy);
  haproxy = startHaproxy(argv, log);
  const secondPid = await waitFor(() => workerPid(runtimePort), { timeoutMs: 10_000, message: 'restarted HAProxy Runtime API' });
  assert.notEqual(secondPid, firstPid);
  const after = await waitFor(
    async () => {
      const r = await get(httpPort, 'ext.test');
      return r.status === 200 && r.body === 'ext-app' ? r : undefined;
    },
    { timeoutMs: 15_000, message: 'ext.test served again after the HAProxy restart' },
  );
  assert.equal(after.body, 'ext-app');
});
