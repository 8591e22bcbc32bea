/**
 * @module The import command's glue: options parse with the operator's own
 * argv/settings code, --from is required by name, a real import refuses to
 * run while the state directory is locked, and a dry run does not need the lock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { IMPORT_OPTIONS, OPTIONS } from '../../src/config/options.ts';
import { parseArgv, resolveSettings } from '../../src/config/settings.ts';
import { importCommand, LOCK_FILE } from '../../src/migrate/import-command.ts';
import { LockError, ValidationError } from '../../src/model/errors.ts';
import { acquireLock } from '../../src/store/lock.ts';
import { writeOriginalInstall } from './original-install.ts';

const defs = [...OPTIONS, ...IMPORT_OPTIONS];
const deps = (out: string[]) => ({ logger: pino({ level: 'silent' }), now: () => new Date(), print: (s: string) => void out.push(s) });

function settingsFor(argv: string[], cwd: string) {
  const parsed = parseArgv(argv, defs);
  assert.deepEqual(parsed.positionals, ['import']);
  return resolveSettings(parsed.values, {}, cwd, defs);
}

test('import --from DIR --dry-run parses with the operator settings code and reports without writing', async (t) => {
  const inst = await writeOriginalInstall({ map: 'a.test pool_1\n', servers: { 'a.test': { '1': { ip: '10.0.0.1', port: 8080 } } } });
  t.after(() => rm(inst.root, { recursive: true, force: true }));
  const stateDir = join(inst.root, 'state');
  const s = settingsFor(['import', '--from', inst.from, '--dry-run', '--state-dir', stateDir, '--cloudflare-ini', inst.cloudflareIni], inst.root);
  const out: string[] = [];
  assert.equal(await importCommand(s, deps(out)), 0);
  assert.match(out.join(''), /Dry run: import from/);
  assert.match(out.join(''), /a\.test -> pool_1/);
  assert.equal(await access(stateDir).then(() => true, () => false), false, 'dry run wrote nothing');
});

test('a real import takes the state lock: refused while another live process holds it, then runs', async (t) => {
  const inst = await writeOriginalInstall({ map: 'a.test pool_1\n', servers: {} });
  t.after(() => rm(inst.root, { recursive: true, force: true }));
  const stateDir = join(inst.root, 'state');
  await mkdir(stateDir);
  // A running operator holds the lock (here: this process).
  const held = await acquireLock(join(stateDir, LOCK_FILE));
  const s = settingsFor(['import', '--from', inst.from, '--state-dir', stateDir, '--cloudflare-ini', inst.cloudflareIni], inst.root);
  await assert.rejects(importCommand(s, deps([])), LockError);
  assert.equal(await access(join(stateDir, 'servers.json')).then(() => true, () => false), false, 'nothing written while locked');
  await held.release();
  assert.equal(await importCommand(s, deps([])), 0);
  await access(join(stateDir, 'servers.json'));
  await assert.rejects(access(join(stateDir, LOCK_FILE)), 'lock released');
});

test('--from is required and named in the error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-imp-'));
  try {
    const s = resolveSettings({ stateDir: dir }, {}, dir, defs);
    await assert.rejects(importCommand(s, deps([])), (err: unknown) => err instanceof ValidationError && /--from="": required/.test(err.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
