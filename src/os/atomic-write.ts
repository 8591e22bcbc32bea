/**
 * @module Crash-safe file replacement: write a temp file in the same
 * directory, fsync it, rename it over the target, fsync the directory. A
 * reader (or a restart after kill -9) sees the old or the new content, never
 * a mix.
 */
import { open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isAlive } from './process-alive.ts';

export interface AtomicWriteOptions {
  /** File mode, default 0o644; key files use 0o600. */
  mode?: number;
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFilesAtomic([{ path, data, ...options }]);
}

/** One file of a group write; `durable: false` skips its fsync (for files rebuilt from another one at start). */
export interface GroupFile extends AtomicWriteOptions {
  path: string;
  data: string | Uint8Array;
  durable?: boolean;
}

async function writeTemp(file: GroupFile): Promise<string> {
  const tmp = join(dirname(file.path), `.${basename(file.path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const mode = file.mode ?? 0o644;
  const handle = await open(tmp, 'wx', mode);
  try {
    await handle.writeFile(file.data);
    // open() applies the umask; chmod makes the mode exact (0600 must stay 0600).
    await handle.chmod(mode);
    if (file.durable !== false) await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  return tmp;
}

/**
 * Replaces several files: every temp is written first (concurrently), then they are
 * renamed in the given order and each directory is fsynced once, so a group
 * costs one directory fsync instead of one per file. A reader sees each
 * file old or new; after a kill between renames the earlier files are new.
 */
export async function writeFilesAtomic(files: readonly GroupFile[]): Promise<void> {
  // The temps are written together (the others while the durable one's
  // fsync runs); only the renames need the given order.
  const written = await Promise.allSettled(files.map(writeTemp));
  const temps = written.flatMap((w) => (w.status === 'fulfilled' ? [w.value] : []));
  try {
    const failed = written.find((w) => w.status === 'rejected');
    if (failed) throw failed.reason;
    for (const [i, file] of files.entries()) await rename(temps[i]!, file.path);
  } catch (error) {
    await Promise.all(temps.map((tmp) => rm(tmp, { force: true })));
    throw error;
  }
  for (const dir of new Set(files.map((f) => dirname(f.path)))) {
    const dirHandle = await open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}

/**
 * Removes the temp files of `path` that writers killed mid-write left
 * behind (their PID is gone); without this every kill -9 during a save
 * leaves one more in the state directory. Returns how many were removed.
 */
export async function removeStaleTemps(path: string): Promise<number> {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.slice(prefix.length)) : null;
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    await rm(join(dir, name), { force: true });
    removed += 1;
  }
  return removed;
}

/** Removes `path` (absent is fine) and fsyncs its directory so the removal survives a crash. */
export async function removeFileDurable(path: string): Promise<void> {
  await rm(path, { force: true });
  const dirHandle = await open(dirname(path), 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
