/**
 * @module Issue 16, point 1, as the attack itself: haproxy_save_state (MCP
 * and the Admin behind it) aimed at the operator's own files. Each owned
 * name is refused before HAProxy is asked, the file is left as it was, and a
 * legitimate save lands in <state>/saved/. A link planted in saved/ is not
 * followed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createAdmin } from '../../src/operations/admin.ts';
import type { Operations } from '../../src/operations/types.ts';
import type { RuntimeClient } from '../../src/haproxy/runtime-client.ts';
import type { Settings } from '../../src/config/settings.ts';
import { ValidationError } from '../../src/model/errors.ts';
import { StateFileArg } from '../../src/mcp/schemas.ts';
import { savedStatePath } from '../../src/store/saved-states.ts';
import { OWNED_FILE_NAMES } from '../../src/model/owned-files.ts';
import { createHaproxyAdapter } from '../../src/haproxy/adapter.ts';

const STATE_TEXT = '1\n# be_id be_name srv_id srv_name srv_addr\n3 pool_1 1 pool_1_1 10.0.0.1 2 0 1 1 5 6 0 0 0 0 0 0 - 80 - 0 0 - - 0\n';

async function setup(t: { after(fn: () => unknown): void }) {
  const stateDir = await mkdtemp(join(tmpdir(), 'hop-owned-'));
  t.after(() => rm(stateDir, { recursive: true, force: true }));
  let asked = 0;
  // HAProxy's reply is all the runtime adds here; what is under test is where it goes.
  const runtime = { execute: async () => { asked += 1; return [STATE_TEXT]; } } as unknown as RuntimeClient;
  const settings = { stateDir, haproxyBin: 'haproxy' } as unknown as Settings;
  const haproxy = createHaproxyAdapter({ runtime, files: { mapFile: join(stateDir, 'domains.map'), checksMapFile: join(stateDir, 'checks.map') } });
  const admin = createAdmin({ haproxy, ops: {} as Operations, settings, paths: { configFile: join(stateDir, 'haproxy.cfg') }, logger: pino({ level: 'silent' }) });
  return { stateDir, admin, asked: () => asked };
}

const ATTACKS = [...OWNED_FILE_NAMES, 'cert.pem', 'example.com.pem', 'account.key', 'domains.MAP', 'HAPROXY.CFG', '../servers.json', 'saved/../../servers.json', '.hidden', '/etc/passwd'];

test('save_state aimed at each file the operator owns is refused and the file is unchanged', async (t) => {
  const { stateDir, admin, asked } = await setup(t);
  for (const name of ['servers.json', 'haproxy.cfg', 'domains.map', 'checks.map', 'audit.log', 'operator.lock']) await writeFile(join(stateDir, name), `original ${name}\n`);
  for (const file of ATTACKS) {
    await assert.rejects(admin.saveState(file), (e: unknown) => e instanceof ValidationError && e.field === 'file' && e.message.includes(JSON.stringify(file)), file);
    assert.equal(StateFileArg.safeParse(file).success, false, `the MCP schema refuses ${file} too (dry runs included)`);
  }
  assert.equal(asked(), 0, 'HAProxy was never asked for a refused name');
  for (const name of ['servers.json', 'haproxy.cfg', 'domains.map', 'checks.map', 'audit.log', 'operator.lock']) {
    assert.equal(await readFile(join(stateDir, name), 'utf8'), `original ${name}\n`, name);
  }
  const ok = await admin.saveState('before-upgrade.state');
  assert.equal(ok.file, join(stateDir, 'saved', 'before-upgrade.state'));
  assert.equal(await readFile(ok.file, 'utf8'), STATE_TEXT);
  const byDefault = await admin.saveState();
  assert.equal(byDefault.file, savedStatePath(stateDir));
});

test('a symbolic link planted in saved/ is not followed, nor a saved/ that is a link', async (t) => {
  const { stateDir, admin } = await setup(t);
  await writeFile(join(stateDir, 'servers.json'), 'original\n');
  await mkdir(join(stateDir, 'saved'));
  await symlink(join(stateDir, 'servers.json'), join(stateDir, 'saved', 'innocent.state'));
  await assert.rejects(admin.saveState('innocent.state'), (e: unknown) => e instanceof ValidationError && /not a plain file/.test(e.message));
  await assert.rejects(admin.restoreState('innocent.state'), (e: unknown) => e instanceof ValidationError && /not a plain file/.test(e.message));
  assert.equal(await readFile(join(stateDir, 'servers.json'), 'utf8'), 'original\n');

  await rm(join(stateDir, 'saved'), { recursive: true });
  await symlink(stateDir, join(stateDir, 'saved'));
  await assert.rejects(admin.saveState('x.state'), (e: unknown) => e instanceof ValidationError && /not a plain directory/.test(e.message));
});
