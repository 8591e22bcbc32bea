/**
 * @module Single-writer lock on a state directory. The lock itself is an
 * abstract unix socket named after the directory's device and inode: the
 * kernel frees it the moment its owner dies (kill -9 included) and nothing
 * on disk can forge or erase it, so the lock cannot be taken over while its
 * owner lives whatever the lock file holds. The file next to it only says
 * who holds the lock (its PID), for messages. proper-lockfile judges
 * staleness by mtime and needs a refresh timer; a PID file alone was taken
 * over once its content was overwritten.
 */
import { statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { basename, dirname } from 'node:path';
import { readFile, rm } from 'node:fs/promises';
import { LockError } from '../model/errors.ts';
import { writeFileAtomic } from '../os/atomic-write.ts';

export interface StateLock {
  path: string;
  release(): Promise<void>;
}


/** The abstract socket name of the lock at `path`: the same directory by any path gives the same name. */
export function lockSocketName(path: string): string {
  const st = statSync(dirname(path)); // ENOENT for a missing directory, as before
  return `\0haproxy-operator-lock:${st.dev}:${st.ino}:${basename(path)}`;
}

async function ownerOf(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? `pid ${pid}` : 'pid unknown: the lock file does not name it';
}

function bind(name: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(undefined) : reject(error)));
    server.listen(name, () => {
      // The lock must not keep the process alive on its own.
      server.unref();
      resolve(server);
    });
  });
}

/** Takes the lock at `path`; a LockError naming the owner's PID while another live process holds it. */
export async function acquireLock(path: string): Promise<StateLock> {
  const server = await bind(lockSocketName(path));
  if (!server) throw new LockError(`state directory is in use by another operator (${await ownerOf(path)}, lock ${path})`);
  try {
    await writeFileAtomic(path, `${process.pid}\n`, { mode: 0o600 });
  } catch (error) {
    server.close();
    throw error;
  }
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      await rm(path, { force: true });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
