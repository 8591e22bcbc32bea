/**
 * @module Single-writer lock on the state directory: a second acquire while
 * another live process holds it is a LockError naming that PID, whatever the
 * lock file then holds (overwritten, emptied, removed: the attack of issue
 * 16); the lock of a killed owner is taken over; a stale file does not block;
 * release removes the file and is idempotent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { acquireLock } from '../../src/store/lock.ts';
import { isAlive } from '../../src/os/process-alive.ts';
import { LockError } from '../../src/model/errors.ts';

const HOLDER = fileURLToPath(new URL('./lock-holder.ts', import.meta.url));

async function tempDir(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hop-lock-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a lock held by another live process: LockError naming its PID; taken over once it is killed', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'operator.lock');
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
  });
  assert.equal(line, `locked ${child.pid}`);
  assert.equal((await readFile(path, 'utf8')).trim(), String(child.pid));
  assert.equal((await stat(path)).mode & 0o777, 0o600);

  await assert.rejects(acquireLock(path), (e: unknown) => e instanceof LockError && e.message.includes(`pid ${child.pid}`) && e.message.includes(path));
  assert.equal((await readFile(path, 'utf8')).trim(), String(child.pid), 'a failed acquire leaves the lock alone');

  // The owner lives: no content of the lock file lets a second operator in.
  for (const content of ['# show servers state\n1\n', '', 'not a pid\n', `${process.pid}\n`, '999999999\n']) {
    await writeFile(path, content);
    await assert.rejects(acquireLock(path), LockError, `content ${JSON.stringify(content)}`);
  }
  await rm(path);
  await assert.rejects(acquireLock(path), (e: unknown) => e instanceof LockError && e.message.includes('pid unknown'), 'a removed lock file does not free the lock');

  child.kill('SIGKILL');
  await exited;
  assert.equal(isAlive(child.pid!), false);
  const lock = await acquireLock(path);
  assert.equal((await readFile(path, 'utf8')).trim(), String(process.pid), 'the dead PID lock was taken over');
  await assert.rejects(acquireLock(path), LockError, 'held by this process: a second acquire is refused too');
  await lock.release();
  assert.equal(existsSync(path), false);
  await lock.release();
});

test('a stale lock file (any content) with no live owner does not block', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'operator.lock');
  for (const content of ['', 'not a pid\n', '-5\n', `${process.pid}\n`, '1\n']) {
    await writeFile(path, content);
    const lock = await acquireLock(path);
    assert.equal((await readFile(path, 'utf8')).trim(), String(process.pid), JSON.stringify(content));
    await lock.release();
  }
});

test('a lock in a missing directory fails with the OS error, not a LockError', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(acquireLock(join(dir, 'missing', 'operator.lock')), (e: unknown) => !(e instanceof LockError) && (e as NodeJS.ErrnoException).code === 'ENOENT');
});
