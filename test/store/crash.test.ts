/**
 * @module Crash safety, the foundation issue's proof: a child process saves
 * successive states through the real state store and is killed with
 * SIGKILL at random moments, many times. After every kill servers.json and
 * domains.map parse and each equals a committed state (domains.map is that
 * of servers.json's state or of the one before, since it is written
 * second), states never go backwards, the 0600 key file stays 0600 and
 * holds a whole committed content, and temp files do not pile up: at most
 * those of the save in flight.
 *
 * Bug this caught: every kill during a save left a `.servers.json.<pid>.*.tmp`
 * (or domains.map's) behind for good; the store now sweeps temp files of
 * dead writers on its first save.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DesiredState } from '../../src/model/state.ts';
import { renderChecksMap, renderDomainsMap } from '../../src/store/state-store.ts';
import { crashState, keyContent, sequenceOf } from './crash-states.ts';

const WRITER = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
const KILLS = 40;
const BUDGET_MS = 90_000;

/** Starts the writer; resolves once it committed `afterSaves` states, then kills it `delayMs` later. */
async function runAndKill(dir: string, afterSaves: number, delayMs: number): Promise<{ lastReported: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let lastReported = 0;
  let saves = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        lastReported = Number(line.split(' ')[1]);
        if (++saves === afterSaves) resolve();
      });
      child.once('exit', (code) => reject(new Error(`writer exited (${code}) before ${afterSaves} saves: ${stderr.slice(0, 2000)}`)));
    });
    // The random delay is the point: it picks the moment of the kill, it does not wait for anything.
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  return { lastReported };
}

test(`state files survive ${KILLS} SIGKILLs at random moments`, { timeout: BUDGET_MS + 30_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hop-crash-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const started = Date.now();
  let previous = 0;
  let kills = 0;
  let tornMaps = 0;
  while (kills < KILLS && Date.now() - started < BUDGET_MS) {
    const { lastReported } = await runAndKill(dir, 1 + Math.floor(Math.random() * 3), Math.floor(Math.random() * 8));
    kills += 1;
    const what = `kill ${kills}`;

    const json: unknown = JSON.parse(await readFile(join(dir, 'servers.json'), 'utf8'));
    const state = DesiredState.parse(json);
    const i = sequenceOf(state);
    assert.deepEqual(state, crashState(i), `${what}: servers.json is committed state ${i}`);
    assert.ok(i >= lastReported, `${what}: state ${i} is not older than the last reported save ${lastReported}`);
    assert.ok(i >= previous, `${what}: no rollback (${previous} -> ${i})`);
    previous = i;

    const map = await readFile(join(dir, 'domains.map'), 'utf8');
    const candidates = [i, i - 1].filter((n) => n >= 1);
    assert.ok(candidates.some((n) => renderDomainsMap(crashState(n)) === map), `${what}: domains.map is that of state ${i} or ${i - 1}`);
    if (map !== renderDomainsMap(crashState(i))) tornMaps += 1;
    const checks = await readFile(join(dir, 'checks.map'), 'utf8').catch(() => '');
    assert.ok(candidates.some((n) => renderChecksMap(crashState(n)) === checks) || (i === 1 && checks === ''), `${what}: checks.map is that of state ${i} or ${i - 1}`);

    const keyPath = join(dir, 'secret.key');
    const key = await readFile(keyPath, 'utf8').catch(() => undefined);
    if (key !== undefined) {
      assert.ok([i, i - 1].some((n) => keyContent(n) === key), `${what}: key file is whole`);
      assert.equal((await stat(keyPath)).mode & 0o777, 0o600, `${what}: key file mode`);
    }

    // A save writes its temps (servers.json, three maps, rules.map, allow-nets.map and paths.map) before renaming them (one directory fsync per save): at most one per file, all of the save in flight.
    const temps = (await readdir(dir)).filter((f) => f.endsWith('.tmp'));
    const perFile = new Set(temps.map((f) => f.split('.').slice(0, -3).join('.')));
    assert.ok(temps.length <= 7 && perFile.size === temps.length, `${what}: at most the temps of the save in flight are left, found ${temps.length}: ${temps.join(', ')}`);
  }
  t.diagnostic(`${kills} kills in ${Date.now() - started} ms, reached state ${previous}; ${tornMaps} kills landed between servers.json and domains.map`);
  assert.ok(kills >= 10, `only ${kills} kills within the time budget`);

  // A clean run after all the kills: files complete, no temp file at all.
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, '2'], { stdio: ['ignore', 'ignore', 'inherit'] });
  assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 0);
  assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), []);
  const final = DesiredState.parse(JSON.parse(await readFile(join(dir, 'servers.json'), 'utf8')));
  assert.equal(sequenceOf(final), previous + 2);
  assert.equal(await readFile(join(dir, 'domains.map'), 'utf8'), renderDomainsMap(crashState(previous + 2)));
});
