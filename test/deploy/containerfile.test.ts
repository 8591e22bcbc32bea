/**
 * @module deploy/Containerfile: its shape (multi-stage, only dist/ and
 * production node_modules in the final image, non-root, entrypoint), and its
 * build steps replayed on the host because this machine has no container
 * registry to pull node:20 from: build with tsc, prune devDependencies, then
 * run dist/main.js from the pruned tree (catches runtime imports of dev-only
 * packages). Set HAPROXY_OPERATOR_TEST_IMAGE_BUILD=1 to also run the real
 * `podman build` through deploy/build-offline.sh (about 40 s, needs the npm
 * registry).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { access, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const exists = (p: string) => access(p).then(() => true, () => false);

interface Stage {
  from: string;
  name?: string;
  steps: Array<{ op: string; args: string }>;
}

function parseContainerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const joined = text.replace(/\\\n/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: m![1]!, ...(m![2] ? { name: m![2] } : {}), steps: [] });
    } else if (stages.length > 0) stages.at(-1)!.steps.push({ op: op.toUpperCase(), args });
  }
  return stages;
}

test('Containerfile: multi-stage, final image holds only package.json, production node_modules and dist/, runs as non-root', async () => {
  const stages = parseContainerfile(await readFile(join(ROOT, 'deploy', 'Containerfile'), 'utf8'));
  assert.equal(stages.length, 2);
  const [build, final] = stages as [Stage, Stage];
  assert.equal(build.name, 'build');
  const runs = build.steps.filter((s) => s.op === 'RUN').map((s) => s.args).join('\n');
  assert.match(runs, /npm ci\b/);
  assert.match(runs, /npm run build\b/);
  assert.match(runs, /npm prune --omit=dev\b/);
  const copies = final.steps.filter((s) => s.op === 'COPY').map((s) => s.args);
  assert.deepEqual(copies, ['--from=build /src/package.json ./package.json', '--from=build /src/node_modules ./node_modules', '--from=build /src/dist ./dist']);
  assert.ok(!final.steps.some((s) => s.op === 'RUN'), 'nothing is built in the final stage');
  const user = final.steps.filter((s) => s.op === 'USER').map((s) => s.args);
  assert.deepEqual(user, ['node']);
  assert.deepEqual(final.steps.find((s) => s.op === 'ENTRYPOINT')?.args, '["node", "dist/main.js"]');
});

test("the Containerfile's build steps on the host: build, prune dev deps, run dist/main.js", { timeout: 180_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-image-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // COPY package.json package-lock.json; `npm ci` is replaced by a copy of the installed tree (no network in tests).
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) await cp(join(ROOT, f), join(dir, f));
  await cp(join(ROOT, 'node_modules'), join(dir, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  await cp(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
  const env = { ...process.env, npm_config_update_notifier: 'false' };
  // A type error anywhere fails `npm run build`, and so the image build: show tsc's own output.
  await run('npm', ['run', 'build'], { cwd: dir, env, timeout: 150_000 }).catch((err: { stdout?: string }) => {
    assert.fail(`npm run build failed (the image build would too):\n${err.stdout ?? ''}`);
  });
  assert.ok(await exists(join(dir, 'dist', 'main.js')), 'npm run build produced dist/main.js');
  await run('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund', '--offline'], { cwd: dir, env, timeout: 60_000 });
  assert.equal(await exists(join(dir, 'node_modules', 'typescript')), false, 'devDependencies pruned');
  await rm(join(dir, 'src'), { recursive: true });

  // What ENTRYPOINT runs, from the pruned tree only.
  const help = await run(process.execPath, ['dist/main.js', '--help'], { cwd: dir, env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' } });
  assert.match(help.stdout, /--config/);
  const cfgFile = join(dir, 'operator.yaml');
  // render-config as the install notes run it, with the production example.
  const example = await readFile(join(ROOT, 'deploy', 'config.example.yaml'), 'utf8');
  await writeFile(cfgFile, example);
  const rendered = await run(process.execPath, ['dist/main.js', 'render-config', '--config', cfgFile, '--haproxy-bin', '/nonexistent'], { cwd: dir, env: { PATH: process.env.PATH ?? '' } });
  assert.match(rendered.stdout, /map\(\/opt\/haproxy\/conf\/domains\.map\)/);
  assert.match(rendered.stdout, /backend pool_100\b/);
});

const podmanMissing = await run('podman', ['--version']).then(() => false, () => 'podman is not installed');

test('podman build -f deploy/Containerfile via deploy/build-offline.sh', { skip: podmanMissing, timeout: 600_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-build-'));
  const tag = `localhost/haproxy-operator:test-${process.pid}`;
  const conf = join(dir, 'containers.conf');
  await writeFile(conf, '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n');
  const env = { ...process.env, CONTAINERS_CONF: conf };
  // The images this build makes (the node base, the untagged builder stage, the result) are
  // removed afterwards; images other tests make at the same time (tagged, not dangling) are not.
  const images = async (...filter: string[]) => new Set((await run('podman', ['images', '-a', '-q', '--no-trunc', ...filter], { env })).stdout.split('\n').filter(Boolean));
  const before = await images();
  t.after(async () => {
    await run('podman', ['rmi', '-f', tag], { env }).catch(() => undefined);
    const candidates = new Set([...(await images('--filter', 'dangling=true')), ...(await images('--filter', 'reference=localhost/node-host'))]);
    const made = [...candidates].filter((id) => !before.has(id));
    if (made.length) await run('podman', ['rmi', '-f', ...made], { env }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  await run('sh', [join(ROOT, 'deploy', 'build-offline.sh'), '--tag', tag], { env, timeout: 580_000, maxBuffer: 64 * 1024 * 1024 });
  const { stdout: user } = await run('podman', ['image', 'inspect', '--format', '{{.Config.User}}', tag], { env });
  assert.equal(user.trim(), 'node');
  const { stdout } = await run('podman', ['run', '--rm', '--network', 'host', tag, '--help'], { env, timeout: 60_000 });
  assert.match(stdout, /render-config/);
});
