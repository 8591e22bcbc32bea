/**
 * @module Single-writer lock on the state directory: a second acquire while
 * another live process holds it is a LockError naming that PID; the lock of
 * a dead PID (the owner was killed) is taken over; garbage in the lock file
 * does not block; release removes the file and is idempotent.
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

  assert.throws(() => acquireLock(path), (e: unknown) => e instanceof LockError && e.message.includes(`pid ${child.pid}`) && e.message.includes(path));
  assert.equal((await readFile(path, 'utf8')).trim(), String(child.pid), 'a failed acquire leaves the lock alone');

  child.kill('SIGKILL');
  await exited;
  assert.equal(isAlive(child.pid!), false);
  const lock = acquireLock(path);
  assert.equal((await readFile(path, 'utf8')).trim(), String(process.pid), 'the dead PID lock was taken over');
  lock.release();
  assert.equal(existsSync(path), false);
  lock.release();
});

test('garbage or our own PID in the lock file does not block', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'operator.lock');
  for (const content of ['', 'not a pid\n', '-5\n', `${process.pid}\n`]) {
    await writeFile(path, content);
    const lock = acquireLock(path);
    assert.equal((await readFile(path, 'utf8')).trim(), String(process.pid), JSON.stringify(content));
    lock.release();
  }
});

test('a lock in a missing directory fails with the OS error, not a LockError', async (t) => {
  const dir = await tempDir(t);
  assert.throws(() => acquireLock(join(dir, 'missing', 'operator.lock')), (e: unknown) => !(e instanceof LockError) && (e as NodeJS.ErrnoException).code === 'ENOENT');
});
