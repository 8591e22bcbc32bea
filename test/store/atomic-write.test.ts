/**
 * @module writeFileAtomic: content replaced whole, exact modes whatever the
 * umask (0600 stays 0600, also when replacing a 0644 file), no temp file
 * left after success or failure, concurrent writers end with one complete
 * content; stale temps of dead writers are swept (bug: they piled up after
 * each kill -9 mid-save); and the state store's three files derived from
 * one state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStaleTemps, writeFileAtomic } from '../../src/os/atomic-write.ts';
import { spawnSync } from 'node:child_process';
import { createStateStore, renderChecksMap, renderDomainsMap } from '../../src/store/state-store.ts';
import { DesiredState, emptyState } from '../../src/model/state.ts';

async function tempDir(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hop-atomic-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

test('writes and replaces content; default mode 0644; no temp file left', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'servers.json');
  await writeFileAtomic(path, 'one\n');
  assert.equal(await readFile(path, 'utf8'), 'one\n');
  assert.equal(await mode(path), 0o644);
  await writeFileAtomic(path, new TextEncoder().encode('two\n'));
  assert.equal(await readFile(path, 'utf8'), 'two\n');
  assert.deepEqual(await readdir(dir), ['servers.json']);
});

test('modes are exact whatever the umask: 0600 stays 0600, also over an existing 0644 file', async (t) => {
  const dir = await tempDir(t);
  const previous = process.umask(0o000);
  t.after(() => process.umask(previous));
  const key = join(dir, 'key.pem');
  await writeFile(key, 'old', { mode: 0o644 });
  await writeFileAtomic(key, 'secret', { mode: 0o600 });
  assert.equal(await mode(key), 0o600);
  process.umask(0o077);
  const pub = join(dir, 'domains.map');
  await writeFileAtomic(pub, 'a.test pool_1\n', { mode: 0o644 });
  assert.equal(await mode(pub), 0o644, 'a restrictive umask does not narrow the requested mode');
  await writeFileAtomic(key, 'secret2', { mode: 0o600 });
  assert.equal(await mode(key), 0o600);
  assert.equal(await readFile(key, 'utf8'), 'secret2');
});

test('a failed rename leaves the target as it was and no temp file', async (t) => {
  const dir = await tempDir(t);
  const target = join(dir, 'occupied');
  await mkdir(target);
  await writeFile(join(target, 'inside'), 'x');
  await assert.rejects(writeFileAtomic(target, 'data'), /EISDIR|ENOTEMPTY|EEXIST/);
  assert.deepEqual((await readdir(dir)).sort(), ['occupied']);
  await assert.rejects(writeFileAtomic(join(dir, 'missing', 'f'), 'data'), /ENOENT/);
});

test('concurrent writers: the result is one complete content, no temp file left', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'servers.json');
  const contents = Array.from({ length: 30 }, (_, i) => `${String(i).padStart(2, '0')}:${'x'.repeat(20000 + i)}\n`);
  await Promise.all(contents.map((c) => writeFileAtomic(path, c)));
  assert.ok(contents.includes(await readFile(path, 'utf8')));
  assert.deepEqual(await readdir(dir), ['servers.json']);
});

test('state store: save then load round-trips; maps derived from the same state; a missing file is the empty state', async (t) => {
  const dir = await tempDir(t);
  const store = createStateStore({ serversFile: join(dir, 'servers.json'), mapFile: join(dir, 'domains.map'), checksMapFile: join(dir, 'checks.map') });
  assert.deepEqual(await store.load(), emptyState());
  const state = DesiredState.parse({
    version: 1,
    domains: {
      'b.test': { pool: 2, servers: [{ family: 'http', slot: 1, address: '10.0.0.2', port: 8080, check: '/h' }] },
      'a.test': { pool: 1, servers: [{ family: 'ssl', slot: 3, address: '::1', port: 443 }] },
    },
  });
  await store.save(state);
  assert.deepEqual(await store.load(), state);
  assert.equal(await readFile(store.paths.mapFile, 'utf8'), 'a.test pool_1\nb.test pool_2\n');
  assert.equal(await readFile(store.paths.mapFile, 'utf8'), renderDomainsMap(state));
  assert.equal(await readFile(store.paths.checksMapFile, 'utf8'), 'pool_2_1 /h\n');
  assert.equal(renderChecksMap(emptyState()), '');
  await store.save(emptyState());
  assert.equal(await readFile(store.paths.mapFile, 'utf8'), '');
});

test('state store: a corrupt or invalid servers.json is an error naming the file and the field', async (t) => {
  const dir = await tempDir(t);
  const store = createStateStore({ serversFile: join(dir, 'servers.json'), mapFile: join(dir, 'domains.map'), checksMapFile: join(dir, 'checks.map') });
  await writeFile(store.paths.serversFile, '{"version":1,');
  await assert.rejects(store.load(), (e: unknown) => (e as Error).message.startsWith(`${store.paths.serversFile}: not valid JSON`));
  await writeFile(store.paths.serversFile, JSON.stringify({ version: 1, domains: { 'a.test': { pool: 1, servers: [{ family: 'http', slot: 1, address: '1.2.3.4;x', port: 80 }] } } }));
  await assert.rejects(store.load(), (e: unknown) => (e as Error).message.includes('a.test.servers.0.address="1.2.3.4;x"'));
});

test('removeStaleTemps: removes temps of dead writers only, and only of that file', async (t) => {
  const dir = await tempDir(t);
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const names = [
    `.servers.json.${dead}.0123abcd.tmp`,
    `.servers.json.${process.pid}.0123abcd.tmp`,
    `.servers.json.${process.ppid}.0123abcd.tmp`,
    `.domains.map.${dead}.0123abcd.tmp`,
    `.servers.json.${dead}.notatemp`,
    'servers.json',
  ];
  for (const n of names) await writeFile(join(dir, n), 'x');
  assert.equal(await removeStaleTemps(join(dir, 'servers.json')), 1);
  assert.deepEqual((await readdir(dir)).sort(), names.filter((n) => n !== names[0]).sort());
  assert.equal(await removeStaleTemps(join(dir, 'missing-dir', 'x')), 0);
});

test('state store: the first save sweeps temps a killed writer left', async (t) => {
  const dir = await tempDir(t);
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  for (const f of ['servers.json', 'domains.map', 'checks.map', 'hold.map', 'rules.map', 'allow-nets.map', 'paths.map']) await writeFile(join(dir, `.${f}.${dead}.deadbeef.tmp`), 'partial');
  const store = createStateStore({ serversFile: join(dir, 'servers.json'), mapFile: join(dir, 'domains.map'), checksMapFile: join(dir, 'checks.map') });
  await store.save(emptyState());
  assert.deepEqual((await readdir(dir)).sort(), ['allow-nets.map', 'checks.map', 'domains.map', 'hold.map', 'paths.map', 'rules.map', 'servers.json']);
});
