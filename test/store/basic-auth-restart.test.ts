/**
 * @module Basic-auth hashes across a restart, in a fresh process (the
 * remembered hashes live in module state, so an in-process restart cannot
 * show it). Bug: servers.json's hashes were not remembered when the state
 * was loaded, so the first resync after a restart re-salted credentials from
 * a label or manifest once: a needless map change and servers.json write.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ManifestRules } from '../../src/model/rule-inputs.ts';
import { emptyState } from '../../src/model/state.ts';
import { createStateStore } from '../../src/store/state-store.ts';

const run = promisify(execFile);
const HERE = new URL('.', import.meta.url).pathname;

/** In a new process: optionally load servers.json, then parse the manifest's basic auth; prints the hash. */
const CHILD = `
import { createStateStore } from '${HERE}../../src/store/state-store.ts';
import { ManifestRules } from '${HERE}../../src/model/rule-inputs.ts';
const [dir, load] = process.argv.slice(-2);
if (load === 'load') await createStateStore({ serversFile: dir + '/servers.json', mapFile: dir + '/domains.map', checksMapFile: dir + '/checks.map' }).load();
process.stdout.write(ManifestRules.parse({ basicAuth: { credentialsRef: { file: dir + '/users' } } }).basicAuth.users[0].hash);
`;

test('a fresh process that loaded servers.json keeps its basic-auth hash for unchanged credentials', { timeout: 60_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-auth-restart-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'users'), 'alice:restart-pw\n', { mode: 0o600 });
  const rules = ManifestRules.parse({ basicAuth: { credentialsRef: { file: join(dir, 'users') } } });
  const held = rules.basicAuth!.users[0]!.hash;
  const store = createStateStore({ serversFile: join(dir, 'servers.json'), mapFile: join(dir, 'domains.map'), checksMapFile: join(dir, 'checks.map') });
  await store.save({ ...emptyState(), domains: { 'a.test': { pool: 1, source: 'manifest:Domain/a', servers: [], rules } } });
  const script = join(dir, 'child.mts');
  await writeFile(script, CHILD);
  const child = async (mode: string) => (await run(process.execPath, ['--import', 'tsx', script, dir, mode])).stdout;
  assert.equal(await child('load'), held, 'the hash in servers.json is kept');
  assert.notEqual(await child('fresh'), held, 'without the state a new salt is drawn (so the check above can fail)');
});
